/** One broken rule, named so that a client can point at the field: `field` is a dotted path. */
export interface ValidationIssue {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

/** Bad input: the caller answers 400 (or exits 2 on the command line) and writes nothing. */
export class ValidationError extends Error {
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[]) {
    const first = issues[0];
    super(first ? `${first.field}: ${first.message}` : 'invalid input');
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

export class NotFoundError extends Error {
  constructor(readonly resource: string) {
    super(`${resource} introuvable`);
    this.name = 'NotFoundError';
  }
}

/** The request cannot be honoured in the resource's current state (for example an erased person). */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** The caller is known but this operation is not theirs to do (four eyes, wrong organisation, missing role). */
export class ForbiddenError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ForbiddenError';
  }
}
