import { performance } from 'node:perf_hooks';
import { MINUTE_MS, SECOND_MS } from '../clock.ts';
import { actorIdOf, newClient, signIn, Traffic, type SimContext } from '../context.ts';
import { exposureOf } from '../measure.ts';
import { checkGoals, type ScenarioReport } from '../report.ts';
import { lockedOut } from './common.ts';

const VICTIM = 'conseiller.bastide.1';
const PURPOSE = 'accompagnement';

export const SESSION_THEFT_VARIANTS = ['same-browser', 'other-browser'] as const;
export type SessionTheftVariant = (typeof SESSION_THEFT_VARIANTS)[number];

/**
 * A counsellor's session cookie lifted by an infostealer (2025) and replayed from the thief's
 * machine, with the CSRF token; `same-browser` also copies the user agent and language, as
 * infostealers do, `other-browser` does not.
 */
export async function sessionTheft(ctx: SimContext, variant: SessionTheftVariant): Promise<ScenarioReport> {
  const victimTraffic = new Traffic();
  const actorId = await actorIdOf(ctx, VICTIM);
  const victim = await signIn(ctx, actorId, newClient(ctx), victimTraffic);
  // The counsellor's morning: their caseload, three files, a follow-up each.
  const caseload = await victim.request('GET', '/api/staff/caseload?pageSize=50', { purpose: PURPOSE });
  const own = ((caseload.body.items as Array<{ id: string }> | undefined) ?? []).map((i) => i.id);
  for (const personId of own.slice(0, 3)) {
    ctx.clock.advance(4 * MINUTE_MS);
    await victim.request('GET', `/api/staff/persons/${personId}`, { purpose: PURPOSE });
  }

  ctx.clock.advance(30 * MINUTE_MS);
  const traffic = new Traffic();
  const base = newClient(ctx);
  const thiefClient =
    variant === 'same-browser'
      ? { ...base, userAgent: victim.client.userAgent, acceptLanguage: victim.client.acceptLanguage }
      : base;
  const thief = victim.stolenBy(thiefClient, traffic);
  const startedSim = ctx.clock.now();
  const startedWall = performance.now();
  let containedWallMs: number | null = null;
  let containedSimMs = 0;
  let listed = 0;
  const revokedAt = async () =>
    await ctx.db
      .selectFrom('sessions')
      .select(['revoked_at', 'revoked_reason'])
      .where('public_id', '=', victim.session.publicId)
      .executeTakeFirstOrThrow();
  const watch = async () => {
    if (containedWallMs === null && (await revokedAt()).revoked_at) {
      containedWallMs = performance.now() - startedWall;
      // Revoked during the request just answered, at the simulated time it was made.
      containedSimMs = ctx.clock.now().getTime() - startedSim.getTime();
    }
  };

  const list = await thief.request('GET', '/api/staff/caseload?pageSize=100', { purpose: PURPOSE });
  await watch();
  const targets = ((list.body.items as Array<{ id: string }> | undefined) ?? []).map((i) => i.id);
  listed = targets.length;
  let lockouts = lockedOut(list) ? 1 : 0;
  for (const personId of targets.length ? targets : own) {
    if (lockouts >= 3) break;
    ctx.clock.advance(SECOND_MS);
    const read = await thief.request('GET', `/api/staff/persons/${personId}`, { purpose: PURPOSE });
    await watch();
    if (lockedOut(read)) lockouts++;
  }

  const session = await revokedAt();
  const exposure = await exposureOf(ctx, [actorId], { address: thiefClient.address });
  const notes = [
    `session de ${VICTIM} ouverte depuis ${victim.client.network}, rejouée depuis ${thiefClient.network} ${variant === 'same-browser' ? 'avec le même navigateur (user agent et langue copiés)' : 'avec un autre navigateur'}`,
    `identifiants de dossiers listés par le portefeuille avant la révocation : ${listed} (pseudonymes, aucune donnée ; la liste du portefeuille ne passe pas par la garde)`,
    `session : ${session.revoked_at ? `révoquée (${session.revoked_reason ?? '?'})` : 'toujours valide'}`,
  ];
  const r: Omit<ScenarioReport, 'goals'> = {
    scenario: 'session-theft',
    variant,
    title: `cookie de session d’un conseiller (${VICTIM}) volé par un infostealer et rejoué depuis une autre machine`,
    available: true,
    attack: true,
    ...traffic.figures(),
    personsExposed: exposure.persons,
    decoysRead: exposure.decoys,
    contained: session.revoked_at !== null,
    containment: session.revoked_at
      ? {
          kind: 'session',
          signal: session.revoked_reason === 'guard_session_moved' ? 'session_moved' : (session.revoked_reason ?? '?'),
          simulatedMs: containedSimMs,
          wallMs: containedWallMs ?? Number.NaN,
        }
      : null,
    decoyToContainmentMs: null,
    circuitBreakers: 0,
    notes,
  };
  return { ...r, goals: checkGoals(r) };
}
