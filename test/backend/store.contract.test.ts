import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  BLIND_INDEX_KINDS,
  DecryptionError,
  KEY_SERIES,
  Keyring,
  KeyringError,
  writeKeyringFile,
} from '../../src/crypto/index.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../src/domain/errors.ts';
import { FIELD_CLASSES } from '../../src/domain/field-classes.ts';
import { validateNewPerson } from '../../src/domain/person-rules.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { countStaleDataKeys, rewrapDataKeys, recordKeyring } from '../../src/store/index.ts';
import { BACKEND, countRows, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';
import { nirFor, samplePerson } from '../helpers/fixtures.ts';

async function rawField(runtime: Runtime, personId: string, fieldClass: string) {
  return runtime.database.db
    .selectFrom('person_fields')
    .selectAll()
    .where('person_id', '=', personId)
    .where('field_class', '=', fieldClass as never)
    .executeTakeFirstOrThrow();
}

describe(`store contract (${BACKEND})`, () => {
  let env: TestEnvironment;
  let runtime: Runtime;

  before(async () => {
    env = testEnvironment();
    runtime = await env.open();
  });
  after(async () => {
    await runtime.close();
    await env.cleanup();
  });

  it('stores every class encrypted and reads back exactly the classes asked for', async () => {
    const file = validateNewPerson(samplePerson(1));
    const id = await runtime.persons.create(file);
    const whole = await runtime.persons.read(id, FIELD_CLASSES);
    assert.deepEqual(whole.fields, file);
    assert.deepEqual(whole.classes, [...FIELD_CLASSES]);
    const some = await runtime.persons.read(id, ['identity', 'contact']);
    assert.deepEqual(Object.keys(some.fields).sort(), ['contact', 'identity']);
    assert.deepEqual(some.fields.identity, file.identity);
    assert.equal(some.classes.length, FIELD_CLASSES.length, 'the file says which classes exist without revealing them');
    const none = await runtime.persons.read(id, []);
    assert.deepEqual(none.fields, {});
  });

  it('never decrypts a class that was not asked for', async () => {
    const id = await runtime.persons.create(validateNewPerson(samplePerson(2)));
    // Break the health ciphertext: reading other classes must not even try it.
    const health = await rawField(runtime, id, 'health');
    const broken = Buffer.from(health.ciphertext);
    broken[broken.length - 1] = broken[broken.length - 1]! ^ 0xff;
    await runtime.database.db
      .updateTable('person_fields')
      .set({ ciphertext: broken })
      .where('person_id', '=', id)
      .where('field_class', '=', 'health')
      .execute();
    const read = await runtime.persons.read(id, ['identity', 'nir', 'bank']);
    assert.equal(read.fields.health, undefined);
    await assert.rejects(
      runtime.persons.read(id, ['health']),
      (e: unknown) => e instanceof DecryptionError && e.reason === 'tampered' && e.fieldClass === 'health',
    );
  });

  it('keeps no value in clear in the database', async () => {
    const file = validateNewPerson(samplePerson(3));
    const id = await runtime.persons.create(file);
    const rows = await runtime.database.db
      .selectFrom('person_fields')
      .selectAll()
      .where('person_id', '=', id)
      .execute();
    const needles = [
      file.nir!.nir,
      file.identity!.lastName,
      file.contact!.email!,
      file.bank!.iban,
      'Port de charges limité',
      'SPIP de la Gironde',
    ];
    for (const row of rows) {
      for (const needle of needles) {
        assert.equal(row.ciphertext.includes(Buffer.from(needle)), false, `${row.field_class} holds ${needle}`);
        assert.equal(row.wrapped_key.includes(Buffer.from(needle)), false);
      }
    }
  });

  it('refuses a ciphertext moved to another person or another class', async () => {
    const a = await runtime.persons.create(validateNewPerson(samplePerson(4)));
    const b = await runtime.persons.create(validateNewPerson(samplePerson(5)));
    const aNir = await rawField(runtime, a, 'nir');
    await runtime.database.db
      .updateTable('person_fields')
      .set({ ciphertext: aNir.ciphertext, wrapped_key: aNir.wrapped_key })
      .where('person_id', '=', b)
      .where('field_class', '=', 'nir')
      .execute();
    await assert.rejects(
      runtime.persons.read(b, ['nir']),
      (e: unknown) => e instanceof DecryptionError && e.personId === b,
    );
    const aBank = await rawField(runtime, a, 'bank');
    await runtime.database.db
      .updateTable('person_fields')
      .set({ ciphertext: aBank.ciphertext, wrapped_key: aBank.wrapped_key, kek_version: aBank.kek_version })
      .where('person_id', '=', a)
      .where('field_class', '=', 'health')
      .execute();
    await assert.rejects(runtime.persons.read(a, ['health']), DecryptionError);
    // The untouched classes of both files are still readable.
    assert.equal((await runtime.persons.read(a, ['nir'])).fields.nir?.nir, nirFor(4));
    assert.equal((await runtime.persons.read(b, ['identity'])).fields.identity?.lastName, 'MARCHAND5');
  });

  it('finds files by exact identifier through blind indexes, whatever the spelling', async () => {
    const file = validateNewPerson(samplePerson(6));
    const id = await runtime.persons.create(file);
    const spaced = file.nir!.nir.replace(/(\d{3})/g, '$1 ');
    assert.deepEqual(await runtime.persons.lookup('nir', spaced), [id]);
    assert.deepEqual(await runtime.persons.lookup('email', file.contact!.email!.toUpperCase()), [id]);
    assert.deepEqual(
      await runtime.persons.lookup('france_travail_id', file.registration!.franceTravailId.toLowerCase()),
      [id],
    );
    assert.deepEqual(await runtime.persons.lookup('nir', nirFor(999)), []);
    const digests = await runtime.database.db
      .selectFrom('person_lookups')
      .select('digest')
      .where('person_id', '=', id)
      .execute();
    for (const { digest } of digests) assert.equal(digest.includes(Buffer.from(file.nir!.nir)), false);
  });

  it('updates classes, removes a class with null, and keeps the indexes in step', async () => {
    const id = await runtime.persons.create(validateNewPerson(samplePerson(7)));
    const newNir = nirFor(70);
    await runtime.persons.update(id, {
      nir: { nir: newNir },
      health: null,
      contact: { email: 'nouvelle.adresse@demo.rempart.example' },
    });
    const read = await runtime.persons.read(id, FIELD_CLASSES);
    assert.equal(read.fields.nir?.nir, newNir);
    assert.equal(read.fields.health, undefined);
    assert.equal(read.classes.includes('health'), false);
    assert.deepEqual(await runtime.persons.lookup('nir', nirFor(7)), []);
    assert.deepEqual(await runtime.persons.lookup('nir', newNir), [id]);
    assert.deepEqual(await runtime.persons.lookup('email', 'nouvelle.adresse@demo.rempart.example'), [id]);
    assert.deepEqual(await runtime.persons.lookup('email', 'elodie.marchand7@demo.rempart.example'), []);
  });

  it('refuses a NIR already on another file and writes nothing', async () => {
    const first = await runtime.persons.create(validateNewPerson(samplePerson(8)));
    const before = await Promise.all([
      countRows(runtime, 'persons'),
      countRows(runtime, 'person_fields'),
      countRows(runtime, 'person_lookups'),
    ]);
    const duplicate = validateNewPerson({ ...samplePerson(9), nir: { nir: nirFor(8) } });
    await assert.rejects(
      runtime.persons.create(duplicate),
      (e: unknown) => e instanceof ConflictError && e.code === 'nir_already_registered',
    );
    const second = await runtime.persons.create(validateNewPerson(samplePerson(9)));
    await assert.rejects(
      runtime.persons.update(second, { nir: { nir: nirFor(8) }, identity: samplePerson(9).identity! }),
      ConflictError,
    );
    assert.equal(
      (await runtime.persons.read(second, ['nir'])).fields.nir?.nir,
      nirFor(9),
      'the failed update changed nothing',
    );
    const afterCounts = await Promise.all([
      countRows(runtime, 'persons'),
      countRows(runtime, 'person_fields'),
      countRows(runtime, 'person_lookups'),
    ]);
    // One person more, its classes, its six blind indexes (NIR, email, France Travail id, name and
    // birth date, IBAN, household address).
    assert.deepEqual(afterCounts, [before[0] + 1, before[1] + FIELD_CLASSES.length, before[2] + 6]);
    assert.deepEqual(await runtime.persons.lookup('nir', nirFor(8)), [first]);
  });

  it("a plain update cannot write the bank class (set or removed); only the bank-details procedure's write can", async () => {
    const id = await runtime.persons.create(validateNewPerson(samplePerson(30)));
    const before = (await runtime.persons.read(id, ['bank'])).fields.bank;
    assert.ok(before);
    const other = { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holder: before.holder };
    await assert.rejects(
      runtime.persons.update(id, { bank: other }),
      (e: unknown) => e instanceof ValidationError && e.issues[0]!.rule === 'bank.change_procedure',
    );
    await assert.rejects(runtime.persons.update(id, { bank: null, career: null }), ValidationError);
    assert.deepEqual((await runtime.persons.read(id, ['bank'])).fields.bank, before, 'nothing was written');
    await runtime.persons.applyBankChange(id, other);
    assert.deepEqual((await runtime.persons.read(id, ['bank'])).fields.bank, other);
    assert.ok((await runtime.persons.lookup('iban', other.iban)).includes(id), 'the IBAN index follows');
    assert.ok(!(await runtime.persons.lookup('iban', before.iban)).includes(id), 'and forgets the old one');
  });

  it('two simultaneous creations with one NIR: exactly one wins, the other is a conflict', async () => {
    const nir = nirFor(40);
    const results = await Promise.allSettled([
      runtime.persons.create(validateNewPerson({ ...samplePerson(40), nir: { nir } })),
      runtime.persons.create(
        validateNewPerson({ ...samplePerson(41), identity: samplePerson(40).identity!, nir: { nir } }),
      ),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(failure.reason instanceof ConflictError, String(failure.reason));
    assert.equal((await runtime.persons.lookup('nir', nir)).length, 1);
  });

  it('the database itself refuses a second file with the same NIR digest', async () => {
    const id = await runtime.persons.create(validateNewPerson(samplePerson(42)));
    const other = await runtime.persons.create(validateNewPerson(samplePerson(43)));
    const digest = await runtime.database.db
      .selectFrom('person_lookups')
      .select('digest')
      .where('person_id', '=', id)
      .where('kind', '=', 'nir')
      .executeTakeFirstOrThrow();
    await assert.rejects(
      runtime.database.db
        .insertInto('person_lookups')
        .values({ kind: 'nir', digest: digest.digest, person_id: other })
        .execute(),
    );
    // Emails may be shared (a family address): no such constraint there.
    const email = await runtime.database.db
      .selectFrom('person_lookups')
      .select('digest')
      .where('person_id', '=', id)
      .where('kind', '=', 'email')
      .executeTakeFirstOrThrow();
    await runtime.database.db
      .insertInto('person_lookups')
      .values({ kind: 'email', digest: email.digest, person_id: other })
      .execute();
  });

  it('answers not found for an unknown file', async () => {
    await assert.rejects(runtime.persons.read('00000000-0000-4000-8000-000000000000', ['identity']), NotFoundError);
    await assert.rejects(
      runtime.persons.update('00000000-0000-4000-8000-000000000000', { health: null }),
      NotFoundError,
    );
  });

  it('crypto-shreds an erased person: keys gone, values unreadable even from a copied ciphertext', async () => {
    const file = validateNewPerson(samplePerson(10));
    const id = await runtime.persons.create(file);
    const backup = await rawField(runtime, id, 'nir');
    const { shreddedKeys } = await runtime.persons.erase(id);
    assert.equal(shreddedKeys, FIELD_CLASSES.length);
    await assert.rejects(
      runtime.persons.read(id, ['nir']),
      (e: unknown) => e instanceof ConflictError && e.code === 'person_erased',
    );
    const left = await runtime.database.db
      .selectFrom('person_fields')
      .select('field_class')
      .where('person_id', '=', id)
      .execute();
    assert.deepEqual(left, []);
    assert.deepEqual(await runtime.persons.lookup('nir', file.nir!.nir), []);
    // A copy of the ciphertext taken before erasure cannot be opened with what the store keeps.
    const { openField } = await import('../../src/crypto/index.ts');
    assert.throws(
      () =>
        openField(runtime.keyring, id, 'nir', {
          kekVersion: backup.kek_version,
          wrappedKey: Buffer.alloc(0),
          ciphertext: backup.ciphertext,
        }),
      DecryptionError,
    );
    const tombstone = await runtime.database.db
      .selectFrom('persons')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(tombstone.status, 'erased');
    assert.ok(tombstone.erased_at);
    await assert.rejects(runtime.persons.erase(id), ConflictError);
  });

  it('rotation rewraps data keys, keeps every value readable and leaves ciphertexts untouched', async () => {
    const ids: string[] = [];
    for (let i = 20; i < 30; i++) ids.push(await runtime.persons.create(validateNewPerson(samplePerson(i))));
    const before = await runtime.database.db
      .selectFrom('person_fields')
      .selectAll()
      .where('field_class', '=', 'bank')
      .execute();
    const rotated = runtime.keyring.withNewVersion('bank');
    writeKeyringFile(env.keyringPath, rotated);
    await recordKeyring(runtime.database.db, rotated);
    const stale = await countStaleDataKeys(runtime.database.db, rotated, 'bank');
    assert.equal(stale, before.length);
    const rewrapped = await rewrapDataKeys(runtime.database.db, rotated, 'bank', { batchSize: 7 });
    assert.equal(rewrapped, before.length);
    assert.equal(await countStaleDataKeys(runtime.database.db, rotated, 'bank'), 0);
    const afterRows = await runtime.database.db
      .selectFrom('person_fields')
      .selectAll()
      .where('field_class', '=', 'bank')
      .execute();
    const byPerson = new Map(before.map((r) => [r.person_id, r]));
    for (const row of afterRows) {
      const old = byPerson.get(row.person_id)!;
      assert.equal(row.kek_version, 2);
      assert.deepEqual(row.ciphertext, old.ciphertext, 'value not re-encrypted');
      assert.notDeepEqual(row.wrapped_key, old.wrapped_key);
    }
    await runtime.close();
    runtime = await env.open();
    for (const id of ids)
      assert.equal((await runtime.persons.read(id, ['bank'])).fields.bank?.iban, 'FR1420041010050500013M02606');
  });

  it('an interrupted rotation leaves a readable store and resumes', async () => {
    const rotated = runtime.keyring.withNewVersion('contact');
    writeKeyringFile(env.keyringPath, rotated);
    await recordKeyring(runtime.database.db, rotated);
    const total = await countStaleDataKeys(runtime.database.db, rotated, 'contact');
    assert.ok(total > 5);
    let batches = 0;
    await assert.rejects(
      rewrapDataKeys(runtime.database.db, rotated, 'contact', {
        batchSize: 3,
        onBatch: () => {
          if (++batches === 1) throw new Error('simulated crash');
        },
      }),
      /simulated crash/,
    );
    const remaining = await countStaleDataKeys(runtime.database.db, rotated, 'contact');
    assert.equal(remaining, total - 3, 'the committed batch stays, nothing else moved');
    await runtime.close();
    runtime = await env.open();
    const all = await runtime.database.db.selectFrom('persons').select('id').where('status', '=', 'active').execute();
    for (const { id } of all) await runtime.persons.read(id, ['contact']);
    assert.equal(await rewrapDataKeys(runtime.database.db, runtime.keyring, 'contact'), remaining);
    assert.equal(await countStaleDataKeys(runtime.database.db, runtime.keyring, 'contact'), 0);
  });

  it('never lets a master key or its encodings reach the database', async () => {
    const keys: Buffer[] = [];
    for (const series of KEY_SERIES)
      for (const v of runtime.keyring.versions(series)) keys.push(runtime.keyring.kek(series, v));
    // Every blind-index key, the derived name_birth one included.
    for (const kind of BLIND_INDEX_KINDS) keys.push(runtime.keyring.blindIndexKey(kind));
    const needles = keys.flatMap((k) => [
      k,
      Buffer.from(k.toString('base64')),
      Buffer.from(k.toString('hex')),
      Buffer.from(k.toString('base64url')),
    ]);
    // Every table the migrations made (this store's schema only), so that a new one is searched without being listed here.
    const schema =
      runtime.database.flavour === 'postgres'
        ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(runtime.database.db)).rows[0]
            ?.schema
        : undefined;
    const tables = (await runtime.database.db.introspection.getTables())
      .filter((t) => t.schema === schema)
      .map((t) => t.name);
    assert.ok(tables.includes('ledger_nodes') && tables.includes('account_factors'), tables.join(', '));
    let cells = 0;
    for (const table of tables) {
      const rows = (await runtime.database.db
        .selectFrom(table as 'meta')
        .selectAll()
        .execute()) as Array<Record<string, unknown>>;
      for (const row of rows) {
        for (const value of Object.values(row)) {
          const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
          cells++;
          for (const needle of needles) assert.equal(bytes.includes(needle), false, `a master key appears in ${table}`);
        }
      }
    }
    assert.ok(cells > 100);
  });

  it('refuses to open with another keyring, a missing version or an altered key', async () => {
    await runtime.close();
    const good = runtime.keyring;
    try {
      writeKeyringFile(env.keyringPath, Keyring.generate());
      await assert.rejects(
        env.open(),
        (e: unknown) => e instanceof KeyringError && /not the one this store was written with/.test(e.message),
      );

      // Same keyring id, but version 2 of "bank" dropped: the store uses it.
      const doc = JSON.parse(good.serialize());
      delete doc.keks.bank.versions['2'];
      doc.keks.bank.active = 1;
      writeKeyringFile(env.keyringPath, Keyring.parse(JSON.stringify(doc), 'test'));
      await assert.rejects(env.open(), (e: unknown) => e instanceof KeyringError && /bank version 2/.test(e.message));

      // Same id and versions, one key replaced.
      const altered = JSON.parse(good.serialize());
      altered.keks.nir.versions['1'] = Keyring.generate()
        .serialize()
        .match(/"1": "([^"]+)"/)![1];
      writeKeyringFile(env.keyringPath, Keyring.parse(JSON.stringify(altered), 'test'));
      await assert.rejects(
        env.open(),
        (e: unknown) => e instanceof KeyringError && /kek:nir version 1 .*fingerprint mismatch/.test(e.message),
      );

      const { rmSync } = await import('node:fs');
      rmSync(env.keyringPath);
      await assert.rejects(
        env.open(),
        (e: unknown) => e instanceof KeyringError && /keyring file not found/.test(e.message),
      );
    } finally {
      writeKeyringFile(env.keyringPath, good);
      runtime = await env.open();
    }
    assert.ok((await countRows(runtime, 'persons')) > 0);
  });
});

describe(`a server beside a rotation (${BACKEND})`, () => {
  it('keeps reading, and writes under the new version, after another process rotated', async () => {
    const env = testEnvironment();
    const server = await env.open();
    const operator = await env.open();
    try {
      const id = await server.persons.create(validateNewPerson(samplePerson(1)));
      const rotated = operator.keyring.withNewVersion('bank');
      writeKeyringFile(env.keyringPath, rotated);
      await recordKeyring(operator.database.db, rotated);
      await rewrapDataKeys(operator.database.db, rotated, 'bank');
      assert.equal((await server.persons.read(id, ['bank'])).fields.bank?.iban, 'FR1420041010050500013M02606');
      const second = await server.persons.create(validateNewPerson(samplePerson(2)));
      const row = await rawField(server, second, 'bank');
      assert.equal(row.kek_version, 2);
    } finally {
      await server.close();
      await operator.close();
      await env.cleanup();
    }
  });
});
