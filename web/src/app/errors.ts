/**
 * The API's failures as the web application holds them, and the sentence it shows for one. No
 * browser API here: the sentence is tested without a browser (test/unit/web-explain.test.ts).
 */

export interface ApiIssue {
  field: string;
  rule: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: ApiIssue[];
  constructor(status: number, code: string, message: string, issues: ApiIssue[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

function comparable(text: string): string {
  return text
    .toLocaleLowerCase('fr')
    .replace(/[\s.!…]+$/u, '')
    .trim();
}

/** The message to show for a failure: the server's French message and, for bad input, each field's. */
export function explain(error: unknown): string {
  if (error instanceof ApiError) {
    // A validation error's message may already quote its issues (in another case, with a full
    // stop): add only the ones it does not say, so that no message is shown twice.
    const said = comparable(error.message);
    const details = error.issues.map((issue) => issue.message).filter((m) => m && !said.includes(comparable(m)));
    return details.length ? `${error.message} (${details.join(' ; ')})` : error.message;
  }
  if (error instanceof DOMException && error.name === 'NotAllowedError')
    return 'Opération annulée ou délai dépassé : réessayez.';
  return 'Le service ne répond pas : vérifiez votre connexion et réessayez.';
}
