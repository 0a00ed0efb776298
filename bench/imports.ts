/**
 * Registration by import (issue 25 §1), BENCH_ONLY=imports: a département's information system
 * sends batches of BENCH_IMPORT_BATCH registrations (default 100) over HTTP to
 * POST /api/partner/registrations/imports, as a machine client (a private_key_jwt token), until
 * BENCH_IMPORT_FILES files exist (default 1,000 per store). Each batch is the whole path: every
 * record validated, the batch decided under the agreement's purpose, every record counted by the
 * guard, then in one transaction each person's duplicate check by blind index (NIR, name and birth
 * date), the sealed file with its new France Travail id, its events, the sealed notice and its
 * queued letter, and the batch's event.
 *
 * The baseline, in the same run, store and server: the same files created one request each through
 * the bootstrap administrator's POST /api/agency/persons (a sealed file and one event: no
 * validation of a registration, no duplicate check, no guard, no letter). Files per second, and the
 * ratio. And the floor: the same records as JSON in clear, inserted as plain rows of a plain table in
 * transactions of one batch each, in process (no HTTP, no encryption, no index, no event).
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { buildServer, createLogger } from '../src/api/index.ts';
import { ensureBootstrapAdmin, registerMachineClient } from '../src/identity/index.ts';
import type { PurposeRule } from '../src/policy/index.ts';
import { insertAssurance, seedDatabase } from '../src/seed/index.ts';
import { exportJWK, generateKeyPair } from 'jose';
import { testEnvironment } from '../test/helpers/backend.ts';
import { intakeRecord } from '../test/helpers/intake.ts';
import { clientCredentialsForm } from '../test/helpers/machine-client.ts';
import type { TableFn } from './policy.ts';

const FILES = Number(process.env.BENCH_IMPORT_FILES || 2000);
const BATCH = Number(process.env.BENCH_IMPORT_BATCH || 100);
const PURPOSE = 'inscription_rsa';

/** The record as a bootstrap file: the classes the registration core would write for it. */
function asFile(record: Record<string, unknown>, n: number) {
  const r = record as ReturnType<typeof intakeRecord> & {
    identity: object;
    nir: string;
    contact: object;
    education: object[];
    experience: object[];
    soughtJobs: string[];
  };
  return {
    identity: r.identity,
    nir: { nir: r.nir },
    contact: r.contact,
    career: { experiences: r.experience, diplomas: r.education, soughtJobs: r.soughtJobs },
    registration: {
      franceTravailId: `${String(1_000_000 + n).slice(-7)}B`,
      category: 'A',
      registeredOn: new Date().toISOString().slice(0, 10),
      status: 'registered',
    },
  };
}

