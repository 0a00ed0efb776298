import { DAY_MS, MINUTE_MS, SECOND_MS } from '../clock.ts';
import {
  actorIdOf,
  newClient,
  referredTo,
  signIn,
  Traffic,
  type Agent,
  type Reply,
  type SimContext,
} from '../context.ts';
import type { ScenarioReport } from '../report.ts';
import { AttackRun, readAsFastAsAllowed } from './common.ts';

const ORGANISATION = 'mission-locale';
const PURPOSE = 'accompagnement_jeunes';
const ADMIN = 'ml.bordeaux.admin';
const SECOND_ADMIN = 'ml.bordeaux.admin2';

export const ADMIN_VARIANTS = ['alone', 'fooled'] as const;
export type AdminVariant = (typeof ADMIN_VARIANTS)[number];

interface Step {
  label: string;
  status: number;
  error?: string;
}

const described = (s: Step) => `${s.label} : ${s.status}${s.error ? ` ${s.error}` : ''}`;

async function requestAccount(agent: Agent, n: number): Promise<{ step: Step; reply: Reply; requestId?: string }> {
  const reply = await agent.request('POST', '/api/admin/requests', {
    body: {
      kind: 'create_staff_account',
      login: `ml.bordeaux.renfort${n}`,
      displayName: `Renfort saisonnier ${n}`,
      roles: ['partner_staff'],
      email: `renfort${n}@boite-attaquant.example`,
    },
  });
  return {
    reply,
    step: {
      label: `demande de création du compte ml.bordeaux.renfort${n}`,
      status: reply.status,
      ...(reply.error ? { error: reply.error } : {}),
    },
    ...(typeof reply.body.id === 'string' ? { requestId: reply.body.id } : {}),
  };
}

/**
 * The organisation administrator's account hacked (the 2025 mission locale case): the thief
 * tries to make accounts and read with them. Alone, the second administrator's approval stops
 * it; fooled, the second administrator approves, and the thief reads with brand-new accounts,
 * as many times as they get approved.
 */
export async function admin(ctx: SimContext, variant: AdminVariant): Promise<ScenarioReport> {
  const traffic = new Traffic();
  const adminActor = await actorIdOf(ctx, ADMIN);
  const established = new Date(ctx.clock.now().getTime() - 300 * DAY_MS);
  const thief = newClient(ctx);
  const agent = await signIn(ctx, adminActor, thief, traffic, { accountCreatedAt: established });
  const run = new AttackRun(ctx, [adminActor]);
  const steps: Step[] = [];
  const targets = ctx.rng.shuffle(await referredTo(ctx, ORGANISATION));

  const first = await requestAccount(agent, variant === 'alone' ? 1 : 11);
  await run.after(first.reply, [], adminActor);
  steps.push(first.step);
  if (first.requestId) {
    ctx.clock.advance(MINUTE_MS);
    const self = await agent.request('POST', `/api/admin/requests/${first.requestId}/approve`);
    steps.push({
      label: 'auto-approbation de sa propre demande',
      status: self.status,
      ...(self.error ? { error: self.error } : {}),
    });
  }
  // The administrator's own account reads nothing: no purpose of the agreement names org_admin.
  for (const personId of targets.slice(0, 5)) {
    ctx.clock.advance(10 * SECOND_MS);
    const read = await agent.request('GET', `/api/staff/persons/${personId}`, { purpose: PURPOSE });
    await run.after(read, [personId], agent.actorId);
    steps.push({
      label: 'lecture avec le compte administrateur',
      status: read.status,
      ...(read.error ? { error: read.error } : {}),
    });
  }

  const notes: string[] = [];
  if (variant === 'fooled') {
    const approver = await signIn(ctx, await actorIdOf(ctx, SECOND_ADMIN), newClient(ctx), new Traffic(), {
      accountCreatedAt: established,
    });
    let requestId = first.requestId;
    let cursor = 0;
    for (let n = 1; n <= 5 && requestId; n++) {
      ctx.clock.advance(20 * MINUTE_MS);
      const approved = await approver.request('POST', `/api/admin/requests/${requestId}/approve`);
      steps.push({
        label: `approbation par ${SECOND_ADMIN} (trompé)`,
        status: approved.status,
        ...(approved.error ? { error: approved.error } : {}),
      });
      const outcome = approved.body.outcome as { actorId?: string } | null | undefined;
      if (approved.status !== 200 || !outcome?.actorId) break;
      // The activation code goes to the address the thief gave: the thief activates and signs in.
      const newActor = outcome.actorId;
      run.addActor(newActor);
      const account = await ctx.db
        .selectFrom('accounts')
        .select('created_at')
        .where('actor_id', '=', newActor)
        .executeTakeFirstOrThrow();
      const reader = await signIn(ctx, newActor, thief, traffic, { accountCreatedAt: new Date(account.created_at) });
      ctx.clock.advance(5 * MINUTE_MS);
      const before = traffic.requests;
      const batch = targets.slice(cursor);
      await readAsFastAsAllowed(run, reader, batch, { purpose: PURPOSE, stepMs: SECOND_MS, maxRequests: 200 });
      cursor += traffic.requests - before;
      notes.push(`compte neuf n° ${n} : ${traffic.requests - before} lectures tentées`);
      ctx.clock.advance(10 * MINUTE_MS);
      const again = await requestAccount(agent, 11 + n);
      steps.push(again.step);
      requestId = again.requestId;
    }
  }
  notes.push(...steps.map(described));
  notes.push(
    'les comptes neufs sont activés hors du serveur (code d’activation reçu à l’adresse donnée par l’attaquant) : le simulateur ouvre leur session directement',
  );
  return run.report({
    scenario: 'admin',
    variant,
    title:
      variant === 'alone'
        ? `compte de l’administrateur de la mission locale (${ADMIN}) piraté : demande de compte, auto-approbation, lectures`
        : `administrateur piraté, second administrateur (${SECOND_ADMIN}) trompé qui approuve : l’attaquant lit avec chaque compte neuf, jusqu’à 5`,
    traffic,
    notes,
  });
}
