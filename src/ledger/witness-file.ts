import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Checkpoint } from './checkpoint.ts';

/**
 * The witness kept outside the database (issue 20): the latest checkpoint this deployment has
 * signed or seen, in a file of the data folder (REMPART_LEDGER_WITNESS_FILE). Events, tree nodes
 * and checkpoints removed together from the store still verify as a whole — a consistent
 * rollback — but not against this file: the store's newest checkpoint must be the one kept here
 * or extend it. A file in the data folder is only as far from the store as that folder is from
 * the database (on SQLite, not far): an external witness (REMPART_LEDGER_WITNESS_URL) is the
 * stronger one.
 */

export const WITNESS_FILE_FORMAT = 'rempart.ledger-witness/v1';

/** What the file holds: the signed note is the evidence; the rest says when and what for the operator. */
export interface WitnessRecord {
  format: typeof WITNESS_FILE_FORMAT;
  origin: string;
  size: number;
  /** When the checkpoint was signed. */
  at: string;
  /** When this file last moved forward. */
  recordedAt: string;
  note: string;
  /** The latest checkpoint the external witness cosigned, if one is configured. */
  cosigned?: { url: string; size: number; at: string; cosignature: string };
}

/** A witnessed checkpoint, opened: its size and root come from the signed note, not from the file's fields. */
export interface Witnessed extends Checkpoint {
  note: string;
  at: string;
}

export class WitnessFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WitnessFileError';
  }
}

export class LocalWitness {
  readonly path: string;
  /** Opens a note with the log's key: the checkpoint, or an error saying why not. */
  readonly #open: (note: string) => Checkpoint;

  constructor(path: string, open: (note: string) => Checkpoint) {
    this.path = path;
    this.#open = open;
  }

  /** The file's record and its checkpoint, opened; undefined when there is no file; a WitnessFileError when it cannot be trusted. */
  read(): { record: WitnessRecord; checkpoint: Witnessed } | undefined {
    if (!existsSync(this.path)) return undefined;
    let record: WitnessRecord;
    try {
      record = JSON.parse(readFileSync(this.path, 'utf8')) as WitnessRecord;
    } catch (error) {
      throw new WitnessFileError(
        `fichier témoin ${this.path} illisible : ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (record?.format !== WITNESS_FILE_FORMAT || typeof record.note !== 'string')
      throw new WitnessFileError(`fichier témoin ${this.path} : format inconnu (attendu ${WITNESS_FILE_FORMAT})`);
    let checkpoint: Checkpoint;
    try {
      checkpoint = this.#open(record.note);
    } catch (error) {
      throw new WitnessFileError(
        `fichier témoin ${this.path} : le point de contrôle qu'il conserve n'est pas signé par la clé de ce journal (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    return {
      record,
      checkpoint: { ...checkpoint, note: record.note, at: typeof record.at === 'string' ? record.at : '' },
    };
  }

  /**
   * Keep `checkpoint` if it is larger than the one kept (never go back), and the external
   * witness's cosignature if it is newer than the one noted; the file is replaced atomically
   * (written aside, then renamed). Returns whether the file changed.
   */
  record(checkpoint: Witnessed, cosigned?: WitnessRecord['cosigned']): boolean {
    let current: ReturnType<LocalWitness['read']>;
    try {
      current = this.read();
    } catch {
      // An unreadable file is the start check's to report; it is not overwritten here.
      return false;
    }
    const forward = !current || checkpoint.size > current.checkpoint.size;
    const kept = current?.record.cosigned;
    const newerCosignature =
      cosigned && (!kept || cosigned.size > kept.size || (cosigned.size === kept.size && cosigned.url !== kept.url))
        ? cosigned
        : kept;
    if (!forward && newerCosignature === kept) return false;
    const base = forward || !current ? checkpoint : current.checkpoint;
    const record: WitnessRecord = {
      format: WITNESS_FILE_FORMAT,
      origin: base.origin,
      size: Number(base.size),
      at: base.at,
      recordedAt: new Date().toISOString(),
      note: base.note,
      ...(newerCosignature ? { cosigned: newerCosignature } : {}),
    };
    mkdirSync(dirname(this.path), { recursive: true });
    const aside = `${this.path}.${process.pid}.tmp`;
    writeFileSync(aside, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
    renameSync(aside, this.path);
    return true;
  }
}
