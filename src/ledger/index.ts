export { formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.ts';
export { consistencyProof, EMPTY_ROOT, HASH_BYTES, inclusionProof, leafHash, nodeHash, ProofError, rootFromInclusionProof, rootOf, verifyConsistency, verifyInclusion } from './merkle.ts';
export { keyId, NoteError, openNote, parseSignerKey, parseVerifierKey, signerFromSeed, signNote, verifierKeyOf, type NoteSigner, type NoteVerifier } from './note.ts';
export { StoredTree } from './stored-tree.ts';
export { completedSubtrees, consistencyPath, inclusionPath, rangeHash, rootAt, type SubtreeSource } from './tree.ts';
