import { randomUUID } from 'node:crypto';
import { frenchIban } from '../../seed/index.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../clock.ts';
import { createActor, newClient, organisationId, signIn, Traffic, type SimContext } from '../context.ts';
import { checkGoals, type ScenarioReport } from '../report.ts';
import { AttackRun, lockedOut } from './common.ts';

const AGENCY = 'agency-merignac';
/** Allowances the two accounts try to redirect. */
const TARGETS = 12;

/**
 * Allowance redirection with two staff accounts of one agency (issue 19, item 1): the counsellor's
 * account rewrites each person's email and phone, the indemnisation agent's enters a change of
 * bank details « on a letter » to the thieves' account, then tries to release the hold itself;
 * 72 hours later, where do the payments go?
 */
export async function staffChain(ctx: SimContext): Promise<ScenarioReport> {
  const traffic = new Traffic();
  const now = ctx.clock.now();
  const established = new Date(now.getTime() - 400 * DAY_MS);
  const counsellorId = await createActor(ctx, AGENCY, 'sim.conseiller.chaine', ['counsellor'], established);
  const agentId = await createActor(ctx, AGENCY, 'sim.indemnisation.chaine', ['indemnisation_agent'], established);
  const org = organisationId(ctx, AGENCY);
  // Persons of the agency with an email, a phone, an address and bank details, in the counsellor's caseload (with the day's appointments: the thieves chose well).
  const candidates = ctx.rng.shuffle(
    (await ctx.db.selectFrom('caseloads').select('person_id').distinct().where('organisation_id', '=', org).execute())
      .map((r) => r.person_id)
      .filter((id) => !ctx.decoys.has(id)),
  );
  const victims: string[] = [];
  for (const personId of candidates) {
    if (victims.length >= TARGETS) break;
    const f = (await ctx.runtime.persons.read(personId, ['contact', 'bank', 'identity'])).fields;
    if (f.contact?.email && f.contact.phone && f.contact.address && f.bank && f.identity) victims.push(personId);
  }
  for (const personId of victims) {
    await ctx.db
      .insertInto('caseloads')
      .values({ person_id: personId, actor_id: counsellorId, organisation_id: org, since: '2025-09-01', until: null })
      .execute();
    await ctx.db
      .insertInto('appointments')
      .values({
        id: randomUUID(),
        person_id: personId,
        organisation_id: org,
        actor_id: counsellorId,
        at: new Date(now.getTime() + 2 * HOUR_MS).toISOString(),
        kind: 'entretien',
        created_by: null,
        created_at: new Date(now.getTime() - 10 * DAY_MS).toISOString(),
        cancelled_at: null,
      })
      .execute();
  }
  const before = new Map<string, string>();
  for (const personId of victims)
    before.set(personId, (await ctx.runtime.persons.read(personId, ['bank'])).fields.bank!.iban);

  const counsellor = await signIn(ctx, counsellorId, newClient(ctx), traffic, { accountCreatedAt: established });
  const agent = await signIn(ctx, agentId, newClient(ctx), traffic, { accountCreatedAt: established });
  const run = new AttackRun(ctx, [counsellorId, agentId]);
  const thievesIban = new Map<string, string>();
  let rewritten = 0;
  let entered = 0;
  let releasedByThieves = 0;
  const reasons = new Map<string, number>();
  for (const [n, personId] of victims.entries()) {
    ctx.clock.advance(5 * MINUTE_MS);
    const file = await counsellor.request('GET', `/api/staff/persons/${personId}?classes=identity,contact`, {
      purpose: 'accompagnement',
    });
    await run.after(file, [personId], counsellorId);
    if (lockedOut(file) || file.status !== 200) continue;
    const contact = (file.body.fields as { contact: Record<string, unknown> }).contact;
    const patched = await counsellor.request('PATCH', `/api/staff/persons/${personId}`, {
      purpose: 'accompagnement',
      body: {
        contact: {
          ...contact,
          email: `versement.${n}@boite-pirate.example`,
          phone: `07 45 00 ${String(10 + n).padStart(2, '0')} 99`,
        },
      },
    });
    if (patched.status !== 200) continue;
    rewritten++;
    ctx.clock.advance(10 * MINUTE_MS);
    const seen = await agent.request('GET', `/api/staff/persons/${personId}?classes=identity`, {
      purpose: 'indemnisation',
    });
    await run.after(seen, [personId], agentId);
    if (seen.status !== 200) continue;
    const identity = (seen.body.fields as { identity: { firstNames: string[]; lastName: string } }).identity;
    const iban = frenchIban('30004', '00031', String(7_700_000 + n).padStart(11, '0'));
    const change = await agent.request('POST', `/api/staff/persons/${personId}/bank-details/changes`, {
      purpose: 'indemnisation',
      body: {
        iban,
        bic: 'BNPAFRPPXXX',
        holder: `${identity.firstNames[0]} ${identity.lastName}`,
        request: { kind: 'courrier', reference: `COURRIER-SIM-${n}` },
      },
    });
    if (change.status !== 201) continue;
    entered++;
    thievesIban.set(personId, iban);
    for (const r of (change.body.reasons as Array<{ code: string }> | undefined) ?? [])
      reasons.set(r.code, (reasons.get(r.code) ?? 0) + 1);
    // The same two accounts try to lift the hold: the agent who entered it, then the counsellor.
    const changeId = (
      await ctx.db
        .selectFrom('bank_changes')
        .select('id')
        .where('person_id', '=', personId)
        .orderBy('requested_at', 'desc')
        .executeTakeFirstOrThrow()
    ).id;
    const url = `/api/staff/persons/${personId}/bank-details/changes/${changeId}/verify`;
    const approve = {
      decision: 'approve',
      note: 'Personne jointe, demande confirmée.',
      reached: 'telephone_connu_avant',
    };
    for (const [who, purpose] of [
      [agent, 'indemnisation'],
      [counsellor, 'accompagnement'],
    ] as const) {
      const released = await who.request('POST', url, { purpose, body: approve });
      if (released.status === 200) releasedByThieves++;
    }
  }
  // 72 hours and more: the payment service reads the bank class.
  ctx.clock.advance(73 * HOUR_MS);
  let redirected = 0;
  for (const personId of victims) {
    await ctx.runtime.bank.settleDue(personId);
    const iban = (await ctx.runtime.persons.read(personId, ['bank'])).fields.bank?.iban;
    if (thievesIban.has(personId) && iban === thievesIban.get(personId)) redirected++;
  }
  const held = await ctx.db
    .selectFrom('bank_changes')
    .select(['status'])
    .where('person_id', 'in', victims.length ? victims : ['-'])
    .execute();
  const announced = await ctx.db
    .selectFrom('ledger_events')
    .select('body')
    .where('kind', '=', 'contact_change_announced')
    .where('person_id', 'in', victims.length ? victims : ['-'])
    .execute();
  const report = await run.report({
    scenario: 'staff-chain',
    variant: '',
    title: `détournement d’allocations par deux comptes d’une agence : le conseiller réécrit courriel et téléphone, l’agent d’indemnisation saisit un RIB « sur courrier » (${victims.length} personnes)`,
    traffic,
    notes: [
      `contacts réécrits : ${rewritten} ; changements de RIB saisis : ${entered} ; motifs de retenue : ${[...reasons].map(([r, n]) => `${r} ×${n}`).join(', ') || 'aucun'}`,
      `changements annoncés sur les anciens canaux : ${announced.length} ; levées de retenue par les deux comptes eux-mêmes : ${releasedByThieves}`,
      `après 72 h : allocations détournées ${redirected} / ${entered} ; changements toujours en attente d’une autre équipe : ${held.filter((h) => h.status === 'awaiting_verification').length}`,
    ],
  });
  report.harms = [
    { label: 'Allocations détournées après 72 h', value: redirected, goal: 0 },
    { label: 'Retenues levées par les voleurs', value: releasedByThieves, goal: 0 },
  ];
  report.goals = checkGoals(report);
  await ctx.db.deleteFrom('caseloads').where('actor_id', '=', counsellorId).execute();
  return report;
}
