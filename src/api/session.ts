import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  awaitsSecondFactor,
  csrfMatches,
  hasRecentSecondFactor,
  hasUsableSecondFactor,
  networkOf,
  resolveSession,
  SESSION_COOKIE,
  staffMemberOf,
  type ClientContext,
  type StaffMember,
} from '../identity/index.ts';
import type { AccountsTable, Executor, SessionsTable } from '../store/index.ts';
import { appendEvent, updateEventContext } from '../ledger/index.ts';
import { can, securityContactOf, type AbilitySubject, type AbilityVerb } from '../policy/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    session?: SessionsTable;
    account?: AccountsTable;
    /** A staff account's actor and organisation, read with the session. */
    sessionStaff?: StaffMember;
    /** The version of the policy data at this request (see policy's cache). */
    policyVersion?: number;
    /** The session is presented from another network and waits for a second factor from there. */
    sessionHeldForNewNetwork?: boolean;
  }
  interface FastifyContextConfig {
    /**
     * Reachable by a session that still has to pass its second factor: `always` (sign out,
     * pass the factor), or `first_enrolment` (enrol one, only while the account has none:
     * otherwise a stolen password could enrol the thief's own app and skip the real factor).
     */
    beforeSecondFactor?: 'always' | 'first_enrolment';
  }
}

/** A contained account's answer, on the read that tripped the guard and on every request after it. */
export const CONTAINED_MESSAGE =
  'Votre compte est suspendu par mesure de sécurité : la surveillance des consultations a relevé une activité inhabituelle et a fermé vos sessions. Ce n’est pas une sanction : le référent sécurité de votre organisation examine la situation avec vous et peut rétablir l’accès.';

export function clientOf(request: FastifyRequest): ClientContext {
  return {
    address: request.ip,
    userAgent: String(request.headers['user-agent'] ?? '').slice(0, 512),
    acceptLanguage: String(request.headers['accept-language'] ?? '').slice(0, 128),
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The caller's session from its cookie, or 401. Every state-changing request must also carry
 * the session's CSRF token in `x-csrf-token` (SameSite=Strict alone is not enough), or 403.
 */
export function requireSession(db: Executor) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = request.cookies[SESSION_COOKIE];
    const resolved = token
      ? await resolveSession(db, token, clientOf(request))
      : ({ ok: false, reason: 'unknown' } as const);
    if (!resolved.ok && resolved.reason === 'contained') {
      // Said as it is, where it happened: suspended for security, and whom to call.
      const contact = resolved.organisationId ? await securityContactOf(db, resolved.organisationId) : undefined;
      void reply
        .clearCookie(SESSION_COOKIE, { path: '/' })
        .status(401)
        .send({
          error: 'session_contained',
          message: CONTAINED_MESSAGE,
          ...(contact ? { securityContact: contact } : {}),
          requestId: request.id,
        });
      return reply;
    }
    if (!resolved.ok) {
      void reply
        .clearCookie(SESSION_COOKIE, { path: '/' })
        .status(401)
        .send({
          error: `session_${resolved.reason}`,
          message: 'Session absente ou expirée : reconnectez-vous.',
          requestId: request.id,
        });
      return reply;
    }
    if (
      !SAFE_METHODS.has(request.method) &&
      !csrfMatches(resolved.session, request.headers['x-csrf-token'] as string | undefined)
    ) {
      void reply
        .status(403)
        .send({ error: 'csrf_failed', message: 'Jeton anti-falsification absent ou invalide.', requestId: request.id });
      return reply;
    }
    const account = resolved.account;
    if (account.status !== 'active') {
      void reply.status(401).send({ error: 'session_unknown', message: 'Compte inactif.', requestId: request.id });
      return reply;
    }
    const allowed = request.routeOptions.config.beforeSecondFactor;
    // A session seen from a new network (a cookie that travelled, maybe with its user agent) does
    // nothing — no file, factor, channel, bank detail or export — until a second factor is passed
    // from that network; passing it re-issues the session bound there.
    if (resolved.heldForNewNetwork && allowed !== 'always') {
      if (resolved.staff) {
        const actor = {
          id: resolved.staff.actorId,
          organisationId: resolved.staff.organisationId,
          accountId: account.id,
          session: { publicId: resolved.session.public_id, network: resolved.session.network },
        };
        // Only an alert: the request is refused below whatever the guard answers.
        await request.server.guard
          .noteSessionHeld(actor, networkOf(request.ip))
          .catch((error: unknown) =>
            request.log.error({ err: { message: String(error) } }, 'the guard could not record a moved session'),
          );
      }
      await appendEvent(db, 'step_up_required', {
        accountId: account.id,
        address: request.ip,
        details: {
          reason: 'new_network',
          route: request.routeOptions.url ?? '',
          session: resolved.session.public_id,
          boundTo: resolved.session.network,
          seenFrom: networkOf(request.ip),
        },
      });
      void reply.status(403).send({
        error: 'step_up_required',
        reason: 'new_network',
        message:
          'Votre session est utilisée depuis un nouveau réseau : validez à nouveau votre second facteur (code ou clé d’accès) depuis ce réseau avant toute opération.',
        requestId: request.id,
      });
      return reply;
    }
    // A password alone opens nothing but the way to the second factor (staff always need one).
    if (
      awaitsSecondFactor(resolved.session) &&
      (!allowed || (allowed === 'first_enrolment' && (await hasUsableSecondFactor(db, resolved.account.id))))
    ) {
      void reply.status(403).send({
        error: 'second_factor_required',
        message: 'Second facteur requis : validez-le ou enrôlez-en un.',
        requestId: request.id,
      });
      return reply;
    }
    request.session = resolved.session;
    request.account = account;
    if (resolved.staff) request.sessionStaff = resolved.staff;
    request.policyVersion = resolved.policyVersion;
    request.sessionHeldForNewNetwork = resolved.heldForNewNetwork;
    updateEventContext({ accountId: account.id, sessionId: resolved.session.public_id });
  };
}

