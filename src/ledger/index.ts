export { consistencyProof, EMPTY_ROOT, HASH_BYTES, inclusionProof, leafHash, nodeHash, ProofError, rootFromInclusionProof, rootOf, verifyConsistency, verifyInclusion } from './merkle.ts';
