import { performance } from 'node:perf_hooks';
import { Secret, TOTP } from 'otpauth';
import { beginTotpEnrolment, confirmTotpEnrolment } from '../../identity/index.ts';
import { MINUTE_MS, SECOND_MS } from '../clock.ts';
import { actorIdOf, newClient, signIn, Traffic, type SimContext } from '../context.ts';
import { exposureOf } from '../measure.ts';
import { checkGoals, type ScenarioReport } from '../report.ts';

const VICTIM = 'conseiller.libourne.1';
const PURPOSE = 'accompagnement';

/**
 * A stolen session laundered (issue 19, item 2): an infostealer lifts a counsellor's cookie,
 * CSRF token and user agent; from its own network the thief tries to enrol its own
 * authenticator app or passkey (to sign in later with the password and its app), add a channel,
 * list the caseload and read files. The counsellor protects the account with an app.
 */
export async function sessionLaundering(ctx: SimContext): Promise<ScenarioReport> {
  const victimTraffic = new Traffic();
  const actorId = await actorIdOf(ctx, VICTIM);
  const victim = await signIn(ctx, actorId, newClient(ctx), victimTraffic);
  // The counsellor's app, enrolled before the theft.
  const enrolment = await beginTotpEnrolment(ctx.db, ctx.runtime.keyring, victim.accountId, 'Téléphone professionnel');
  const code = new TOTP({
    secret: Secret.fromBase32(enrolment.secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  }).generate();
  await confirmTotpEnrolment(ctx.db, ctx.runtime.keyring, victim.accountId, enrolment.factorId, code);
  const factorsBefore = (
    await ctx.db.selectFrom('account_factors').select('id').where('account_id', '=', victim.accountId).execute()
  ).length;
  const caseload = await victim.request('GET', '/api/staff/caseload?pageSize=20', { purpose: PURPOSE });
  const own = ((caseload.body.items as Array<{ id: string }> | undefined) ?? [])
    .map((i) => i.id)
    .filter((id) => !ctx.decoys.has(id));

  ctx.clock.advance(20 * MINUTE_MS);
  const traffic = new Traffic();
  const thiefClient = {
    ...newClient(ctx),
    userAgent: victim.client.userAgent,
    acceptLanguage: victim.client.acceptLanguage,
  };
  const thief = victim.stolenBy(thiefClient, traffic);
  const startedWall = performance.now();
  let firstHeldMs: number | null = null;
  const attempts: Array<[method: 'GET' | 'POST', path: string, body?: unknown]> = [
    ['POST', '/api/auth/factors/totp'],
    ['POST', '/api/auth/passkeys/registration/options'],
    ['POST', '/api/auth/channels', { kind: 'email', address: 'releve@boite-pirate.example' }],
    ['GET', `/api/staff/caseload?pageSize=100`],
    ...own.slice(0, 10).map((id): ['GET', string] => ['GET', `/api/staff/persons/${id}`]),
  ];
  let accepted = 0;
  for (const [method, path, body] of attempts) {
    ctx.clock.advance(5 * SECOND_MS);
    const reply = await thief.request(method, path, {
      ...(path.startsWith('/api/staff') ? { purpose: PURPOSE } : {}),
      ...(body !== undefined ? { body } : {}),
    });
    if (reply.status < 400) accepted++;
    else if (firstHeldMs === null && reply.error === 'step_up_required') firstHeldMs = performance.now() - startedWall;
  }
  // A guessed code does not lift the hold (the thief has the cookie, not the app).
  await thief.request('POST', '/api/auth/second-factor', { body: { code: '000000' } });

  const factorsAfter = (
    await ctx.db.selectFrom('account_factors').select('id').where('account_id', '=', victim.accountId).execute()
  ).length;
  const channels = await ctx.db
    .selectFrom('account_channels')
    .select('id')
    .where('account_id', '=', victim.accountId)
    .execute();
  const exposure = await exposureOf(ctx, [actorId], { address: thiefClient.address });
  const stillWorks = await victim.request('GET', `/api/staff/persons/${own[0]}`, { purpose: PURPOSE });
  const r: Omit<ScenarioReport, 'goals'> = {
    scenario: 'session-laundering',
    variant: '',
    title: `session d’un conseiller (${VICTIM}, application d’authentification enrôlée) volée avec son navigateur et rejouée depuis un autre réseau pour y enrôler le facteur du voleur`,
    available: true,
    attack: true,
    ...traffic.figures(),
    personsExposed: exposure.persons,
    decoysRead: exposure.decoys,
    contained: accepted === 0,
    containment:
      firstHeldMs !== null ? { kind: 'held', signal: 'step_up_required', simulatedMs: 0, wallMs: firstHeldMs } : null,
    decoyToContainmentMs: null,
    circuitBreakers: 0,
    harms: [
      { label: 'Facteurs du voleur enrôlés', value: factorsAfter - factorsBefore, goal: 0 },
      { label: 'Requêtes sensibles acceptées', value: accepted, goal: 0 },
    ],
    notes: [
      `tentatives depuis ${thiefClient.network} (session liée à ${victim.client.network}) : application, clé d’accès, canal, portefeuille, ${Math.min(10, own.length)} dossiers ; toutes retenues jusqu’à un second facteur passé depuis ce réseau`,
      `canaux du compte après l’attaque : ${channels.length} ; le conseiller, sur son réseau, lit toujours ses dossiers (${stillWorks.status})`,
    ],
  };
  return { ...r, goals: checkGoals(r) };
}
