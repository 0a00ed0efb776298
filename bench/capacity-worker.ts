/**
 * The capacity loader's worker thread (bench/capacity.ts): generates persons [from, to) with the
 * demo's generator, seals them with Rempart's own code (sealPersonRows, lookupRows: the same
 * envelopes and blind indexes as any write), and returns each table's rows as PostgreSQL COPY
 * text, so the main thread only streams bytes to the server.
 *
 * Beyond the demo generator's 1.98 million persons its NIRs would repeat (the unique blind index
 * would refuse them): here the NIR's department, commune and order digits are drawn from the
 * index instead (94 metropolitan departments × 990 × 999, unique up to 93 million persons), its
 * sex, year and month still those of the person, its key recomputed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Keyring } from '../src/crypto/index.ts';
import { nirControlKey, type PersonFile } from '../src/domain/index.ts';
import { secretUuid } from '../src/seed/ids.ts';
import { appointmentOf } from '../src/seed/index.ts';
import { CHUNK_SIZE, generateChunk } from '../src/seed/population.ts';
import { lookupRows, sealPersonRows } from '../src/store/index.ts';

export interface CapacityJob {
  id: number;
  seed: number;
  secret: string;
  from: number;
  to: number;
  now: string;
  /** Counsellor actor ids per agency, and the agencies' and partners' organisation ids (the network's). */
  counsellorsByAgency: string[][];
  agencyIds: string[];
  partnerIds: Record<string, string>;
}

export interface CapacityBatch {
  id: number;
  persons: number;
  /** COPY text per table, in the order the loader sends them (persons first: the others refer to it). */
  copies: Array<{ table: string; columns: string; rows: number; data: Uint8Array }>;
  /** Bytes of the same values as JSON in clear: what an unencrypted store would hold at least. */
  plaintextBytes: number;
}

const METRO_DEPARTMENTS = Array.from({ length: 95 }, (_, i) => String(i + 1).padStart(2, '0')).filter(
  (d) => d !== '20',
);
export const NIR_LIMIT = METRO_DEPARTMENTS.length * 990 * 999;
/** France Travail ids are 7 digits and a letter, drawn from the index: unique below 10 million. */
export const PERSON_LIMIT = 10_000_000;

function capacityNir(file: PersonFile, index: number): string {
  const order = String((index % 999) + 1).padStart(3, '0');
  const rest = Math.floor(index / 999);
  const commune = String((rest % 990) + 1).padStart(3, '0');
  const department = METRO_DEPARTMENTS[Math.floor(rest / 990)]!;
  const birth = file.identity!.birthDate;
  const body = `${file.identity!.sex === 'F' ? '2' : '1'}${birth.slice(2, 4)}${birth.slice(5, 7)}${department}${commune}${order}`;
  return body + nirControlKey(body);
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const text = (v: string | null) =>
  v === null ? '\\N' : /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : v;
/** bytea in COPY text: `\x` and hex, its backslash escaped. */
const bytes = (b: Uint8Array) => `\\\\x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`;

export function buildBatch(keyring: Keyring, job: CapacityJob): CapacityBatch {
  const persons: string[] = [];
  const fields: string[] = [];
  const lookups: string[] = [];
  const caseloads: string[] = [];
  const appointments: string[] = [];
  const referrals: string[] = [];
  let plaintextBytes = 0;
  for (let chunk = Math.floor(job.from / CHUNK_SIZE); chunk * CHUNK_SIZE < job.to; chunk++) {
    for (const person of generateChunk(job.seed, chunk, job.to)) {
      if (person.index < job.from) continue;
      const { file, index } = person;
      file.nir = { nir: capacityNir(file, index) };
      for (const value of Object.values(file)) plaintextBytes += Buffer.byteLength(JSON.stringify(value));
      const id = secretUuid(job.secret, job.seed, 'person', index);
      const registered = file.registration!.registeredOn;
      persons.push(`${id}\tactive\t${job.now}\t${job.now}\t\\N\n`);
      for (const row of sealPersonRows(keyring, id, file, job.now))
        fields.push(
          `${id}\t${row.field_class}\t${row.kek_version}\t${bytes(row.wrapped_key)}\t${bytes(row.ciphertext)}\t${job.now}\n`,
        );
      for (const row of lookupRows(keyring, id, file)) lookups.push(`${row.kind}\t${bytes(row.digest)}\t${id}\n`);
      const counsellors = job.counsellorsByAgency[person.agency]!;
      const counsellor = counsellors[index % counsellors.length]!;
      const agencyId = job.agencyIds[person.agency]!;
      caseloads.push(`${id}\t${counsellor}\t${agencyId}\t${registered}\t\\N\n`);
      const next = appointmentOf(index, job.now);
      appointments.push(
        `${secretUuid(job.secret, job.seed, 'appointment', index, 'next')}\t${id}\t${agencyId}\t${counsellor}\t${next.at}\t${next.kind}\t${counsellor}\t${next.created_at}\t\\N\n`,
      );
      for (const r of person.referrals) {
        const organisationId = job.partnerIds[r.organisation];
        if (!organisationId) continue;
        referrals.push(
          `${secretUuid(job.secret, job.seed, 'referral', index, r.organisation)}\t${id}\t${organisationId}\t${counsellor}\t${text(r.reason)}\t${registered}\t\\N\tactive\t${job.now}\n`,
        );
      }
    }
  }
  const copy = (table: string, columns: string, rows: string[]) => ({
    table,
    columns,
    rows: rows.length,
    data: Buffer.from(rows.join(''), 'utf8'),
  });
  return {
    id: job.id,
    persons: persons.length,
    plaintextBytes,
    copies: [
      copy('persons', '(id, status, created_at, updated_at, erased_at)', persons),
      copy('person_fields', '(person_id, field_class, kek_version, wrapped_key, ciphertext, updated_at)', fields),
      copy('person_lookups', '(kind, digest, person_id)', lookups),
      copy('caseloads', '(person_id, actor_id, organisation_id, since, until)', caseloads),
      copy(
        'appointments',
        '(id, person_id, organisation_id, actor_id, at, kind, created_by, created_at, cancelled_at)',
        appointments,
      ),
      copy(
        'referrals',
        '(id, person_id, organisation_id, referred_by_actor_id, reason, starts_on, ends_on, status, created_at)',
        referrals,
      ),
    ],
  };
}

if (parentPort && workerData) {
  // The keyring arrives once, in memory, from the parent thread; it is never written anywhere.
  const keyring = Keyring.parse((workerData as { keyring: string }).keyring, 'parent thread');
  parentPort.on('message', (job: CapacityJob) => {
    try {
      const batch = buildBatch(keyring, job);
      parentPort!.postMessage(batch);
    } catch (error) {
      parentPort!.postMessage({ id: job.id, error: error instanceof Error ? error.stack : String(error) });
    }
  });
}
