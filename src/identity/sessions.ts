import { sql } from 'kysely';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { OrganisationKind } from '../domain/index.ts';
import type { AccountsTable, Executor, SessionsTable } from '../store/index.ts';
import { hashToken } from './tokens.ts';
import type { StaffMember } from './staff.ts';
import { appendEvent } from '../ledger/index.ts';
import { hasUsableSecondFactor } from './passkeys/policy.ts';

export const SESSION_COOKIE = 'rempart_session';

/** Staff sessions die after 15 idle minutes; everyone's after 12 hours whatever happens. */
export const SESSION_LIMITS = {
  staff: { idleSeconds: 15 * 60, absoluteSeconds: 12 * 60 * 60 },
  job_seeker: { idleSeconds: 30 * 60, absoluteSeconds: 12 * 60 * 60 },
} as const;

/** last_seen_at is written at most this often: a write per request would cost more than the check. */
const TOUCH_EVERY_MS = 30_000;

export interface ClientContext {
  address: string;
  userAgent: string;
  acceptLanguage: string;
}

/** The network a session is bound to: the /24 of an IPv4 address, the /48 of an IPv6 one. */
export function networkOf(address: string): string {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return v4.split('.').slice(0, 3).join('.') + '.0/24';
  if (isIPv6(address)) {
    const [head = '', tail = ''] = address.split('::');
    const headParts = head ? head.split(':') : [];
    const tailParts = tail ? tail.split(':') : [];
    const full = address.includes('::')
      ? [...headParts, ...Array(8 - headParts.length - tailParts.length).fill('0'), ...tailParts]
      : address.split(':');
    return (
      full
        .slice(0, 3)
        .map((p) => p.padStart(4, '0'))
        .join(':') + '::/48'
    );
  }
  return 'unknown';
}

/** A hash of what the browser says of itself: not proof of anything, but a stolen cookie rarely brings it along. */
export function fingerprintOf(client: ClientContext): string {
  return hashToken(`${client.userAgent}\n${client.acceptLanguage}`);
}

export interface IssuedSession {
  token: string;
  csrfToken: string;
  publicId: string;
  expiresAt: string;
}

/**
 * The session's anti-forgery token, derived from the session token (a secret only the cookie
 * holds): the server can hand it again to the page that holds the cookie (`GET /api/auth/session`,
 * same origin only), so a reloaded page or a second tab can still act, while another site, which
 * can send the cookie but not read a response, cannot learn it.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('rempart-csrf-v1').digest('base64url');
}

export async function createSession(
  db: Executor,
  accountId: string,
  kind: keyof typeof SESSION_LIMITS,
  client: ClientContext,
  options: { secondFactorAt?: string | null; requiresSecondFactor?: boolean; expiresAt?: string; now?: Date } = {},
): Promise<IssuedSession> {
  const now = options.now ?? new Date();
  const token = randomBytes(32).toString('base64url');
  const csrfToken = csrfTokenFor(token);
  const publicId = randomBytes(12).toString('base64url');
  const limits = SESSION_LIMITS[kind];
  const expiresAt = options.expiresAt ?? new Date(now.getTime() + limits.absoluteSeconds * 1000).toISOString();
  await db
    .insertInto('sessions')
    .values({
      id_hash: hashToken(token),
      public_id: publicId,
      account_id: accountId,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: expiresAt,
      idle_seconds: limits.idleSeconds,
      second_factor_at: options.secondFactorAt ?? null,
      requires_second_factor: options.requiresSecondFactor ? 1 : 0,
      network: networkOf(client.address),
      fingerprint: fingerprintOf(client),
      csrf_hash: hashToken(csrfToken),
      revoked_at: null,
      revoked_reason: null,
    })
    .execute();
  return { token, csrfToken, publicId, expiresAt };
}

/** Why a session is refused; `contained`: revoked by the guard's containment of its actor (the page says so, not « expired »). */
export type SessionRejection = 'unknown' | 'revoked' | 'contained' | 'expired' | 'idle' | 'client_changed' | 'moved';

/** What the session query joins to the session row. */
interface SessionJoin {
  a_kind: AccountsTable['kind'];
  a_actor_id: string | null;
  a_person_id: string | null;
  a_login: string;
  a_password_hash: string | null;
  a_status: AccountsTable['status'];
  a_created_at: string;
  a_last_login_at: string | null;
  a_password_changed_at: string | null;
  s_roles: string | null;
  s_actor_status: string | null;
  s_organisation_id: string | null;
  s_organisation_kind: string | null;
  s_organisation_status: string | null;
  policy_version: number | string | null;
}

