import { sql } from 'kysely';
import { DAY_MS, MINUTE_MS } from '../clock.ts';
import { createActor, newClient, signIn, Traffic, type Agent, type SimContext } from '../context.ts';
import { checkGoals, type ScenarioReport } from '../report.ts';
import { AttackRun } from './common.ts';

const DESK = 'direction-regionale';

/**
 * One security-desk account in a thief's hands (issue 19, item 3), and the DPO's alone: declare an
 * incident over every organisation and 400 days, approve it, scope it, send the notices, download
 * the documents that name people, force every account to re-enrol. Everything that reaches names
 * and addresses, or destroys, waits for a second person of the desk.
 */
export async function deskAccount(ctx: SimContext): Promise<ScenarioReport> {
  const traffic = new Traffic();
  const established = new Date(ctx.clock.now().getTime() - 400 * DAY_MS);
  const officerId = await createActor(ctx, DESK, 'sim.rssi.pirate', ['security_officer'], established);
  const dpoId = await createActor(ctx, DESK, 'sim.dpo.pirate', ['dpo'], established);
  const officer = await signIn(ctx, officerId, newClient(ctx), traffic, { accountCreatedAt: established });
  const dpo = await signIn(ctx, dpoId, newClient(ctx), traffic, { accountCreatedAt: established });
  const run = new AttackRun(ctx, [officerId, dpoId]);
  const outcomes: string[] = [];
  const step = async (who: Agent, label: string, method: 'GET' | 'POST', path: string, body?: unknown) => {
    ctx.clock.advance(MINUTE_MS);
    const reply = await who.request(method, path, body !== undefined ? { body } : {});
    await run.after(reply, [], who.actorId);
    outcomes.push(`${label} → ${reply.status}${reply.error ? ` ${reply.error}` : ''}`);
    return reply;
  };

  const organisations = (await ctx.db.selectFrom('organisations').select('id').execute()).map((o) => o.id);
  // The ledger dates events on the wall clock, the simulation runs weeks behind it: the window reaches both.
  const now = ctx.clock.now();
  const windowTo = new Date(Math.max(now.getTime(), Date.now()));
  const whole = {
    title: 'Compromission générale',
    vector: 'account_takeover',
    description: 'Périmètre maximal.',
    compromised: { organisations },
    windowFrom: new Date(now.getTime() - 400 * DAY_MS).toISOString(),
    windowTo: windowTo.toISOString(),
    awareAt: now.toISOString(),
  };
  await step(dpo, 'le DPO déclare un incident sur tout le réseau', 'POST', '/api/security/incidents', whole);
  const asked = await step(
    officer,
    'l’officier déclare un incident sur tout le réseau',
    'POST',
    '/api/security/incidents',
    whole,
  );
  const request = (asked.body.request as { id?: string } | undefined)?.id;
  if (request)
    await step(
      officer,
      'l’officier approuve sa propre demande',
      'POST',
      `/api/security/incidents/requests/${request}/approve`,
    );
  // What one officer may do alone: an incident over one account, the account that read the most.
  const busiest = (
    await sql<{
      actor_id: string;
    }>`SELECT actor_id FROM ledger_events WHERE kind = 'access_granted' AND actor_id IS NOT NULL AND actor_id <> ${officerId} GROUP BY actor_id ORDER BY count(*) DESC LIMIT 1`.execute(
      ctx.db,
    )
  ).rows[0]?.actor_id;
  let persons = 0;
  if (busiest) {
    const single = await step(
      officer,
      'l’officier déclare un incident sur un compte',
      'POST',
      '/api/security/incidents',
      { ...whole, title: 'Un compte', compromised: { actors: [busiest] } },
    );
    const incident = single.body.id as string | undefined;
    if (incident) {
      const base = `/api/security/incidents/${incident}`;
      const scoped = await step(officer, 'délimitation', 'POST', `${base}/scope`);
      persons = Number((scoped.body.totals as { persons?: number } | undefined)?.persons ?? 0);
      await step(officer, 'plan des avis', 'POST', `${base}/notices/plan`);
      const notices = await step(officer, 'envoi des avis', 'POST', `${base}/notices/run`, {});
      const noticeRequest = (notices.body.request as { id?: string } | undefined)?.id;
      if (noticeRequest)
        await step(
          officer,
          'l’officier approuve l’envoi',
          'POST',
          `/api/security/incidents/requests/${noticeRequest}/approve`,
        );
      const exported = await step(officer, 'liste des personnes exposées', 'POST', `${base}/scope/export`);
      const documentId = ((exported.body.document ?? exported.body) as { id?: string }).id;
      if (documentId) {
        await step(officer, 'téléchargement de la liste', 'GET', `${base}/documents/${documentId}`);
        const wanted = await step(
          officer,
          'demande de téléchargement',
          'POST',
          `${base}/documents/${documentId}/request`,
        );
        const downloadRequest = (wanted.body.request as { id?: string } | undefined)?.id;
        if (downloadRequest)
          await step(
            officer,
            'l’officier approuve son téléchargement',
            'POST',
            `/api/security/incidents/requests/${downloadRequest}/approve`,
          );
        await step(officer, 'téléchargement de la liste', 'GET', `${base}/documents/${documentId}`);
      }
      await step(officer, 'réenrôlement forcé', 'POST', `${base}/actions/force_reenrolment`);
    }
  }
  const named = await ctx.db
    .selectFrom('ledger_events')
    .select('person_id')
    .distinct()
    .where('kind', '=', 'access_granted')
    .where('actor_id', 'in', [officerId, dpoId])
    .where('person_id', 'is not', null)
    .execute();
  const declared = await ctx.db.selectFrom('incidents').select('compromised').execute();
  const wideDeclared = declared.filter(
    (d) => ((JSON.parse(d.compromised) as { organisations?: string[] }).organisations ?? []).length > 1,
  ).length;
  const reenrolled = await ctx.db
    .selectFrom('incident_steps')
    .select('id')
    .where('kind', '=', 'incident_action')
    .where('details', 'like', '%force_reenrolment%')
    .execute();
  const report = await run.report({
    scenario: 'desk-account',
    variant: '',
    title:
      'un compte du bureau sécurité aux mains d’un voleur (et celui du DPO, seul) : incident sur tout le réseau, avis, documents nominatifs, réenrôlement forcé',
    traffic,
    notes: [
      ...outcomes,
      `incident délimité seul : ${persons} personne(s) ; ce qu’un seul compte obtient : les chiffres, pas les noms`,
    ],
  });
  report.harms = [
    { label: 'Personnes nommées lues par le bureau', value: named.length, goal: 0 },
    { label: 'Incidents multi-organisations déclarés', value: wideDeclared, goal: 0 },
    { label: 'Réenrôlements forcés appliqués', value: reenrolled.length, goal: 0 },
  ];
  report.goals = checkGoals(report);
  return report;
}
