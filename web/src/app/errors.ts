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

/**
 * A passkey asked for at another address than the one its relying party names (Rempart opened at
 * http://127.0.0.1:3000 while its keys belong to localhost): the browser would refuse it with an
 * error that reads like a network failure, so it is said before, with the address to open.
 */
export class PasskeyAddressError extends Error {
  constructor(
    readonly relyingPartyId: string,
    readonly currentHost: string,
    readonly addressToOpen: string,
  ) {
    super(
      `Les clés d’accès de Rempart ne fonctionnent qu’à l’adresse ${relyingPartyId} : vous êtes sur ${currentHost}. Ouvrez ${addressToOpen} et recommencez ; l’application d’authentification, elle, fonctionne ici.`,
    );
    this.name = 'PasskeyAddressError';
  }
}

/** Whether the page's host may use passkeys of this relying party (equal, or a subdomain of it). */
export function passkeyAddressMatches(relyingPartyId: string, host: string): boolean {
  return host === relyingPartyId || host.endsWith(`.${relyingPartyId}`);
}

function comparable(text: string): string {
  return text
    .toLocaleLowerCase('fr')
    .replace(/[\s.!…]+$/u, '')
    .trim();
}

/** A fragment (« au moins 12 caractères ; … ») made a sentence: a capital and a full stop. */
function asSentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  const capital = trimmed.charAt(0).toLocaleUpperCase('fr') + trimmed.slice(1);
  return /[.!?…)]$/u.test(capital) ? capital : `${capital}.`;
}

/**
 * What the server said of one field (named `body.newPassword` or `newPassword` in its issues), in
 * sentences, to show next to that field; '' when it said nothing of it.
 */
export function fieldError(error: unknown, field: string): string {
  if (!(error instanceof ApiError)) return '';
  return error.issues
    .filter((issue) => issue.field === `body.${field}` || issue.field === field)
    .map((issue) => asSentence(issue.message))
    .filter(Boolean)
    .join(' ');
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
  if (error instanceof PasskeyAddressError) return error.message;
  // The browser's own refusal of a relying party that is not this page's (WebAuthn's SecurityError).
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERROR_INVALID_RP_ID' || (error instanceof Error && error.name === 'SecurityError'))
    return 'Les clés d’accès ne fonctionnent pas à cette adresse de Rempart : ouvrez l’adresse indiquée par votre service (par exemple http://localhost:3000 et non 127.0.0.1), ou utilisez l’application d’authentification.';
  if (error instanceof DOMException && error.name === 'NotAllowedError')
    return 'Opération annulée ou délai dépassé : réessayez.';
  return 'Le service ne répond pas : vérifiez votre connexion et réessayez.';
}