export type ResolvedSession =
  | {
      ok: true;
      session: SessionsTable;
      account: AccountsTable;
      /** For a staff account: its actor and organisation, read with the session (same freshness). */
      staff?: StaffMember;
      /** The version of the policy data (organisations, agreements, derogations) at this request. */
      policyVersion: number;
      /**
       * The session is presented from another network than the one it is bound to: until a second
       * factor is passed from that network (which re-issues it there), it may do nothing but pass
       * that factor or sign out. Its own network keeps using it as before.
       */
      heldForNewNetwork: boolean;
    }
  | { ok: false; reason: SessionRejection; organisationId?: string };

/** Why a session is past its absolute or idle limit, if it is. */
function lapse(session: SessionsTable, now: Date): 'expired' | 'idle' | undefined {
  if (now >= new Date(session.expires_at)) return 'expired';
  if (now.getTime() - new Date(session.last_seen_at).getTime() > session.idle_seconds * 1000) return 'idle';
  return undefined;
}

/** Not revoked, not expired, not idle: for checks made without the session's cookie (an OIDC callback). */
export function isSessionLive(session: SessionsTable, now = new Date()): boolean {
  return session.revoked_at === null && lapse(session, now) === undefined;
}

/**
 * The session a cookie names, if still good. A session is bound to the network it was issued on
 * (see `networkOf`); presented from another one, it is a cookie that travelled (an infostealer
 * replays the user agent too), so:
 * - from another network AND another browser, it is revoked on the spot (`client_changed`);
 * - from another network, for an account with no second factor it could pass, it is revoked too
 *   (`moved`): nothing could prove the holder is there, so the holder signs in again;
 * - otherwise it is held (`heldForNewNetwork`): nothing but passing a second factor from the new
 *   network, which re-issues the session bound to it. A thief holding the cookie alone gets
 *   nothing, and the owner, still on the original network, is not disturbed.
 */
export async function resolveSession(
  db: Executor,
  token: string,
  client: ClientContext,
  now = new Date(),
): Promise<ResolvedSession> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { ok: false, reason: 'unknown' };
  // Session, account, the staff member's actor and organisation, and the version of the policy
  // data decisions cache, in one query: this runs on every authenticated request, and what it
  // reads (revocation, containment, suspension) is always the committed state, never a cache.
  // Written in SQL, not with the query builder: on every request, building the query cost more than running it.
  const row = (
    await sql<SessionsTable & SessionJoin>`
      SELECT s.*, a.kind AS a_kind, a.actor_id AS a_actor_id, a.person_id AS a_person_id, a.login AS a_login, a.password_hash AS a_password_hash,
        a.status AS a_status, a.created_at AS a_created_at, a.last_login_at AS a_last_login_at, a.password_changed_at AS a_password_changed_at,
        ac.roles AS s_roles, ac.status AS s_actor_status, o.id AS s_organisation_id, o.kind AS s_organisation_kind, o.status AS s_organisation_status,
        (SELECT version FROM policy_epoch WHERE id = 1) AS policy_version
      FROM sessions s
      JOIN accounts a ON a.id = s.account_id
      LEFT JOIN actors ac ON ac.id = a.actor_id
      LEFT JOIN organisations o ON o.id = ac.organisation_id
      WHERE s.id_hash = ${hashToken(token)}`.execute(db)
  ).rows[0];
  if (!row) return { ok: false, reason: 'unknown' };
  const {
    a_kind,
    a_actor_id,
    a_person_id,
    a_login,
    a_password_hash,
    a_status,
    a_created_at,
    a_last_login_at,
    a_password_changed_at,
    s_roles,
    s_actor_status,
    s_organisation_id,
    s_organisation_kind,
    s_organisation_status,
    policy_version,
    ...session
  } = row;
  const account: AccountsTable = {
    id: session.account_id,
    kind: a_kind,
    actor_id: a_actor_id,
    person_id: a_person_id,
    login: a_login,
    password_hash: a_password_hash,
    status: a_status,
    created_at: a_created_at,
    last_login_at: a_last_login_at,
    password_changed_at: a_password_changed_at,
  };
  const staff: StaffMember | undefined =
    a_kind === 'staff' &&
    a_actor_id &&
    s_organisation_id &&
    s_roles !== null &&
    s_actor_status !== null &&
    s_organisation_kind !== null &&
    s_organisation_status !== null
      ? {
          accountId: account.id,
          login: a_login,
          actorId: a_actor_id,
          organisationId: s_organisation_id,
          organisationKind: s_organisation_kind as OrganisationKind,
          organisationStatus: s_organisation_status,
          actorStatus: s_actor_status,
          roles: JSON.parse(s_roles) as string[],
        }
      : undefined;
  if (session.revoked_at)
    return session.revoked_reason === 'guard_containment' && s_organisation_id
      ? { ok: false, reason: 'contained', organisationId: s_organisation_id }
      : { ok: false, reason: 'revoked' };
  const moved = session.network !== networkOf(client.address);
  const clientChanged = moved && session.fingerprint !== fingerprintOf(client);
  let rejection: SessionRejection | undefined = lapse(session, now) ?? (clientChanged ? 'client_changed' : undefined);
  // Only when the network changed (rare): one more query to know whether a factor could lift the hold.
  if (!rejection && moved && !(await hasUsableSecondFactor(db, account.id))) rejection = 'moved';
  if (rejection) {
    await revoke(db, session.id_hash, rejection, now);
    await appendEvent(db, 'session_rejected', {
      accountId: session.account_id,
      address: client.address,
      details: { session: session.public_id, reason: rejection },
    });
    return { ok: false, reason: rejection };
  }
  // A held session is not kept alive from the new network: replaying a cookie must not stretch its idle limit.
  if (!moved && now.getTime() - new Date(session.last_seen_at).getTime() > TOUCH_EVERY_MS) {
    await db
      .updateTable('sessions')
      .set({ last_seen_at: now.toISOString() })
      .where('id_hash', '=', session.id_hash)
      .execute();
  }
  return {
    ok: true,
    session,
    account,
    ...(staff ? { staff } : {}),
    policyVersion: Number(policy_version ?? 0),
    heldForNewNetwork: moved,
  };
}

