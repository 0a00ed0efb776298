import { createHash, randomBytes, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import { currentEventContext } from './context.ts';

/** What the ledger records. Never a personal value nor a secret: identifiers, classes, reasons. */
export const EVENT_KINDS = [
  // authentication and sessions
  'login_succeeded',
  'login_failed',
  'login_throttled',
  'login_locked',
  'logout',
  'session_revoked',
  'session_rejected',
  'step_up_required',
  'cross_origin_refused',
  // accounts and factors
  'account_created',
  'account_disabled',
  'password_changed',
  'password_reset_requested',
  'password_reset_completed',
  'password_reset_refused',
  'factor_enrolled',
  'factor_revoked',
  'second_factor_succeeded',
  'second_factor_failed',
  'recovery_code_used',
  'passkey_registered',
  'passkey_rejected',
  'channel_verified',
  'federated_login',
  'federated_login_rejected',
  'federated_identity_linked',
  'federated_identity_unlinked',
  // machine clients
  'machine_client_registered',
  'machine_client_revoked',
  'machine_token_issued',
  'machine_token_refused',
  // account administration
  'admin_request_created',
  'admin_request_approved',
  'admin_request_refused',
  'role_granted',
  'recertification_started',
  'account_recertified',
  // access to files
  'access_granted',
  'access_denied',
  'person_search',
  'person_created',
  'person_erased',
  'break_glass_used',
  'break_glass_reviewed',
  'caller_verification_started',
  'caller_verified',
  // the guard
  'guard_alert',
  'guard_containment',
  'guard_release',
  'decoys_planted',
  // agreements and postures
  'derogation_granted',
  'derogation_revoked',
  'posture_changed',
  'agreement_imported',
  // the DPIA, the partners' security baseline and the Art. 30 register (issue 24)
  'dpia_updated',
  'baseline_attested',
  'register_versioned',
  // the job seeker and the ledger itself
  'access_reported',
  // the job seeker reading or downloading their own file (GDPR Art. 15)
  'subject_access',
  'ledger_pruned',
  'ledger_verified',
  // exports
  'export_requested',
  'export_approved',
  'export_refused',
  'export_downloaded',
  'export_expired',
  'export_traced',
  // bank details
  'bank_change_requested',
  'bank_change_held',
  'bank_change_notified',
  'bank_change_frozen',
  'bank_change_approved',
  'bank_change_rejected',
  'bank_change_effective',
  'bank_hold_placed',
  'bank_hold_lifted',
  'contact_change_announced',
  // incidents (the register of GDPR Art. 33(5))
  'incident_declared',
  'incident_amended',
  'incident_scoped',
  'incident_document_produced',
  'incident_document_read',
  'incident_cnil_filed',
  'incident_notices_planned',
  'incident_notice_sent',
  'incident_action',
  'incident_closed',
  'incident_approval_requested',
  'incident_approval_granted',
  'incident_approval_refused',
  // rights requests (GDPR Art. 12, 15–21): received, each change of state, answered, overdue
  'rights_request_received',
  'rights_request_transition',
  'rights_request_answered',
  'rights_request_overdue',
  // restriction of processing (GDPR Art. 18): classes of a person withheld from every purpose, then lifted
  'processing_restricted',
  'restriction_lifted',
  // the monthly update (issue 25 §2): a declaration or its correction, and a registration ended for a missed one
  'monthly_update_declared',
  'registration_ceased',
  // mandates (issue 25 §4): prepared by an aidant with the person, confirmed by the person, steps withdrawn, ended
  'mandate_requested',
  'mandate_confirmed',
  'mandate_revoked',
  'mandate_expired',
  // rectification (GDPR Art. 16 and 19): a class rectified, the DPO reading the value it replaced,
  // each organisation that read the class since told, and its acknowledgement
  'data_rectified',
  'previous_value_read',
  'rectification_notified',
  'rectification_acknowledged',
  // retention (issue 24 §2): rules imported, litigation holds, notices before a purge, each
  // person's classes destroyed, each purge run, master key versions retired
  'retention_rules_imported',
  'retention_hold_set',
  'retention_hold_lifted',
  'retention_notice_sent',
  'retention_purged',
  // a person's classes moved to the intermediate archive (readable by the DPO's archive read only)
  'retention_archived',
  // the DPO reading a person's intermediate archive (recorded before anything is opened)
  'archive_read',
  'retention_records_purged',
  'retention_run',
  'keys_retired',
  // employers' end-of-contract certificates (issue 25 §3): a certificate received is an
  // `access_granted` (a write of `benefits`); a dispute, routed back to the employer, is this
  'employer_certificate_disputed',
  // the paper channel (issue 25 §5): a person's choice of paper (by them or an agent), each letter
  // queued, posted or returned (with the reason); never an address or a text
  'correspondence_preference_set',
  'paper_letter_queued',
  'paper_letter_posted',
  'paper_letter_returned',
  // a returned letter that reached the person nowhere else: an agent reached them another way (how, when)
  'paper_letter_reached',
  // registration (issue 25 §1): a file created by a registration (its channel and source, never a
  // value), a candidate held because it matched a file, an agent opening a held candidate, and the
  // agent's decision (same person, or different persons)
  'person_registered',
  'registration_held',
  'registration_candidate_read',
  'registration_review_decided',
  // a person whose registration had ended registering again from their espace
  'registration_renewed',
  // registration by an agent or a partner's import: each intake once its file exists (consent, receipt
  // or notice, batch and source; never a value), and each partner batch received (counts only)
  'registration_intake_recorded',
  'registration_import_received',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export type DetailValue = string | number | boolean | null;

/** What a caller says of an event; what the request context knows (request id, address, who) fills the rest. */
export interface EventInput {
  accountId?: string | null;
  actorId?: string | null;
  organisationId?: string | null;
  personId?: string | null;
  purpose?: string | null;
  caseReference?: string | null;
  operation?: string | null;
  classes?: readonly string[];
  address?: string | null;
  requestId?: string | null;
  details?: Record<string, DetailValue>;
  /** Injected time (simulations, imports); the clock otherwise. */
  at?: Date;
}

/**
 * Who acted and from where is `restricted`: the job seeker's journal shows the event with that
 * part replaced by its digest (salted, so an address cannot be guessed back from it), and the
 * tree covers exactly that view, so the journal can be checked without exposing staff details.
 */
export interface RestrictedPart {
  account: string | null;
  actor: string | null;
  address: string | null;
  requestId: string | null;
  /** The session's public id, when the request came with one (absent from events of other kinds of caller). */
  session?: string;
  salt: string;
}

/**
 * An event's place in its person's journal chain (issue 20), set when it is integrated, never
 * by the caller: `n` is the person's count of chained events (1-based), `prev` the leaf hash
 * (base64url) of their previous one and `prevIndex` its leaf index (both null for n = 1). A
 * missing entry breaks the count, which the job seeker's browser checks.
 */
export interface ChainLink {
  n: number;
  prev: string | null;
  prevIndex: number | null;
}

export interface EventBody {
  v: 1;
  id: string;
  at: string;
  kind: EventKind;
  organisation: string | null;
  person: string | null;
  purpose: string | null;
  caseReference: string | null;
  operation: string | null;
  classes: string[];
  details: Record<string, DetailValue>;
  restricted: RestrictedPart;
  /** Only on events of a journal kind naming a person, integrated since the chain exists. */
  chain?: ChainLink;
}

/** The event as the tree covers it and as the job seeker may see it. */
export type PublicEvent = Omit<EventBody, 'restricted'> & { restricted: string };

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('nothing to canonicalize');
  return text;
}

export function restrictedDigest(restricted: RestrictedPart): string {
  return createHash('sha256').update(canonicalJson(restricted), 'utf8').digest('base64url');
}

export function publicView(body: EventBody): PublicEvent {
  return { ...body, restricted: restrictedDigest(body.restricted) };
}

/** The bytes the Merkle leaf hashes: RFC 8785 canonical JSON of the public view. */
export function leafData(body: EventBody): Buffer {
  return Buffer.from(canonicalJson(publicView(body)), 'utf8');
}

function pick<T>(explicit: T | undefined, ambient: T | undefined): T | null {
  return explicit !== undefined ? explicit : (ambient ?? null);
}

export function buildEvent(kind: EventKind, input: EventInput): EventBody {
  const context = currentEventContext();
  return {
    v: 1,
    id: randomUUID(),
    at: (input.at ?? new Date()).toISOString(),
    kind,
    organisation: pick(input.organisationId, context.organisationId),
    person: input.personId ?? null,
    purpose: input.purpose ?? null,
    caseReference: input.caseReference ?? null,
    operation: input.operation ?? null,
    classes: [...(input.classes ?? [])],
    details: { ...(input.details ?? {}) },
    restricted: {
      account: pick(input.accountId, context.accountId),
      actor: pick(input.actorId, context.actorId),
      address: pick(input.address, context.address),
      requestId: pick(input.requestId, context.requestId),
      ...(context.sessionId ? { session: context.sessionId } : {}),
      salt: randomBytes(16).toString('base64url'),
    },
  };
}

/** The row a body is stored as: the body, and copies of what lookups filter on. */
export function eventRow(body: EventBody) {
  return {
    id: body.id,
    seq: null,
    at: body.at,
    kind: body.kind,
    account_id: body.restricted.account,
    actor_id: body.restricted.actor,
    organisation_id: body.organisation,
    person_id: body.person,
    body: canonicalJson(body),
  };
}

export type EventRow = ReturnType<typeof eventRow>;

export function parseBody(text: string): EventBody {
  return JSON.parse(text) as EventBody;
}
