import { activeAgreements } from '../../policy/index.ts';
import { inTransaction, type Executor } from '../../store/index.ts';
import { MACHINE_TOKEN_LIFETIME_SECONDS, mintMachineToken } from './access-tokens.ts';
import { purposesOf } from './agreements.ts';
import {
  claimedClientId,
  JWT_BEARER_ASSERTION_TYPE,
  MAX_ASSERTION_LENGTH,
  verifyClientAssertion,
  type AssertionRefusal,
} from './assertion.ts';
import { findMachineClient } from './registry.ts';
import { appendEvent } from '../../ledger/index.ts';

/**
 * RFC 6749 §5.2 error codes this endpoint answers with. Not `invalid_grant`: with client
 * credentials the only grant is the client's own authentication, whose failures are
 * `invalid_client` (RFC 7521 §4.2.1, RFC 7523 §3.2).
 */
export type TokenErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';

/** RFC 6749 §5.1. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export type TokenOutcome =
  { ok: true; response: TokenResponse } | { ok: false; status: 400 | 401; error: TokenErrorCode; description: string };

/** Why a request was refused, as recorded in the security event: a code, never what was sent. */
export type TokenRefusalReason =
  | 'missing_grant_type'
  | 'unsupported_grant_type'
  | 'unsupported_assertion_type'
  | 'missing_assertion'
  | 'client_id_mismatch'
  | 'unknown_client'
  | 'client_revoked'
  | 'organisation_inactive'
  | 'replayed_jti'
  | 'malformed_scope'
  | 'scope_not_agreed'
  | 'no_active_agreement'
  | 'malformed_request'
  | 'multiple_client_authentication'
  | AssertionRefusal;

/** The form fields of a token request, as parsed from application/x-www-form-urlencoded. */
export interface TokenRequestForm {
  grant_type?: string;
  client_assertion_type?: string;
  client_assertion?: string;
  client_id?: string;
  scope?: string;
}

/** The identifiers a client may put in `aud`: the token endpoint, or the server as issuer. */
export function tokenAudiences(publicUrl: string): string[] {
  return [`${publicUrl}/api/oauth/token`, publicUrl];
}

const CLIENT_REFUSED = 'Authentification du client refusée.';

const DESCRIPTIONS: Partial<Record<TokenRefusalReason, string>> = {
  missing_grant_type: 'Paramètre « grant_type » manquant.',
  unsupported_grant_type: 'Seul le type d’autorisation « client_credentials » est accepté.',
  unsupported_assertion_type: `Authentification du client par assertion JWT attendue (client_assertion_type = ${JWT_BEARER_ASSERTION_TYPE}).`,
  missing_assertion: 'Paramètre « client_assertion » manquant.',
  malformed_scope: 'Portée mal formée : des finalités séparées par des espaces sont attendues.',
  scope_not_agreed: 'Portée refusée : une finalité demandée ne figure dans aucune convention active de l’organisation.',
  no_active_agreement: 'Aucune convention active : aucune finalité ne peut être accordée.',
  malformed_request: 'Requête mal formée.',
  multiple_client_authentication:
    'Une seule méthode d’authentification du client par requête : l’assertion JWT (ni en-tête Authorization, ni client_secret).',
};

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function requestedPurposes(scope: string | undefined): string[] | undefined | 'malformed' {
  if (scope === undefined) return undefined;
  const tokens = scope.split(' ').filter(Boolean);
  if (tokens.length === 0 || tokens.length > 50 || tokens.some((t) => t.length > 100 || !SCOPE_TOKEN.test(t)))
    return 'malformed';
  return [...new Set(tokens)];
}

interface Refusal {
  status: 400 | 401;
  error: TokenErrorCode;
  reason: TokenRefusalReason;
  /** Only for a client that exists: an id an attacker made up is not worth recording. */
  clientId?: string;
}

interface Grant {
  clientId: string;
  organisationId: string;
  actorId: string;
  purposes: string[];
  jti: string;
  replayWindowEnd: Date;
}

const invalidClient = (reason: TokenRefusalReason, clientId?: string): Refusal => ({
  status: 401,
  error: 'invalid_client',
  reason,
  ...(clientId ? { clientId } : {}),
});

