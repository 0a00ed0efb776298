import { statSync } from 'node:fs';
import { KeyringError } from './errors.ts';
import { readKeyring, type Keyring, type KeyringSource } from './keyring.ts';

/** What the store needs: the keyring in force, and a way to look again when a version is unknown. */
export interface KeyringAccess {
  readonly current: Keyring;
  /** Re-read the source now; true if a newer keyring was taken. */
  refresh(): boolean;
}

/**
 * A running server follows `rempart keys rotate` run beside it: when the keyring file changes,
 * the new one is taken, but only if it is the same keyring grown (same id, every known key
 * unchanged). A different keyring dropped in place is ignored, never hot-swapped.
 */
export class KeyringHolder implements KeyringAccess {
  #keyring: Keyring;
  readonly #source: KeyringSource;
  readonly #checkEveryMs: number;
  #mtimeMs: number;
  #checkedAt = Date.now();

  constructor(keyring: Keyring, source: KeyringSource, options: { checkEveryMs?: number } = {}) {
    this.#keyring = keyring;
    this.#source = source;
    this.#checkEveryMs = options.checkEveryMs ?? 1000;
    this.#mtimeMs = this.#mtime();
  }

  get current(): Keyring {
    if (this.#source.kind === 'file' && Date.now() - this.#checkedAt >= this.#checkEveryMs) this.refresh();
    return this.#keyring;
  }

  refresh(): boolean {
    this.#checkedAt = Date.now();
    if (this.#source.kind !== 'file') return false;
    const mtime = this.#mtime();
    if (mtime === this.#mtimeMs) return false;
    this.#mtimeMs = mtime;
    let next: Keyring;
    try {
      next = readKeyring(this.#source);
    } catch (error) {
      if (error instanceof KeyringError) return false;
      throw error;
    }
    if (!extends_(this.#keyring, next)) return false;
    this.#keyring = next;
    return true;
  }

  #mtime(): number {
    if (this.#source.kind !== 'file') return 0;
    try {
      return statSync(this.#source.path).mtimeMs;
    } catch {
      return -1;
    }
  }
}

function extends_(old: Keyring, next: Keyring): boolean {
  if (old.id !== next.id) return false;
  const known = new Map(next.fingerprints().map((f) => [`${f.purpose}#${f.version}`, f.fingerprint]));
  return old.fingerprints().every((f) => known.get(`${f.purpose}#${f.version}`) === f.fingerprint);
}
