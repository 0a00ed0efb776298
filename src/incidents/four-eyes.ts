import { ForbiddenError } from '../domain/index.ts';
import { actorsOfSessions, staffMemberOf, type StaffMember } from '../identity/index.ts';
import { can, type AbilityVerb } from '../policy/index.ts';
import type { Executor, IncidentDocumentsTable, IncidentRequestsTable } from '../store/index.ts';
import { actorsOfClients } from './blast-radius.ts';
import type { Compromised } from './model.ts';

/**
 * Four eyes on the incident desk (issue 19). One desk account alone once declared an incident
 * over the whole network, sent the notices and downloaded the letters: the names and postal
 * addresses of everyone. What one account must not do alone is now a request that a second
 * member of the desk approves (then it is carried out) or refuses, as bulk exports are:
 *
 * - declaring (or widening) an incident whose compromised identities span more than one organisation;
 * - sending the notices to people (they read identity and contact, and print letters);
 * - downloading a document that names people (a batch of letters, the scope list);
 * - destructive remediation (wiping passwords and second factors).
 *
 * Who asks and who decides is the abilities table's (`policy/abilities.ts`): a security officer
 * of the platform asks; another one or the DPO approves, never the requester. The DPO's desk is
 * otherwise read-only (README: what exactly it may do).
 */

export const REQUEST_KINDS = ['declare', 'amend', 'notices_run', 'document', 'action'] as const;
export type RequestKind = IncidentRequestsTable['kind'];

/** Remediation that destroys what the holder needs to work (credentials): four eyes. Revoking sessions, holds and checks stay immediate. */
export const FOUR_EYES_ACTIONS = ['force_reenrolment'] as const;

/** Documents whose content names people: downloaded on approval only, and through the guard. */
export const PERSONAL_DOCUMENTS: ReadonlyArray<IncidentDocumentsTable['kind']> = ['letters_pdf', 'scope_csv'];

/** A request nobody approved within 48 hours lapses (as the administrators' four eyes). */
export const REQUEST_TTL_MS = 48 * 3_600_000;
/** An approved download is used once, within 24 hours. */
export const DOWNLOAD_TTL_MS = 24 * 3_600_000;

export interface RequestView {
  id: string;
  incidentId: string | null;
  kind: RequestKind;
  summary: string;
  /** `expired` when nobody approved in time, or an approved download was not used in time. */
  status: IncidentRequestsTable['status'];
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  usableUntil: string | null;
  usedAt: string | null;
  /** For a document: its id (the requester downloads it once approved). */
  documentId: string | null;
  outcome: Record<string, unknown> | null;
}

export function requestView(
  row: IncidentRequestsTable & { requester_login: string | null; decider_login: string | null },
  now: Date,
): RequestView {
  const at = now.toISOString();
  const lapsed =
    (row.status === 'pending' && row.expires_at <= at) ||
    (row.status === 'approved' && row.usable_until !== null && row.usable_until <= at);
  const payload = JSON.parse(row.payload) as { documentId?: string };
  return {
    id: row.id,
    incidentId: row.incident_id,
    kind: row.kind,
    summary: row.summary,
    status: lapsed ? 'expired' : row.status,
    requestedBy: row.requester_login ?? '',
    requestedAt: row.requested_at,
    expiresAt: row.expires_at,
    decidedBy: row.decider_login,
    decidedAt: row.decided_at,
    decisionNote: row.decision_note,
    usableUntil: row.usable_until,
    usedAt: row.used_at,
    documentId: row.kind === 'document' ? (payload.documentId ?? null) : null,
    outcome: row.outcome ? (JSON.parse(row.outcome) as Record<string, unknown>) : null,
  };
}

/** The organisations a compromise reaches: those named, and those of the actors, clients and sessions named. */
export async function organisationsSpanned(db: Executor, compromised: Compromised): Promise<string[]> {
  const organisations = new Set(compromised.organisations);
  const actors = new Set([...compromised.actors, ...(await actorsOfClients(db, compromised.clients))]);
  for (const actor of (await actorsOfSessions(db, compromised.sessions)).values()) if (actor) actors.add(actor);
  if (actors.size)
    for (const r of await db
      .selectFrom('actors')
      .select('organisation_id')
      .where('id', 'in', [...actors])
      .execute())
      organisations.add(r.organisation_id);
  return [...organisations].sort();
}

async function deskMember(
  db: Executor,
  accountId: string,
  verb: AbilityVerb<'incident_step'>,
  message: string,
): Promise<StaffMember> {
  const member = await staffMemberOf(db, accountId);
  const allowed =
    member &&
    member.organisationStatus === 'active' &&
    member.actorStatus === 'active' &&
    can(member, verb, 'incident_step');
  if (!allowed) throw new ForbiddenError(message, 'role_required');
  return member;
}

/** The platform's security officer, active: the only one who asks. */
export function requesterOf(db: Executor, accountId: string): Promise<StaffMember> {
  return deskMember(
    db,
    accountId,
    'request',
    'Réservé au responsable de la sécurité des systèmes d’information : le délégué à la protection des données approuve ou refuse, il ne demande pas.',
  );
}

/** Another security officer or the DPO, active. */
export function approverOf(db: Executor, accountId: string): Promise<StaffMember> {
  return deskMember(
    db,
    accountId,
    'decide',
    'Réservé au délégué à la protection des données et au responsable de la sécurité.',
  );
}

export function fourEyesRequired(what: string): ForbiddenError {
  return new ForbiddenError(
    `${what} : une seconde personne du bureau (un autre responsable de la sécurité ou le délégué à la protection des données) doit approuver la demande.`,
    'four_eyes_required',
  );
}

/** The guard refused a desk download (over the desk's budget, account contained, session moved). */
export class DownloadRefusedError extends ForbiddenError {
  constructor(readonly reason: string) {
    super(
      reason === 'actor_contained'
        ? 'Votre compte est suspendu par mesure de sécurité : contactez le référent sécurité de votre organisation.'
        : reason === 'session_moved'
          ? 'Votre session a changé de réseau : elle est fermée par sécurité. Reconnectez-vous.'
          : 'Volume de téléchargement du bureau dépassé : le document n’est pas remis et le responsable de la sécurité est alerté.',
      reason,
    );
    this.name = 'DownloadRefusedError';
  }
}

/**
 * The guard's word on a desk download: the persons the document names are counted against the
 * desk's own budget; `record` runs in the guard's transaction when admitted (the download is
 * recorded before a byte leaves).
 */
export type DownloadGate = (
  personIds: readonly string[],
  record: (trx: Executor) => Promise<void>,
) => Promise<{ allowed: true } | { allowed: false; reason: string }>;
