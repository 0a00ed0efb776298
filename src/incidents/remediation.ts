import { containmentsOfActors, exportsTouching } from '../guard/index.ts';
import { accountsOfActors, accountsOfSessions, revokeCredentials, revokeMachineClient } from '../identity/index.ts';
import { appendEvent, eventBodiesOfKindSince, type EventInput } from '../ledger/index.ts';
import { inTransaction, type Executor, type IncidentsTable } from '../store/index.ts';
import { actorsOfClients, storedExposures } from './blast-radius.ts';
import type { By, Desk } from './desk.ts';
import { FOUR_EYES_ACTIONS, fourEyesRequired } from './four-eyes.ts';
import type { Compromised } from './model.ts';
import { frozenScope, openIncidentRow } from './register.ts';

/** Remediation: what the desk does about an incident, each action a register step and a ledger event. */

export const ACTIONS = [
  'revoke_access',
  'force_reenrolment',
  'hold_bank_changes',
  'check_decoys',
  'check_exports',
] as const;
export type Action = (typeof ACTIONS)[number];

export interface ActionResult {
  action: Action;
  summary: string;
  figures: Record<string, number | string>;
  /** For the checks: what was found (ids, never values). */
  findings?: Array<Record<string, unknown>>;
}

/** Remediation that wipes credentials waits for a second person. */
export function actionNeedsApproval(action: Action): boolean {
  return (FOUR_EYES_ACTIONS as readonly string[]).includes(action);
}

/** What an action is carried out on: the incident, what it says was compromised, by whom, when. */
interface Remedy {
  desk: Desk;
  db: Executor;
  row: IncidentsTable;
  compromised: Compromised;
  by: By;
  at: Date;
}

type Outcome = Omit<ActionResult, 'action'>;

/** Actions that change credentials commit with their step; the others write nothing of their own (the bank's holds excepted). */
const CARRY_OUT: Record<Action, { inOneTransaction: boolean; run: (remedy: Remedy) => Promise<Outcome> }> = {
  revoke_access: { inOneTransaction: true, run: revokeAccess },
  force_reenrolment: { inOneTransaction: true, run: forceReenrolment },
  hold_bank_changes: { inOneTransaction: false, run: holdBankChanges },
  check_decoys: { inOneTransaction: false, run: checkDecoys },
  check_exports: { inOneTransaction: false, run: checkExports },
};

/**
 * A remediation action; each is a register step and a ledger event. Revoking and resetting
 * credentials commit in one transaction with their step (a write is one transaction with its
 * event); the bank holds are the bank's own transactions, one per person, and the checks write nothing.
 */
export async function act(desk: Desk, id: string, action: Action, by: By): Promise<ActionResult> {
  if (by.accountId !== null && actionNeedsApproval(action))
    throw fourEyesRequired('Cette mesure efface les moyens de connexion');
  return actNow(desk, id, action, by);
}

export async function actNow(desk: Desk, id: string, action: Action, by: By): Promise<ActionResult> {
  const row = await openIncidentRow(desk.db, id);
  const compromised = JSON.parse(row.compromised) as Compromised;
  const { inOneTransaction, run } = CARRY_OUT[action];
  const carryOut = async (db: Executor): Promise<ActionResult> => ({
    action,
    ...(await run({ desk, db, row, compromised, by, at: desk.clock.now() })),
  });
  const record = (trx: Executor, result: ActionResult) =>
    desk.step(trx, id, 'incident_action', by.accountId, result.summary, { action, ...result.figures });
  if (inOneTransaction) {
    return inTransaction(desk.db, async (trx) => {
      const result = await carryOut(trx);
      await record(trx, result);
      return result;
    });
  }
  const result = await carryOut(desk.db);
  await inTransaction(desk.db, (trx) => record(trx, result));
  return result;
}

/** The actors a compromise names (those of its clients and organisations included), and their accounts. */
async function actorsOf(db: Executor, compromised: Compromised): Promise<{ actors: string[]; accounts: string[] }> {
  const actors = new Set([...compromised.actors, ...(await actorsOfClients(db, compromised.clients))]);
  if (compromised.organisations.length)
    for (const r of await db
      .selectFrom('actors')
      .select('id')
      .where('organisation_id', 'in', compromised.organisations)
      .execute())
      actors.add(r.id);
  return { actors: [...actors], accounts: await accountsOfActors(db, [...actors]) };
}

