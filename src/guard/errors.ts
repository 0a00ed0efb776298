/** The guard could not reach its state: the read is refused (fail closed), never let through. */
export class GuardUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`guard state unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'GuardUnavailableError';
  }
}