/**
 * A second factor just passed: the session gets a new id (the old cookie dies) and the time
 * of the factor, for step-up checks. The absolute expiry stays that of the first login.
 */
export async function upgradeSession(
  db: Executor,
  session: SessionsTable,
  kind: keyof typeof SESSION_LIMITS,
  client: ClientContext,
  now = new Date(),
): Promise<IssuedSession> {
  return reissueSession(db, session, kind, client, now.toISOString(), now);
}

/**
 * The same session under a new id (the old cookie dies), as after a second factor or a password
 * changed: `secondFactorAt` is the time of the last second factor the new id carries (the old
 * one's when none was passed now). The absolute expiry stays that of the first login.
 */
export async function reissueSession(
  db: Executor,
  session: SessionsTable,
  kind: keyof typeof SESSION_LIMITS,
  client: ClientContext,
  secondFactorAt: string | null,
  now = new Date(),
): Promise<IssuedSession> {
  const issued = await createSession(db, session.account_id, kind, client, {
    secondFactorAt,
    requiresSecondFactor: session.requires_second_factor === 1,
    expiresAt: session.expires_at,
    now,
  });
  await revoke(db, session.id_hash, 'rotated', now);
  return issued;
}

/** The session may not be used for anything but passing or enrolling a second factor. */
export function awaitsSecondFactor(session: SessionsTable): boolean {
  return session.requires_second_factor === 1 && session.second_factor_at === null;
}

export function csrfMatches(session: SessionsTable, presented: string | undefined): boolean {
  if (!presented || presented.length > 100) return false;
  const expected = Buffer.from(session.csrf_hash, 'hex');
  const actual = Buffer.from(hashToken(presented), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

async function revoke(db: Executor, idHash: string, reason: string, now = new Date()): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revoked_at: now.toISOString(), revoked_reason: reason })
    .where('id_hash', '=', idHash)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Revoke one of the account's own sessions by its public id; false if it is not theirs. */
export async function revokeSession(
  db: Executor,
  accountId: string,
  publicId: string,
  reason: string,
): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: new Date().toISOString(), revoked_reason: reason })
    .where('account_id', '=', accountId)
    .where('public_id', '=', publicId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function revokeAllSessions(
  db: Executor,
  accountId: string,
  reason: string,
  exceptPublicId?: string,
): Promise<number> {
  return revokeSessions(db, { accounts: [accountId], ...(exceptPublicId ? { except: exceptPublicId } : {}) }, reason);
}

/**
 * Revoke the live sessions of these accounts and these sessions (by public id), all but the one
 * kept; how many. Every revocation of sessions, whoever orders it, is this one statement.
 */
export async function revokeSessions(
  db: Executor,
  which: { accounts?: readonly string[]; publicIds?: readonly string[]; except?: string },
  reason: string,
  at = new Date(),
): Promise<number> {
  const accounts = which.accounts ?? [];
  const publicIds = which.publicIds ?? [];
  if (!accounts.length && !publicIds.length) return 0;
  let query = db
    .updateTable('sessions')
    .set({ revoked_at: at.toISOString(), revoked_reason: reason })
    .where((eb) =>
      eb.or([
        ...(accounts.length ? [eb('account_id', 'in', [...accounts])] : []),
        ...(publicIds.length ? [eb('public_id', 'in', [...publicIds])] : []),
      ]),
    )
    .where('revoked_at', 'is', null);
  if (which.except) query = query.where('public_id', '!=', which.except);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function listSessions(db: Executor, accountId: string, now = new Date()) {
  const rows = await db
    .selectFrom('sessions')
    .select(['public_id', 'created_at', 'last_seen_at', 'expires_at', 'network', 'second_factor_at'])
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.public_id,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
    network: r.network,
    secondFactorAt: r.second_factor_at,
  }));
}