/**
 * Step-up, after requireSession: sensitive operations (bank details, exports, break-glass,
 * account administration) need a second factor passed within the last five minutes, so a
 * session left open or lifted from a browser cannot do them on its own.
 */
export function requireRecentSecondFactor(db: Executor) {
  return async function stepUp(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const session = request.session;
    if (session && hasRecentSecondFactor(session.second_factor_at)) return;
    await appendEvent(db, 'step_up_required', {
      accountId: request.account?.id ?? null,
      address: request.ip,
      details: { route: request.routeOptions.url ?? '' },
    });
    void reply.status(403).send({
      error: 'step_up_required',
      message:
        'Opération sensible : validez à nouveau votre second facteur (code ou clé d’accès), puis recommencez dans les 5 minutes.',
      requestId: request.id,
    });
    return reply;
  };
}

/**
 * After requireSession, for a desk's routes: the signed-in staff member may do `verb` on
 * `subject` (src/policy/abilities.ts), or the request is refused with `refusal`; a contained
 * (suspended) actor or a suspended organisation acts on nothing, whatever its roles (403
 * `actor_inactive`); the member is then on the request and in the events' context.
 */
export function requireAbility<S extends AbilitySubject>(
  db: Executor,
  verb: AbilityVerb<S>,
  subject: S,
  refusal: { error: string; message: string },
) {
  return async function ability(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const staff = request.account ? await staffMemberOf(db, request.account.id) : undefined;
    if (!staff || !can(staff, verb, subject)) {
      void reply.status(403).send({ ...refusal, requestId: request.id });
      return reply;
    }
    if (staff.actorStatus !== 'active' || staff.organisationStatus !== 'active') {
      void reply.status(403).send({
        error: 'actor_inactive',
        message: 'Votre compte ou votre organisation est suspendu.',
        requestId: request.id,
      });
      return reply;
    }
    request.staff = staff;
    updateEventContext({ actorId: staff.actorId, organisationId: staff.organisationId });
  };
}
