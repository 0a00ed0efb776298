import { randomUUID } from 'node:crypto';
import { DAY_MS, MINUTE_MS, nextWorkingDay, parisDay } from '../clock.ts';
import { createActor, newClient, organisationId, signIn, Traffic, type SimContext } from '../context.ts';
import type { ScenarioReport } from '../report.ts';
import { AttackRun, lockedOut } from './common.ts';

const AGENCY = 'agency-bastide';
const PURPOSE = 'accompagnement';
/** The counsellor's caseload, and the thief's pace: under 20 files an hour and 40 a day. */
const CASELOAD = 245;
const PER_DAY = 39;
const STEP_MS = 12 * MINUTE_MS;
const WORKING_DAYS = 7;
/** The counsellor's own agenda: appointments a working day, booked three weeks before. */
const APPOINTMENTS_PER_DAY = 12;

/**
 * The patient thief (issue 19, item 5): an established counsellor's password and second factor
 * in a thief's hands, who reads the whole caseload at 39 files a day in working hours, never 20
 * in an hour, and writes a follow-up on each file so that nothing looks idle. Every budget holds;
 * only the reads nothing in the day's work explains give it away.
 */
export async function patientThief(ctx: SimContext): Promise<ScenarioReport> {
  const traffic = new Traffic();
  const now = ctx.clock.now();
  const actorId = await createActor(
    ctx,
    AGENCY,
    'sim.conseiller.patient',
    ['counsellor'],
    new Date(now.getTime() - 400 * DAY_MS),
  );
  const org = organisationId(ctx, AGENCY);
  const files = (
    await ctx.db.selectFrom('caseloads').select('person_id').distinct().where('organisation_id', '=', org).execute()
  )
    .map((r) => r.person_id)
    .filter((id) => !ctx.decoys.has(id));
  const caseload = ctx.rng.shuffle(files).slice(0, CASELOAD);
  for (const personId of caseload)
    await ctx.db
      .insertInto('caseloads')
      .values({
        person_id: personId,
        actor_id: actorId,
        organisation_id: org,
        since: parisDay(new Date(now.getTime() - 300 * DAY_MS)),
        until: null,
      })
      .execute();
  // The counsellor's agenda over the attack's days: what explains some of the thief's reads too.
  let day = nextWorkingDay(now, 0, 9, 0);
  const agenda = ctx.rng.shuffle(caseload);
  for (let d = 0; d < WORKING_DAYS + 2; d++) {
    for (const [k, personId] of agenda.splice(0, APPOINTMENTS_PER_DAY).entries()) {
      const at = new Date(day.getTime() + k * 30 * MINUTE_MS);
      await ctx.db
        .insertInto('appointments')
        .values({
          id: randomUUID(),
          person_id: personId,
          organisation_id: org,
          actor_id: actorId,
          at: at.toISOString(),
          kind: 'entretien',
          created_by: actorId,
          created_at: new Date(at.getTime() - 21 * DAY_MS).toISOString(),
          cancelled_at: null,
        })
        .execute();
    }
    day = nextWorkingDay(day, 1, 9, 0);
  }

  const agent = await signIn(ctx, actorId, newClient(ctx), traffic, {
    accountCreatedAt: new Date(now.getTime() - 400 * DAY_MS),
  });
  const run = new AttackRun(ctx, [actorId]);
  const order = ctx.rng.shuffle(caseload);
  let lockouts = 0;
  let days = 0;
  ctx.clock.set(nextWorkingDay(now, 0, 9, 0));
  while (order.length && lockouts < 3 && days < WORKING_DAYS) {
    const start = ctx.clock.now().getTime();
    for (let k = 0; k < PER_DAY && order.length && lockouts < 3; k++) {
      ctx.clock.set(new Date(start + k * STEP_MS));
      const personId = order.shift()!;
      const read = await agent.request('GET', `/api/staff/persons/${personId}`, { purpose: PURPOSE });
      await run.after(read, [personId], actorId);
      if (lockedOut(read)) {
        lockouts++;
        continue;
      }
      if (read.status !== 200) continue;
      const written = await agent.request('POST', `/api/staff/persons/${personId}/follow-up/actions`, {
        purpose: PURPOSE,
        body: { date: parisDay(ctx.clock.now()), kind: 'entretien', label: 'Point sur les démarches de la semaine' },
      });
      if (lockedOut(written)) lockouts++;
    }
    days++;
    ctx.clock.set(nextWorkingDay(ctx.clock.now(), 1, 9, 0));
  }
  const report = await run.report({
    scenario: 'patient-thief',
    variant: '',
    title: `compte d’un conseiller installé (portefeuille de ${CASELOAD}) aux mains d’un voleur patient : ${PER_DAY} dossiers par jour ouvré, moins de 20 par heure, un suivi écrit sur chacun`,
    traffic,
    notes: [
      `agenda du conseiller : ${APPOINTMENTS_PER_DAY} rendez-vous par jour ouvré, fixés trois semaines avant ; le voleur lit le portefeuille dans un ordre quelconque`,
      `${days} jour(s) ouvré(s) joué(s)`,
    ],
  });
  // The caseload goes back to its agency's counsellors for the scenarios that follow.
  await ctx.db.deleteFrom('caseloads').where('actor_id', '=', actorId).execute();
  return report;
}
