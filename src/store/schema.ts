import type { AdministrationTables } from './tables/administration.ts';
import type { FederationTables } from './tables/federation.ts';
import type { MachineClientTables } from './tables/machine-clients.ts';
import type { PasskeyTables } from './tables/passkeys.ts';
import type { LedgerTables } from './tables/ledger.ts';
import type { GuardTables } from './tables/guard.ts';
import type { ExportTables } from './tables/exports.ts';
import type { BankDetailsTables } from './tables/bank-details.ts';
import type { IncidentTables } from './tables/incidents.ts';
import type { ContactHistoryTables } from './tables/contact-history.ts';
import type { PolicyTables } from './tables/policy.ts';
import type { AppointmentTables } from './tables/appointments.ts';
import type { NotifyTables } from './tables/notify.ts';
import type { PrivacyTables } from './tables/privacy.ts';
import type { RightsRequestTables } from './tables/rights-requests.ts';
import type { JobTables } from './tables/jobs.ts';
import type { RegisterDpiaTables } from './tables/register-dpia.ts';
import type { RetentionTables } from './tables/retention.ts';
import type { MonthlyUpdateTables } from './tables/monthly-updates.ts';
import type { RegistrationTables } from './tables/registration.ts';
import type { RegistrationIntakeTables } from './tables/registration-intake.ts';
import type { MandateTables } from './tables/mandates.ts';
import type { RectificationTables } from './tables/rectifications.ts';
import type { RestrictionTables } from './tables/restrictions.ts';
import type { PaperChannelTables } from './tables/paper-channel.ts';
import type { RetentionArchiveTables } from './tables/retention-archive.ts';
import type { EmployerCertificateTables } from './tables/employer-certificates.ts';
import type { FieldClass } from '../domain/index.ts';

/**
 * Portable column conventions (one set of migrations for SQLite and PostgreSQL):
 * ids are UUID text, instants are ISO 8601 UTC text (sortable), booleans are 0/1 integers,
 * structured non-personal data is JSON text, secrets at rest are blobs (bytea on PostgreSQL).
 */
export interface PersonsTable {
  id: string;
  status: 'active' | 'erased';
  created_at: string;
  updated_at: string;
  erased_at: string | null;
}

/** One row per (person, field class): the data key wrapped by the class KEK, and the value sealed by the data key. */
export interface PersonFieldsTable {
  person_id: string;
  field_class: FieldClass;
  kek_version: number;
  wrapped_key: Buffer;
  ciphertext: Buffer;
  updated_at: string;
}

/** Blind indexes: HMAC digests of canonical identifiers, for exact lookups without decryption. */
export interface PersonLookupsTable {
  kind: string;
  digest: Buffer;
  person_id: string;
}

export interface OrganisationsTable {
  id: string;
  kind: string;
  name: string;
  siret: string | null;
  departement: string;
  /** JSON: MFA policy, passkey-only, audit date... filled by the policy issue. */
  security_posture: string;
  status: 'active' | 'suspended' | 'closed';
  created_at: string;
}

export interface AgreementsTable {
  id: string;
  organisation_id: string;
  reference: string;
  version: number;
  legal_basis: string;
  /** JSON: per purpose, the field classes read and written, the relationship required, ceilings, retention. */
  purposes: string;
  dpo_contact: string;
  security_contact: string;
  valid_from: string;
  valid_until: string;
  status: 'draft' | 'active' | 'suspended' | 'ended';
  created_at: string;
}

export interface ActorsTable {
  id: string;
  organisation_id: string;
  kind: 'human' | 'machine';
  login: string;
  display_name: string;
  /** JSON array of role names. */
  roles: string;
  status: 'active' | 'suspended' | 'disabled';
  created_at: string;
}