/** Every check that needs no write, in the order RFC 6749 answers them: request, client, scope. */
async function checkRequest(
  db: Executor,
  publicUrl: string,
  form: TokenRequestForm,
  now: Date,
): Promise<Refusal | Grant> {
  if (!form.grant_type) return { status: 400, error: 'invalid_request', reason: 'missing_grant_type' };
  if (form.grant_type !== 'client_credentials')
    return { status: 400, error: 'unsupported_grant_type', reason: 'unsupported_grant_type' };
  if (form.client_assertion_type !== JWT_BEARER_ASSERTION_TYPE) return invalidClient('unsupported_assertion_type');
  if (!form.client_assertion) return invalidClient('missing_assertion');
  if (form.client_assertion.length > MAX_ASSERTION_LENGTH) return invalidClient('malformed_assertion');

  const claimed = claimedClientId(form.client_assertion);
  if ('refusal' in claimed) return invalidClient(claimed.refusal);
  // RFC 7521 §4.2: client_id is optional, but if sent it must name the client the assertion is from.
  if (form.client_id !== undefined && form.client_id !== claimed.clientId) return invalidClient('client_id_mismatch');
  const record = await findMachineClient(db, claimed.clientId);
  if (!record) return invalidClient('unknown_client');
  const clientId = record.client.id;
  if (record.client.status !== 'active' || record.actorStatus !== 'active')
    return invalidClient('client_revoked', clientId);
  if (record.organisationStatus !== 'active') return invalidClient('organisation_inactive', clientId);

  const verified = await verifyClientAssertion(
    form.client_assertion,
    { clientId, jwks: record.jwks, audiences: tokenAudiences(publicUrl) },
    now,
  );
  if (!verified.ok) return invalidClient(verified.refusal, clientId);

  const requested = requestedPurposes(form.scope);
  if (requested === 'malformed') return { status: 400, error: 'invalid_scope', reason: 'malformed_scope', clientId };
  const agreed = purposesOf(await activeAgreements(db, record.client.organisation_id, now));
  // RFC 6749 §3.3: no scope asked means the default, here everything agreed; nothing agreed, nothing granted.
  if (agreed.length === 0) return { status: 400, error: 'invalid_scope', reason: 'no_active_agreement', clientId };
  if (requested && requested.some((p) => !agreed.includes(p)))
    return { status: 400, error: 'invalid_scope', reason: 'scope_not_agreed', clientId };

  return {
    clientId,
    organisationId: record.client.organisation_id,
    actorId: record.client.actor_id,
    purposes: requested ?? agreed,
    jti: verified.assertion.jti,
    replayWindowEnd: verified.assertion.replayWindowEnd,
  };
}

class ReplayedAssertion extends Error {}

/**
 * Record the jti and mint the token together. The jti's primary key decides a race between
 * two requests carrying the same assertion, even in two processes: one inserts, the other
 * finds it there and its whole transaction is rolled back.
 */
async function mint(db: Executor, grant: Grant, address: string | null, now: Date): Promise<TokenResponse> {
  return inTransaction(db, async (trx) => {
    await trx.deleteFrom('machine_assertion_jtis').where('expires_at', '<', now.toISOString()).execute();
    const seen = await trx
      .insertInto('machine_assertion_jtis')
      .values({ client_id: grant.clientId, jti: grant.jti, expires_at: grant.replayWindowEnd.toISOString() })
      .onConflict((oc) => oc.columns(['client_id', 'jti']).doNothing())
      .executeTakeFirst();
    if (Number(seen.numInsertedOrUpdatedRows ?? 0) !== 1) throw new ReplayedAssertion();
    const minted = await mintMachineToken(trx, grant, now);
    const scope = grant.purposes.join(' ');
    await appendEvent(trx, 'machine_token_issued', {
      address,
      details: {
        clientId: grant.clientId,
        actorId: grant.actorId,
        organisationId: grant.organisationId,
        tokenId: minted.id,
        scope,
        jti: grant.jti,
        expiresAt: minted.expiresAt,
      },
    });
    return { access_token: minted.token, token_type: 'Bearer', expires_in: MACHINE_TOKEN_LIFETIME_SECONDS, scope };
  });
}

/** Record a refusal: its reason code and, for a real client, its id; never the assertion. */
export async function recordTokenRefusal(
  db: Executor,
  reason: TokenRefusalReason,
  address: string | null,
  clientId?: string,
): Promise<void> {
  await appendEvent(db, 'machine_token_refused', { address, details: { reason, ...(clientId ? { clientId } : {}) } });
}

export function refusalDescription(reason: TokenRefusalReason): string {
  return DESCRIPTIONS[reason] ?? CLIENT_REFUSED;
}

function refused(refusal: Refusal): TokenOutcome {
  return { ok: false, status: refusal.status, error: refusal.error, description: refusalDescription(refusal.reason) };
}

/**
 * RFC 6749 §4.4 client credentials grant, the client authenticated by a JWT it signed
 * (private_key_jwt, RFC 7523 §2.2). Every refusal leaves one security event and nothing else;
 * a success writes the jti, the token and its event in one transaction. Any fault of the
 * assertion is `invalid_client` (RFC 7521 §4.2.1): the reason code in the event tells the
 * operator which claim, the answer tells an attacker nothing more.
 */
export async function issueClientCredentialsToken(
  db: Executor,
  publicUrl: string,
  form: TokenRequestForm,
  address: string | null,
  now = new Date(),
): Promise<TokenOutcome> {
  const checked = await checkRequest(db, publicUrl, form, now);
  if ('error' in checked) {
    await recordTokenRefusal(db, checked.reason, address, checked.clientId);
    return refused(checked);
  }
  try {
    return { ok: true, response: await mint(db, checked, address, now) };
  } catch (error) {
    if (!(error instanceof ReplayedAssertion)) throw error;
    const refusal = invalidClient('replayed_jti', checked.clientId);
    await recordTokenRefusal(db, refusal.reason, address, refusal.clientId);
    return refused(refusal);
  }
}
