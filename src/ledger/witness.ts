import { parseCheckpoint, type Checkpoint } from './checkpoint.ts';
import { verifyConsistency, verifyInclusion } from './merkle.ts';
import { NoteError, openNote, parseVerifierKey } from './note.ts';

/**
 * What an external witness (the DPO, an auditor, the CNIL) runs with nothing but the log's
 * public key: open checkpoints it holds, check that a newer one extends an older one, check an
 * event's inclusion. No database, no trust in the server: only signatures and hashes.
 */
export class WitnessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WitnessError';
  }
}

export function openSignedCheckpoint(note: string, verifierKey: string, origin?: string): Checkpoint {
  let text: string;
  try {
    text = openNote(note, [parseVerifierKey(verifierKey)]);
  } catch (error) {
    if (error instanceof NoteError && /no signature by a trusted key/.test(error.message)) {
      throw new WitnessError('point de contrôle non signé par la clé du journal (signé par une autre clé ?)');
    }
    throw new WitnessError(
      `point de contrôle illisible ou signature invalide : ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(text);
  } catch (error) {
    throw new WitnessError(`point de contrôle mal formé : ${error instanceof Error ? error.message : String(error)}`);
  }
  if (origin !== undefined && checkpoint.origin !== origin)
    throw new WitnessError(`point de contrôle d'un autre journal (« ${checkpoint.origin} », attendu « ${origin} »)`);
  return checkpoint;
}

/**
 * Check that `newer` extends `older`: both signed by the log, same origin, and the consistency
 * proof leads from one root to the other. Equal sizes must have equal roots.
 */
export function verifyCheckpointPair(
  olderNote: string,
  newerNote: string,
  proof: readonly Buffer[],
  verifierKey: string,
): { older: Checkpoint; newer: Checkpoint } {
  const older = openSignedCheckpoint(olderNote, verifierKey);
  const newer = openSignedCheckpoint(newerNote, verifierKey, older.origin);
  if (newer.size < older.size)
    throw new WitnessError(
      `retour en arrière (rollback) : le point de contrôle « récent » (${newer.size}) est plus petit que l'ancien (${older.size})`,
    );
  if (older.size === 0n) return { older, newer };
  if (!verifyConsistency(older.size, newer.size, proof, older.root, newer.root)) {
    throw new WitnessError(
      older.size === newer.size
        ? `deux points de contrôle signés à la taille ${older.size} avec des racines différentes : le journal a été réécrit`
        : `les points de contrôle ${older.size} et ${newer.size} sont incohérents : l'arbre signé à ${newer.size} ne prolonge pas celui signé à ${older.size}`,
    );
  }
  return { older, newer };
}

/** Check that a leaf is in the tree a signed checkpoint commits to. */
export function verifyEventInclusion(
  checkpointNote: string,
  verifierKey: string,
  index: bigint,
  leaf: Buffer,
  proof: readonly Buffer[],
): Checkpoint {
  const checkpoint = openSignedCheckpoint(checkpointNote, verifierKey);
  if (!verifyInclusion(index, checkpoint.size, leaf, proof, checkpoint.root))
    throw new WitnessError(`la preuve n'inclut pas l'événement n° ${index} dans l'arbre signé à ${checkpoint.size}`);
  return checkpoint;
}