export interface ActorCredentialsTable {
  id: string;
  actor_id: string;
  kind: string;
  /** SHA-256 of a high-entropy token, or a password hash: never the secret itself. */
  secret_hash: string;
  label: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ReferralsTable {
  id: string;
  person_id: string;
  organisation_id: string;
  referred_by_actor_id: string | null;
  reason: string;
  starts_on: string;
  ends_on: string | null;
  status: 'active' | 'ended';
  created_at: string;
}

export interface CaseloadsTable {
  person_id: string;
  actor_id: string;
  organisation_id: string;
  since: string;
  until: string | null;
}

/** Fingerprints of the master keys this store was written with (never the keys). */
export interface KeyChecksTable {
  purpose: string;
  version: number;
  fingerprint: string;
  created_at: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface AccountsTable {
  id: string;
  kind: 'job_seeker' | 'staff';
  actor_id: string | null;
  person_id: string | null;
  /** Lower-case email (job seekers) or staff login. */
  login: string;
  /** argon2id PHC string; null until a password is set. */
  password_hash: string | null;
  status: 'active' | 'disabled';
  created_at: string;
  last_login_at: string | null;
  password_changed_at: string | null;
}

/** Second factors: TOTP (seed sealed under the auth_secrets key), recovery codes (argon2id hashes), passkeys. */
export interface AccountFactorsTable {
  id: string;
  account_id: string;
  kind: 'totp' | 'recovery_codes' | 'passkey';
  /** pending until the holder proves it works once. */
  status: 'pending' | 'active';
  label: string;
  secret: Buffer | null;
  secret_version: number | null;
  /** JSON: recovery code hashes, passkey public key and counter. */
  data: string;
  /** The last TOTP time step accepted: a code is good once. */
  last_used_step: number | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** Server-side sessions: the cookie holds a random id, the table only its SHA-256. */
export interface SessionsTable {
  id_hash: string;
  /** A second random id, safe to show and to name in a revocation request. */
  public_id: string;
  account_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  idle_seconds: number;
  second_factor_at: string | null;
  /** 1 when the account must pass a second factor (staff, or anyone who enrolled one) before using this session. */
  requires_second_factor: number;
  /** The /24 (IPv4) or /48 (IPv6) it was issued to, and a hash of the browser's headers. */
  network: string;
  fingerprint: string;
  csrf_hash: string;
  revoked_at: string | null;
  revoked_reason: string | null;
}

/**
 * Failed logins per login name (existing or not, so a lock reveals nothing) and per address,
 * for the lockout and the anti-spraying delays.
 */
export interface LoginThrottleTable {
  scope: string;
  failures: number;
  window_started_at: string;
  blocked_until: string | null;
  block_count: number;
}

/** Authentication and account events of the first stores (migration 0002): the ledger carries them now, nothing writes here. */
export interface SecurityEventsTable {
  id: string;
  at: string;
  kind: string;
  account_id: string | null;
  address: string | null;
  details: string;
}

export interface Schema
  extends
    AdministrationTables,
    PasskeyTables,
    FederationTables,
    MachineClientTables,
    PolicyTables,
    LedgerTables,
    GuardTables,
    ExportTables,
    BankDetailsTables,
    IncidentTables,
    ContactHistoryTables,
    AppointmentTables,
    NotifyTables,
    PrivacyTables,
    RightsRequestTables,
    JobTables,
    RegisterDpiaTables,
    RetentionTables,
    RestrictionTables,
    PaperChannelTables,
    RectificationTables,
    MonthlyUpdateTables,
    RegistrationTables,
    RegistrationIntakeTables,
    MandateTables,
    RetentionArchiveTables,
    EmployerCertificateTables {
  accounts: AccountsTable;
  account_factors: AccountFactorsTable;
  sessions: SessionsTable;
  login_throttle: LoginThrottleTable;
  security_events: SecurityEventsTable;
  persons: PersonsTable;
  person_fields: PersonFieldsTable;
  person_lookups: PersonLookupsTable;
  organisations: OrganisationsTable;
  agreements: AgreementsTable;
  actors: ActorsTable;
  actor_credentials: ActorCredentialsTable;
  referrals: ReferralsTable;
  caseloads: CaseloadsTable;
  key_checks: KeyChecksTable;
  meta: MetaTable;
}