async function revokeAccess({ db, compromised, at }: Remedy): Promise<Outcome> {
  const { actors } = await actorsOf(db, compromised);
  const revoked = await inTransaction(db, (trx) =>
    revokeCredentials(
      trx,
      { actors, sessions: compromised.sessions },
      { reason: 'incident', at, sessions: true, apiTokens: true },
    ),
  );
  const sessions = revoked.sessions;
  const tokens = revoked.apiTokens + revoked.machineTokens;
  let clients = 0;
  for (const client of compromised.clients) if (await revokeMachineClient(db, client, at)) clients++;
  return {
    summary: `Accès révoqués : ${sessions} session(s), ${tokens} jeton(s), ${clients} client(s) machine`,
    figures: { sessions, tokens, clients },
  };
}

async function forceReenrolment({ db, row, compromised, at }: Remedy): Promise<Outcome> {
  const { accounts } = await actorsOf(db, compromised);
  const sessionAccounts = await accountsOfSessions(db, compromised.sessions);
  const targets = [...new Set([...accounts, ...sessionAccounts])];
  let factors = 0;
  await inTransaction(db, async (trx) => {
    for (const account of targets) {
      const revoked = await revokeCredentials(
        trx,
        { accounts: [account] },
        { reason: 'incident_reenrolment', at, password: true, sessions: true, factors: true },
      );
      factors += revoked.factors;
      await appendEvent(trx, 'password_reset_completed', {
        accountId: account,
        details: { by: 'incident', incident: row.id, revokedFactors: revoked.factors },
      });
    }
  });
  return {
    summary: `Réinitialisation forcée de ${targets.length} compte(s) (mot de passe effacé, ${factors} facteur(s) révoqué(s)) : retour par une demande de réinitialisation approuvée par deux administrateurs`,
    figures: { accounts: targets.length, factors },
  };
}

async function holdBankChanges({ desk, db, row, by }: Remedy): Promise<Outcome> {
  frozenScope(row);
  const event: EventInput = { accountId: by.accountId, details: { incident: row.id } };
  const note = `Personne exposée par l’incident ${row.reference} : tout changement de coordonnées bancaires est vérifié par un conseiller.`;
  let placed = 0;
  let already = 0;
  let after: string | undefined;
  for (;;) {
    const page = await storedExposures(db, row.id, { limit: 500, ...(after ? { afterPersonId: after } : {}) });
    for (const exposure of page) {
      const outcome = await desk.placeBankHold(exposure.personId, { reference: row.reference, note }, event);
      if (outcome === 'placed') placed++;
      else already++;
    }
    if (page.length < 500) break;
    after = page[page.length - 1]!.personId;
  }
  return {
    summary: `Coordonnées bancaires sous surveillance : ${placed} personne(s)${already ? ` (${already} déjà sous surveillance pour cet incident)` : ''}`,
    figures: { placed, already },
  };
}

async function checkDecoys({ db, row, compromised }: Remedy): Promise<Outcome> {
  frozenScope(row);
  const decoys = await storedExposures(db, row.id, { decoys: true });
  const { actors } = await actorsOf(db, compromised);
  const containments = await containmentsOfActors(db, actors);
  return {
    summary: decoys.length
      ? `Leurres consultés : ${decoys.length} (preuve que les fichiers ont été parcourus par l’attaquant) ; ${containments.length} confinement(s) de la garde`
      : `Aucun leurre consulté ; ${containments.length} confinement(s) de la garde`,
    figures: { decoys: decoys.length, containments: containments.length },
    findings: [
      ...decoys.map((d) => ({ decoy: d.personId, firstAt: d.firstAt, via: d.via })),
      ...containments.map((c) => ({
        containment: c.id,
        actor: c.actorId,
        signal: c.signal,
        containedAt: c.containedAt,
        releasedAt: c.releasedAt,
      })),
    ],
  };
}

async function checkExports({ db, row, compromised }: Remedy): Promise<Outcome> {
  const { accounts } = await actorsOf(db, compromised);
  const orgs = compromised.organisations;
  const exports = await exportsTouching(db, { organisations: orgs, accounts, requestedUpTo: row.window_to });
  const traced = exports.length ? await eventBodiesOfKindSince(db, 'export_traced', row.window_from) : [];
  const ids = new Set(exports.map((e) => e.id));
  const traces = traced.filter((b) => ids.has(String(b.details.export ?? '')));
  const downloads = exports.reduce((n, e) => n + e.downloads, 0);
  return {
    summary: exports.length
      ? `Exports à suivre : ${exports.length} (${downloads} téléchargement(s), ${traces.length} fichier(s) retrouvé(s) par leurs lignes témoins)`
      : 'Aucun export vers ou par les identités compromises',
    figures: { exports: exports.length, downloads, traces: traces.length },
    findings: exports.map((e) => ({
      export: e.id,
      recipient: e.recipientOrganisationId,
      purpose: e.purpose,
      status: e.status,
      requestedAt: e.requestedAt,
      rows: e.rowCount,
      downloads: e.downloads,
    })),
  };
}
