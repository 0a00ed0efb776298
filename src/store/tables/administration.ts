/**
 * A change to staff accounts that one administrator asks for and a second administrator of
 * the same organisation approves (four eyes): the December 2025 intrusion created accounts
 * from a single hacked administrator.
 */
export interface AdminRequestsTable {
  id: string;
  organisation_id: string;
  kind: 'create_staff_account' | 'grant_roles' | 'reset_staff_credentials' | 'register_machine_client';
  target_account_id: string | null;
  /** JSON: what to create or change; never a password or a code. */
  payload: string;
  requested_by: string;
  requested_at: string;
  expires_at: string;
  status: 'pending' | 'approved' | 'refused' | 'expired';
  decided_by: string | null;
  decided_at: string | null;
  /** JSON: what the approval did (account created, sessions revoked…). */
  outcome: string | null;
}

/** Where an account can be reached: the address sealed under auth_secrets, a masked form to show. */
export interface AccountChannelsTable {
  id: string;
  account_id: string;
  kind: 'email' | 'sms';
  address: Buffer;
  address_version: number;
  masked: string;
  verified_at: string | null;
  created_at: string;
  removed_at: string | null;
}

/** One-time codes (channel verification, job seeker recovery, staff activation): only their hash. */
export interface CredentialCodesTable {
  id: string;
  account_id: string | null;
  /** `enrolment`: the activation code kept for the first second factor (see identity/enrolment.ts). */
  purpose: 'channel_verification' | 'recovery' | 'activation' | 'enrolment';
  channel_id: string | null;
  code_hash: string;
  created_at: string;
  expires_at: string;
  attempts: number;
  used_at: string | null;
}

export interface RecertificationCampaignsTable {
  id: string;
  organisation_id: string;
  /** Account id, or null when the periodic sweep started it. */
  started_by: string | null;
  started_at: string;
  due_at: string;
  closed_at: string | null;
}

export interface RecertificationItemsTable {
  campaign_id: string;
  account_id: string;
  decision: 'pending' | 'kept' | 'disabled';
  decided_by: string | null;
  decided_at: string | null;
}

export interface AdministrationTables {
  admin_requests: AdminRequestsTable;
  account_channels: AccountChannelsTable;
  credential_codes: CredentialCodesTable;
  recertification_campaigns: RecertificationCampaignsTable;
  recertification_items: RecertificationItemsTable;
}
