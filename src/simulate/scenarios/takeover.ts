import { DAY_MS, isWeekday, MINUTE_MS, parisTime, SECOND_MS } from '../clock.ts';
import { actorIdOf, createActor, newClient, referredTo, signIn, Traffic, type SimContext } from '../context.ts';
import type { ScenarioReport } from '../report.ts';
import { AttackRun, lockedOut, readAsFastAsAllowed } from './common.ts';

const ORGANISATION = 'mission-locale';
const PURPOSE = 'accompagnement_jeunes';
const VICTIM = 'ml.bordeaux.1';

export const TAKEOVER_VARIANTS = ['sweep', 'list', 'patient', 'patient-no-decoy'] as const;
export type TakeoverVariant = (typeof TAKEOVER_VARIANTS)[number];

/**
 * A partner adviser's account taken over (the 2024 leaks): the thief signs in with the
 * adviser's password and second factor and reads from their own machine.
 */
export async function takeover(ctx: SimContext, variant: TakeoverVariant): Promise<ScenarioReport> {
  switch (variant) {
    case 'sweep':
      return sweep(ctx);
    case 'list':
      return list(ctx);
    case 'patient':
      return patient(ctx, true);
    case 'patient-no-decoy':
      return patient(ctx, false);
  }
}

/** A fresh adviser of the mission locale for one variant, with an account opened 60 days before. */
async function freshAdviser(ctx: SimContext, login: string): Promise<string> {
  return createActor(ctx, ORGANISATION, login, ['partner_staff'], new Date(ctx.clock.now().getTime() - 60 * DAY_MS));
}

/** Sweep: search consecutive France Travail ids from one the thief knows, read each file found. */
async function sweep(ctx: SimContext): Promise<ScenarioReport> {
  const traffic = new Traffic();
  const actorId = await actorIdOf(ctx, VICTIM);
  const agent = await signIn(ctx, actorId, newClient(ctx), traffic, {
    accountCreatedAt: new Date(ctx.clock.now().getTime() - 60 * DAY_MS),
  });
  // The thief knows one identifier (a young person the adviser follows) and how they are formed.
  const known = (await referredTo(ctx, ORGANISATION)).find((id) => !ctx.decoys.has(id))!;
  const start = (await ctx.runtime.persons.read(known, ['registration'])).fields.registration!.franceTravailId;
  const digits = Number(start.slice(0, 7));
  const letter = start.charCodeAt(7) - 65;
  const run = new AttackRun(ctx, [actorId]);
  let lockouts = 0;
  let searches = 0;
  for (let k = 0; k < 1000 && lockouts < 3; k++) {
    const id = `${String((digits + k) % 10_000_000).padStart(7, '0')}${String.fromCharCode(65 + ((letter + k) % 26))}`;
    ctx.clock.advance(3 * SECOND_MS);
    const found = await agent.request('POST', '/api/staff/persons/search', {
      purpose: PURPOSE,
      body: { franceTravailId: id },
    });
    searches++;
    const results = Array.isArray(found.body.results)
      ? (found.body.results as Array<{ id: string }>).map((r) => r.id)
      : [];
    await run.after(found, results, agent.actorId);
    if (lockedOut(found)) {
      lockouts++;
      continue;
    }
    for (const personId of results) {
      ctx.clock.advance(2 * SECOND_MS);
      const read = await agent.request('GET', `/api/staff/persons/${personId}`, { purpose: PURPOSE });
      await run.after(read, [personId], agent.actorId);
      if (lockedOut(read)) lockouts++;
    }
  }
  return run.report({
    scenario: 'takeover',
    variant: 'sweep',
    title: `compte d’un conseiller de mission locale (${VICTIM}) pris : balayage d’identifiants France Travail consécutifs, puis lecture des dossiers trouvés`,
    traffic,
    notes: [
      `${searches} recherches, à partir de l’identifiant d’une personne suivie, le motif des identifiants étant connu de l’attaquant (pire cas)`,
    ],
  });
}

/** List: the thief holds the ids of every person referred to the organisation and reads them at random, flat out. */
async function list(ctx: SimContext): Promise<ScenarioReport> {
  const traffic = new Traffic();
  const actorId = await freshAdviser(ctx, 'ml.bordeaux.sim.liste');
  const agent = await signIn(ctx, actorId, newClient(ctx), traffic, {
    accountCreatedAt: new Date(ctx.clock.now().getTime() - 60 * DAY_MS),
  });
  const targets = ctx.rng.shuffle(await referredTo(ctx, ORGANISATION));
  const run = new AttackRun(ctx, [actorId]);
  await readAsFastAsAllowed(run, agent, targets, { purpose: PURPOSE, stepMs: SECOND_MS });
  return run.report({
    scenario: 'takeover',
    variant: 'list',
    title:
      'compte d’un conseiller de mission locale pris : l’attaquant connaît les identifiants de toutes les personnes orientées vers elle et les lit au hasard, au plus vite',
    traffic,
    notes: [
      `${targets.length} identifiants connus (pire cas : pris dans la base, leurres compris puisqu’ils sont orientés comme les autres)`,
    ],
  });
}

/**
 * Patient: a few files an hour, in working hours, for 30 days, each day from a new session. With
 * `decoys` false the thief's list holds real persons only (the worst case for the defender: no
 * honeytoken to trip), so only the budgets and the behavioural signals can stop it.
 */
async function patient(ctx: SimContext, decoys: boolean): Promise<ScenarioReport> {
  const traffic = new Traffic();
  const actorId = await freshAdviser(ctx, decoys ? 'ml.bordeaux.sim.patient' : 'ml.bordeaux.sim.patient2');
  const client = newClient(ctx);
  const targets = ctx.rng.shuffle((await referredTo(ctx, ORGANISATION)).filter((id) => decoys || !ctx.decoys.has(id)));
  const run = new AttackRun(ctx, [actorId]);
  const first = ctx.clock.now();
  let next = 0;
  let lockouts = 0;
  let days = 0;
  for (let d = 0; d < 30 && next < targets.length && lockouts < 3; d++) {
    const day = new Date(first.getTime() + d * DAY_MS);
    if (!isWeekday(day)) continue;
    days++;
    const agent = await signIn(ctx, actorId, client, traffic, {
      accountCreatedAt: new Date(first.getTime() - 60 * DAY_MS),
    });
    for (let hour = 9; hour < 17 && next < targets.length && lockouts < 3; hour++) {
      const minutes = [ctx.rng.int(0, 19), ctx.rng.int(20, 39), ctx.rng.int(40, 59)];
      for (const minute of minutes) {
        if (next >= targets.length || lockouts >= 3) break;
        ctx.clock.set(new Date(parisTime(day, hour, 0).getTime() + minute * MINUTE_MS));
        const personId = targets[next++]!;
        const reply = await agent.request('GET', `/api/staff/persons/${personId}`, { purpose: PURPOSE });
        await run.after(reply, [personId], actorId);
        if (lockedOut(reply)) lockouts++;
      }
    }
  }
  return run.report({
    scenario: 'takeover',
    variant: decoys ? 'patient' : 'patient-no-decoy',
    title: `compte d’un conseiller de mission locale pris : lecture lente (3 dossiers par heure, 9 h – 17 h, jours ouvrés) pendant 30 jours simulés${decoys ? '' : ', sur une liste sans aucun leurre'}`,
    traffic,
    notes: [`${days} jours ouvrés simulés, ${next} lectures tentées sur ${targets.length} identifiants connus`],
  });
}
