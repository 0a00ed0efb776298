import type { Schema } from './schema.ts';

/** A capability or a core module that owns tables; `store` is shared. */
export type TableOwner =
  | 'identity'
  | 'policy'
  | 'guard'
  | 'bank'
  | 'incidents'
  | 'privacy'
  | 'updates'
  | 'registration'
  | 'mandates'
  | 'ledger'
  | 'notify'
  | 'jobs'
  | 'store';

/**
 * Who owns each table (DESIGN.md §6: "a capability owns its tables: another capability asks it
 * a question, never reads its rows"). A capability's tables are named, read and written in its
 * own folder only; the others ask it through its index.ts. `store` marks the shared reference
 * data of the network (organisations, actors, caseloads, referrals, appointments) and the
 * person store (persons, their sealed fields, lookups and contact history): any capability may
 * name those. test/unit/table-ownership.test.ts holds the source to this map.
 */
export const TABLE_OWNERS = {
  // identity: accounts, how they sign in, and the programs that act as staff or partners.
  accounts: 'identity',
  account_factors: 'identity',
  account_channels: 'identity',
  sessions: 'identity',
  credential_codes: 'identity',
  login_throttle: 'identity',
  actor_credentials: 'identity',
  machine_clients: 'identity',
  machine_tokens: 'identity',
  machine_assertion_jtis: 'identity',
  federated_identities: 'identity',
  federation_transactions: 'identity',
  passkey_challenges: 'identity',
  passkey_user_handles: 'identity',
  passkey_credentials: 'identity',
  admin_requests: 'identity',
  recertification_campaigns: 'identity',
  recertification_items: 'identity',
  // The first stores' authentication events (migration 0002): the ledger carries them now, nothing writes here.
  security_events: 'identity',

  // policy: the agreements and what bends or proves a decision.
  agreements: 'policy',
  derogations: 'policy',
  break_glass: 'policy',
  caller_verifications: 'policy',
  caller_blank_verifications: 'policy',
  policy_epoch: 'policy',
  // The DPIA of each processing and the partners' baseline attestations: gate inputs (issue 24).
  dpias: 'policy',
  baseline_attestations: 'policy',

  // guard: its windows, signals, containments and decoys, and the guarded exports.
  guard_seen: 'guard',
  guard_actor_days: 'guard',
  guard_searches: 'guard',
  guard_signals: 'guard',
  guard_containments: 'guard',
  guard_containment_persons: 'guard',
  guard_decoys: 'guard',
  exports: 'guard',
  export_canaries: 'guard',

  // bank: changes of bank details and the holds on them.
  bank_changes: 'bank',
  bank_holds: 'bank',

  // incidents: the register and everything computed or sent for an incident.
  incidents: 'incidents',
  incident_exposures: 'incidents',
  incident_documents: 'incidents',
  incident_notices: 'incidents',
  incident_steps: 'incidents',
  incident_requests: 'incidents',

  // privacy: the persons' reports about their journal.
  access_reports: 'privacy',
  // policy: the restrictions of processing it reads on every decision (Art. 18).
  person_restrictions: 'policy',
  // Rectification (Art. 16 and 19): who rectified what, and the notices to the organisations that read it.
  rectifications: 'privacy',
  rectification_notices: 'privacy',
  // The monthly update (issue 25 §2): the declarations and the monthly check of missed ones.
  monthly_updates: 'updates',
  monthly_update_checks: 'updates',
  monthly_update_reminders: 'updates',
  // Registration (issue 25 §1): candidates held as possible duplicates, and the online drafts.
  registration_reviews: 'registration',
  registration_drafts: 'registration',
  // Registration by an agent or a partner's import: each intake (consent, sealed receipt) and each batch.
  registration_intakes: 'registration',
  registration_import_batches: 'registration',
  // Mandates (issue 25 §4): a person's mandates to an aidant of a France Services house, and each step's revocation.
  mandates: 'mandates',
  mandate_scopes: 'mandates',
  rights_requests: 'privacy',
  rights_request_steps: 'privacy',
  // The versions of the generated record of processing activities (GDPR Art. 30, issue 24).
  register_versions: 'privacy',
  // Retention (issue 24 §2): the rules in force, litigation holds, purge runs, notices, month counts, key versions.
  retention_rule_sets: 'privacy',
  retention_holds: 'privacy',
  retention_runs: 'privacy',
  retention_notices: 'privacy',
  retention_stats: 'privacy',
  retention_key_versions: 'privacy',
  // The paper channel (issue 25 §5): the persons' choice of paper, and the letters queued for printing.
  correspondence_preferences: 'privacy',
  paper_letters: 'privacy',

  // The core's own: the log (ledger) and the record of the messages sent (notify).
  ledger_events: 'ledger',
  ledger_nodes: 'ledger',
  ledger_state: 'ledger',
  ledger_checkpoints: 'ledger',
  ledger_person_heads: 'ledger',
  notifications: 'notify',
  outgoing_messages: 'notify',
  job_runs: 'jobs',

  // Shared: the network's reference data and the person store, and the store's own bookkeeping.
  organisations: 'store',
  actors: 'store',
  caseloads: 'store',
  referrals: 'store',
  appointments: 'store',
  persons: 'store',
  person_fields: 'store',
  person_lookups: 'store',
  contact_history: 'store',
  field_versions: 'store',
  // The intermediate archive (retention, issue 24 §2): classes moved out of the file, sealed as they were.
  retention_archive: 'store',
  // Employers' end-of-contract certificates (issue 25 §3): sealed beside the file's `benefits`, written and read through the access pipeline.
  employer_certificates: 'store',
  key_checks: 'store',
  meta: 'store',
} as const satisfies Record<keyof Schema, TableOwner>;

export type TableName = keyof typeof TABLE_OWNERS;

/** May code in `folder` (a capability or core module: identity, guard, access…) name `table`? */
export function mayName(folder: string, table: TableName): boolean {
  const owner: TableOwner = TABLE_OWNERS[table];
  return owner === 'store' || owner === folder;
}