export async function benchImports(kinds: Array<'sqlite' | 'postgres'>, table: TableFn): Promise<void> {
  const rows: Array<Array<string | number>> = [];
  for (const kind of kinds) {
    const env = testEnvironment({ backend: kind, schemaPrefix: 'bench' });
    const runtime = await env.open();
    const app = await buildServer(runtime, createLogger('silent'));
    try {
      const db = runtime.database.db;
      await seedDatabase(db, runtime.persons, runtime.keyring, {
        persons: 200,
        seed: 7,
        batchSize: 200,
        parallel: false,
      });
      // The département's agreement with an import purpose whose ceiling does not stop the run.
      const cd = await db
        .selectFrom('organisations')
        .selectAll()
        .where('kind', '=', 'departement')
        .executeTakeFirstOrThrow();
      const agreement = await db
        .selectFrom('agreements')
        .selectAll()
        .where('organisation_id', '=', cd.id)
        .executeTakeFirstOrThrow();
      const purposes = JSON.parse(agreement.purposes) as PurposeRule[];
      purposes.push({
        purpose: PURPOSE,
        label: 'Inscription des allocataires du RSA',
        roles: ['partner_system'],
        read: [],
        write: ['identity', 'nir', 'contact', 'career', 'registration'],
        relationship: 'referral',
        dailyCeiling: 10_000_000,
        retentionDays: 365,
      });
      await db
        .updateTable('agreements')
        .set({ purposes: JSON.stringify(purposes) })
        .where('id', '=', agreement.id)
        .execute();
      await insertAssurance(db, {
        organisations: [cd],
        agreements: [
          await db.selectFrom('agreements').selectAll().where('id', '=', agreement.id).executeTakeFirstOrThrow(),
        ],
      });
      const keys = await generateKeyPair('ES256');
      const kid = randomUUID();
      const { clientId } = await registerMachineClient(db, {
        organisationId: cd.id,
        name: 'SI RSA (banc d’essai)',
        jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), kid }] },
      });
      const bootstrap = (await ensureBootstrapAdmin(db)).token!;

      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      if (!address || typeof address === 'string') throw new Error('no address');
      const base = `http://127.0.0.1:${address.port}`;
      const tokenRes = await fetch(`${base}/api/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: await clientCredentialsForm(
          { organisationId: cd.id, clientId, kid, privateKey: keys.privateKey },
          runtime.config.publicUrl,
          PURPOSE,
        ),
      });
      if (tokenRes.status !== 200) throw new Error(`token: ${tokenRes.status} ${await tokenRes.text()}`);
      const accessToken = ((await tokenRes.json()) as { access_token: string }).access_token;

      // Baseline first, on other persons (numbers far from the import's: no duplicate between them).
      let started = performance.now();
      for (let i = 0; i < FILES; i++) {
        const res = await fetch(`${base}/api/agency/persons`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bootstrap}`, 'content-type': 'application/json' },
          body: JSON.stringify(asFile(intakeRecord(500_000 + i), i)),
        });
        if (res.status !== 201) throw new Error(`bootstrap create: ${res.status} ${await res.text()}`);
      }
      const baseline = FILES / ((performance.now() - started) / 1000);

      // The floor: plain rows, a batch per transaction.
      const plainDb = db as unknown as Kysely<{ bench_plain_registrations: { id: string; body: string } }>;
      await plainDb.schema
        .createTable('bench_plain_registrations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      started = performance.now();
      for (let from = 0; from < FILES; from += BATCH) {
        const values = Array.from({ length: Math.min(BATCH, FILES - from) }, (_, i) => ({
          id: randomUUID(),
          body: JSON.stringify(intakeRecord(900_000 + from + i)),
        }));
        await plainDb
          .transaction()
          .execute((trx) => trx.insertInto('bench_plain_registrations').values(values).execute());
      }
      const plain = FILES / ((performance.now() - started) / 1000);
      await sql`drop table bench_plain_registrations`.execute(db);

      let created = 0;
      started = performance.now();
      for (let from = 0; from < FILES; from += BATCH) {
        const records = Array.from({ length: Math.min(BATCH, FILES - from) }, (_, i) => intakeRecord(from + i));
        const res = await fetch(`${base}/api/partner/registrations/imports`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${accessToken}`,
            'content-type': 'application/json',
            'rempart-purpose': PURPOSE,
            'rempart-case-reference': `LOT-${from}`,
          },
          body: JSON.stringify({ records }),
        });
        if (res.status !== 201) throw new Error(`import: ${res.status} ${await res.text()}`);
        created += ((await res.json()) as { registered: number }).registered;
      }
      const seconds = (performance.now() - started) / 1000;
      if (created !== FILES) throw new Error(`${FILES - created} records held as duplicates: the figures would lie`);
      const imported = FILES / seconds;
      rows.push([
        kind,
        FILES,
        BATCH,
        imported,
        baseline,
        `${(baseline / imported).toFixed(1)}×`,
        plain,
        `${(plain / imported).toFixed(0)}×`,
        `${((1000 * BATCH) / imported).toFixed(0)} ms`,
      ]);
    } finally {
      await app.close();
      await runtime.close();
      await env.cleanup();
    }
  }
  table(
    'Registration by import over HTTP (batches, all or nothing, guard, ledger, a letter each) vs the bootstrap API creating the same files one by one, files/s',
    [
      'store',
      'files',
      'batch',
      'imported/s',
      'bootstrap/s',
      'time/file vs bootstrap',
      'plain rows/s',
      'time/file vs plain',
      'per batch',
    ],
    rows,
  );
}
