import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FIELD_CLASSES } from '../../src/domain/field-classes.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { NETWORK, SEED_SECRET_KEY, secretUuid, seedDatabase, storedSeedSecret } from '../../src/seed/index.ts';
import { BACKEND, countRows, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';

describe(`seeding (${BACKEND})`, () => {
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

  it('a crash mid-way leaves whole batches only, and the same command finishes the job', async () => {
    let batches = 0;
    await assert.rejects(
      seedDatabase(runtime.database.db, runtime.persons, runtime.keyring, {
        persons: 450,
        seed: 11,
        batchSize: 200,
        onProgress: () => {
          if (++batches === 1) throw new Error('simulated crash');
        },
      }),
      /simulated crash/,
    );
    assert.equal(await countRows(runtime, 'persons'), 200);
    assert.equal(await countRows(runtime, 'caseloads'), 200);
    const result = await seedDatabase(runtime.database.db, runtime.persons, runtime.keyring, {
      persons: 450,
      seed: 11,
      batchSize: 200,
    });
    assert.deepEqual(result, { seed: 11, target: 450, inserted: 250, alreadyDone: 200 });
    assert.equal(await countRows(runtime, 'persons'), 450);
    assert.equal(await countRows(runtime, 'caseloads'), 450, 'every person is in one counsellor caseload');
    assert.equal(await countRows(runtime, 'organisations'), NETWORK.length);
    assert.equal(await countRows(runtime, 'agreements'), NETWORK.length);
    assert.ok((await countRows(runtime, 'referrals')) > 20);
    const again = await seedDatabase(runtime.database.db, runtime.persons, runtime.keyring, { persons: 450, seed: 11 });
    assert.equal(again.inserted, 0);
    // The resumed run derived its ids from the secret the first run kept: the very ids of an uninterrupted run.
    const secret = await storedSeedSecret(runtime.database.db);
    assert.match(secret ?? '', /^[0-9a-f]{64}$/);
    const ids = (await runtime.database.db.selectFrom('persons').select('id').execute()).map((r) => r.id).sort();
    assert.deepEqual(ids, Array.from({ length: 450 }, (_, i) => secretUuid(secret!, 11, 'person', i)).sort());
  });

  it('every seeded file decrypts, and NIRs are findable', async () => {
    const persons = await runtime.database.db.selectFrom('persons').select('id').execute();
    for (const { id } of persons.slice(0, 120)) {
      const record = await runtime.persons.read(id, FIELD_CLASSES);
      assert.ok(record.fields.identity && record.fields.nir && record.fields.registration);
      assert.deepEqual(await runtime.persons.lookup('nir', record.fields.nir.nir), [id]);
    }
  });

  it('growing a population continues from where it stopped, with the same people', async () => {
    const result = await seedDatabase(runtime.database.db, runtime.persons, runtime.keyring, {
      persons: 520,
      seed: 11,
      batchSize: 100,
    });
    assert.equal(result.inserted, 70);
    assert.equal(await countRows(runtime, 'persons'), 520);
  });
});

describe(`seeding on a worker thread (${BACKEND})`, () => {
  it('seals the same people as the inline path', async () => {
    const inline = testEnvironment();
    const threaded = testEnvironment();
    const a = await inline.open();
    const b = await threaded.open();
    try {
      await seedDatabase(a.database.db, a.persons, a.keyring, {
        persons: 230,
        seed: 5,
        batchSize: 100,
        parallel: false,
      });
      // Ids follow each store's seed secret: the second store is given the first one's, to compare.
      const secret = (await storedSeedSecret(a.database.db))!;
      await b.database.db
        .insertInto('meta')
        .values({ key: SEED_SECRET_KEY, value: secret })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: secret }))
        .execute();
      await seedDatabase(b.database.db, b.persons, b.keyring, {
        persons: 230,
        seed: 5,
        batchSize: 100,
        parallel: true,
      });
      const ids = (await a.database.db.selectFrom('persons').select('id').orderBy('id').execute()).map((r) => r.id);
      assert.deepEqual(
        (await b.database.db.selectFrom('persons').select('id').orderBy('id').execute()).map((r) => r.id),
        ids,
      );
      for (const id of ids.slice(0, 40)) {
        assert.deepEqual(
          (await b.persons.read(id, FIELD_CLASSES)).fields,
          (await a.persons.read(id, FIELD_CLASSES)).fields,
        );
      }
    } finally {
      await a.close();
      await b.close();
      await inline.cleanup();
      await threaded.cleanup();
    }
  });
});
