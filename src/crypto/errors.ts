/** The keyring is missing, malformed, or does not hold the keys this store was written with. */
export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

/**
 * A ciphertext or wrapped key failed authentication: it was altered, moved to another person
 * or field class, or its key was destroyed. Carries only identifiers, never bytes or values.
 */
export class DecryptionError extends Error {
  constructor(
    readonly personId: string,
    readonly fieldClass: string,
    readonly reason: 'tampered' | 'unknown_key' | 'shredded' | 'malformed',
  ) {
    super(`cannot decrypt ${fieldClass} of person ${personId}: ${reason}`);
    this.name = 'DecryptionError';
  }
}
