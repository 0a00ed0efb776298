import type { Keyring } from '../crypto/index.ts';
import { lookupRows, type PersonFieldsTable, type PersonLookupsTable, sealPersonRows } from '../store/index.ts';
import { secretUuid } from './ids.ts';
import { CHUNK_SIZE, generateChunk, type SyntheticPerson } from './population.ts';

export interface BatchJob {
  seed: number;
  /** The store's seed secret (`seedSecret`), which person ids derive from: the worker gets it with the job. */
  secret: string;
  /** First person index not yet in the store. */
  from: number;
  /** One past the last index of this batch. */
  to: number;
  now: string;
}

export interface SealedBatch {
  people: Array<Omit<SyntheticPerson, 'file'> & { id: string; registeredOn: string }>;
  fieldRows: PersonFieldsTable[];
  lookupRows: PersonLookupsTable[];
}

/** Generate persons [from, to) and seal them: pure, so it can run on a worker thread. */
export function sealBatch(keyring: Keyring, job: BatchJob): SealedBatch {
  const out: SealedBatch = { people: [], fieldRows: [], lookupRows: [] };
  for (let chunk = Math.floor(job.from / CHUNK_SIZE); chunk * CHUNK_SIZE < job.to; chunk++) {
    for (const person of generateChunk(job.seed, chunk, job.to)) {
      if (person.index < job.from) continue;
      const { file, ...meta } = person;
      const id = secretUuid(job.secret, job.seed, 'person', person.index);
      out.people.push({ ...meta, id, registeredOn: file.registration!.registeredOn });
      out.fieldRows.push(...sealPersonRows(keyring, id, file, job.now));
      out.lookupRows.push(...lookupRows(keyring, id, file));
    }
  }
  return out;
}
