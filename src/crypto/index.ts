export { blindIndex } from './blind-index.ts';
export { openField, rewrapDataKey, sealField, type SealedField } from './envelope.ts';
export { DecryptionError, KeyringError } from './errors.ts';
export { KeyringHolder, type KeyringAccess } from './keyring-holder.ts';
export { openSecret, sealSecret, type SealedSecret } from './secrets.ts';
export {
  BLIND_INDEX_KINDS,
  KEY_SERIES,
  Keyring,
  readKeyring,
  writeKeyringFile,
  type BlindIndexKind,
  type KeyFingerprint,
  type KeyringSource,
  type KeySeries,
} from './keyring.ts';
