export { blindIndex } from './blind-index.ts';
export { openField, rewrapDataKey, sealField, type SealedField } from './envelope.ts';
export { DecryptionError, KeyringError } from './errors.ts';
export { fixedKeyring, KeyringHolder, type KeyringAccess } from './keyring-holder.ts';
export {
  BLIND_INDEX_KINDS,
  Keyring,
  keyFingerprint,
  readKeyring,
  writeKeyringFile,
  type BlindIndexKind,
  type KeyFingerprint,
  type KeyringSource,
} from './keyring.ts';
