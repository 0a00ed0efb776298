import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  type ValidationIssue,
} from '../../domain/index.ts';
import { inTransaction, type AdminRequestsTable, type Executor } from '../../store/index.ts';
import { normalizeLogin } from '../accounts.ts';
import { addChannel, canonicalAddress } from '../channels.ts';
import {
  findMachineClient,
  normalisePublicJwks,
  registerMachineClient,
  revokeMachineClient,
} from '../machine-clients/index.ts';
import { alertSecurityContact, type Messenger } from '../notifications.ts';
import { sendActivation } from '../recovery.ts';
import { revokeCredentials } from '../revocation.ts';
import { revokeAllSessions } from '../sessions.ts';
import { staffMemberOf, type StaffMember } from '../staff.ts';
import { appendEvent } from '../../ledger/index.ts';
import { can, grantableRoles } from '../../policy/index.ts';

/** A request nobody approved within two days lapses: approval is a decision, not an archive chore. */
export const REQUEST_TTL_MS = 48 * 3600 * 1000;

const LOGIN_PATTERN = /^[a-z0-9][a-z0-9._-]{2,62}$/;

export type AdminRequestInput =
  | { kind: 'create_staff_account'; login: string; displayName: string; roles: string[]; email: string }
  | { kind: 'grant_roles'; accountId: string; roles: string[] }
  | { kind: 'reset_staff_credentials'; accountId: string; resetFactors: boolean }
  | { kind: 'register_machine_client'; name: string; jwks: unknown };

export interface AdminRequestView {
  id: string;
  kind: AdminRequestsTable['kind'];
  status: AdminRequestsTable['status'];
  targetAccountId: string | null;
  summary: Record<string, unknown>;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  outcome: Record<string, unknown> | null;
}

/** The acting administrator: a staff account allowed to administer accounts, in an active organisation. */
export async function requireOrgAdmin(db: Executor, accountId: string): Promise<StaffMember> {
  const member = await staffMemberOf(db, accountId);
  if (!member || !can(member, 'administer', 'accounts'))
    throw new ForbiddenError('Réservé aux administrateurs des comptes de l’organisation.', 'not_org_admin');
  if (member.organisationStatus !== 'active')
    throw new ForbiddenError(
      'Organisation suspendue : administration des comptes impossible.',
      'organisation_suspended',
    );
  if (member.actorStatus !== 'active')
    throw new ForbiddenError(
      'Compte suspendu par mesure de sécurité : administration des comptes impossible.',
      'actor_contained',
    );
  return member;
}

function rolesIssues(roles: string[], organisationKind: string, field: string): ValidationIssue[] {
  const allowed = grantableRoles(organisationKind);
  if (roles.length === 0) return [{ field, rule: 'required', message: 'au moins un rôle' }];
  return roles
    .filter((r) => !(allowed as readonly string[]).includes(r))
    .map((r) => ({
      field,
      rule: 'role',
      message: `rôle « ${r} » impossible à attribuer dans cette organisation (autorisés : ${allowed.join(', ')})`,
    }));
}

async function targetInOrganisation(db: Executor, admin: StaffMember, accountId: string): Promise<StaffMember> {
  const target = await staffMemberOf(db, accountId);
  // Another organisation's account is answered as unknown: administrators see only their own.
  if (!target || target.organisationId !== admin.organisationId) throw new NotFoundError('compte');
  return target;
}

/** The professional mail domains the organisation declared in its security posture (lower case). */
async function declaredEmailDomains(db: Executor, organisationId: string): Promise<string[]> {
  const row = await db
    .selectFrom('organisations')
    .select('security_posture')
    .where('id', '=', organisationId)
    .executeTakeFirst();
  try {
    const posture: unknown = JSON.parse(row?.security_posture ?? '{}');
    const domains =
      posture && typeof posture === 'object' ? (posture as { emailDomains?: unknown }).emailDomains : undefined;
    return Array.isArray(domains)
      ? domains.filter((d): d is string => typeof d === 'string').map((d) => d.toLowerCase())
      : [];
  } catch {
    // An unreadable posture declares nothing: no activation code can go anywhere.
    return [];
  }
}

/**
 * The activation code of a new staff account goes to this address, so it must be one of the
 * organisation's own mailboxes: a domain it declared (or a subdomain of one), never a webmail
 * an impostor could open.
 */
async function staffEmailIssues(
  db: Executor,
  organisationId: string,
  email: string,
  field: string,
): Promise<ValidationIssue[]> {
  const domains = await declaredEmailDomains(db, organisationId);
  if (domains.length === 0)
    return [
      {
        field,
        rule: 'email_domain',
        message:
          'votre organisation n’a déclaré aucun domaine de messagerie professionnelle : le bureau sécurité doit le déclarer dans sa posture avant toute création de compte',
      },
    ];
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  if (domains.some((d) => domain === d || domain.endsWith(`.${d}`))) return [];
  return [
    {
      field,
      rule: 'email_domain',
      message: `adresse hors des domaines professionnels déclarés par votre organisation (${domains.join(', ')})`,
    },
  ];
}

/** Check the request now, so that a bad one is refused at once and never waits for an approver. */
async function validatedPayload(
  db: Executor,
  admin: StaffMember,
  input: AdminRequestInput,
): Promise<{ target: string | null; payload: Record<string, unknown> }> {
  if (input.kind === 'create_staff_account') {
    const login = normalizeLogin(input.login);
    const issues: ValidationIssue[] = [];
    if (!LOGIN_PATTERN.test(login))
      issues.push({
        field: 'body.login',
        rule: 'login',
        message: '3 à 63 caractères : lettres minuscules, chiffres, point, tiret, souligné',
      });
    if (input.displayName.trim().length < 2)
      issues.push({ field: 'body.displayName', rule: 'required', message: 'nom affiché requis' });
    issues.push(...rolesIssues(input.roles, admin.organisationKind, 'body.roles'));
    let email = '';
    try {
      email = canonicalAddress('email', input.email, 'body.email');
    } catch (error) {
      if (error instanceof ValidationError) issues.push(...error.issues);
      else throw error;
    }
    if (email) issues.push(...(await staffEmailIssues(db, admin.organisationId, email, 'body.email')));
    if (issues.length) throw new ValidationError(issues);
    const taken =
      (await db.selectFrom('accounts').select('id').where('login', '=', login).executeTakeFirst()) ??
      (await db.selectFrom('actors').select('id').where('login', '=', login).executeTakeFirst());
    if (taken) throw new ConflictError('cet identifiant de connexion est déjà pris', 'login_taken');
    return {
      target: null,
      payload: { login, displayName: input.displayName.trim(), roles: [...new Set(input.roles)], email },
    };
  }
  if (input.kind === 'register_machine_client') {
    const { jwks, issues } = await normalisePublicJwks(input.jwks, 'body.jwks');
    if (issues.length || !jwks) throw new ValidationError(issues);
    // Only public keys reach the request; what the approver sees is what will be registered.
    return { target: null, payload: { login: input.name.trim(), name: input.name.trim(), jwks } };
  }
  const target = await targetInOrganisation(db, admin, input.accountId);
  if (input.kind === 'grant_roles') {
    const issues = rolesIssues(input.roles, admin.organisationKind, 'body.roles');
    if (issues.length) throw new ValidationError(issues);
    const added = [...new Set(input.roles)].filter((r) => !target.roles.includes(r));
    if (added.length === 0) throw new ConflictError('le compte a déjà ces rôles', 'roles_already_held');
    return { target: target.accountId, payload: { login: target.login, roles: added } };
  }
  return { target: target.accountId, payload: { login: target.login, resetFactors: input.resetFactors } };
}

const KIND_LABELS: Record<AdminRequestsTable['kind'], string> = {
  create_staff_account: 'création d’un compte professionnel',
  grant_roles: 'attribution de rôles',
  reset_staff_credentials: 'réinitialisation des accès d’un agent',
  register_machine_client: 'raccordement d’un système d’information partenaire (client machine)',
};

function describe(kind: AdminRequestsTable['kind'], payload: Record<string, unknown>): string {
  const roles = Array.isArray(payload.roles) ? ` ; rôles : ${(payload.roles as string[]).join(', ')}` : '';
  return `${KIND_LABELS[kind]} — compte « ${String(payload.login)} »${roles}`;
}

/** An administrator asks; nothing changes until a second administrator of the organisation approves. */
export async function requestAdminChange(
  m: Messenger,
  requesterAccountId: string,
  input: AdminRequestInput,
  address: string,
  now = new Date(),
): Promise<AdminRequestView> {
  const admin = await requireOrgAdmin(m.db, requesterAccountId);
  const { target, payload } = await validatedPayload(m.db, admin, input);
  const row: AdminRequestsTable = {
    id: randomUUID(),
    organisation_id: admin.organisationId,
    kind: input.kind,
    target_account_id: target,
    payload: JSON.stringify(payload),
    requested_by: admin.accountId,
    requested_at: now.toISOString(),
    expires_at: new Date(now.getTime() + REQUEST_TTL_MS).toISOString(),
    status: 'pending',
    decided_by: null,
    decided_at: null,
    outcome: null,
  };
  await inTransaction(m.db, async (trx) => {
    await trx.insertInto('admin_requests').values(row).execute();
    await appendEvent(trx, 'admin_request_created', {
      accountId: admin.accountId,
      address,
      details: { request: row.id, kind: row.kind, target },
    });
  });
  await alertSecurityContact(
    m,
    admin.organisationId,
    'admin_request_alert',
    `demande de ${KIND_LABELS[input.kind]}`,
    `${admin.login} demande : ${describe(input.kind, payload)}.\nElle attend l’approbation d’un second administrateur jusqu’au ${row.expires_at}.\nSi cette demande vous surprend, refusez-la et suspendez le compte de ${admin.login}.`,
  );
  return view(row);
}

function view(row: AdminRequestsTable): AdminRequestView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    targetAccountId: row.target_account_id,
    summary: JSON.parse(row.payload) as Record<string, unknown>,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    expiresAt: row.expires_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    outcome: row.outcome ? (JSON.parse(row.outcome) as Record<string, unknown>) : null,
  };
}

export async function listAdminRequests(
  db: Executor,
  adminAccountId: string,
  status?: AdminRequestsTable['status'],
): Promise<AdminRequestView[]> {
  const admin = await requireOrgAdmin(db, adminAccountId);
  let query = db.selectFrom('admin_requests').selectAll().where('organisation_id', '=', admin.organisationId);
  if (status) query = query.where('status', '=', status);
  return (await query.orderBy('requested_at', 'desc').limit(200).execute()).map(view);
}

async function pendingRequest(
  db: Executor,
  admin: StaffMember,
  requestId: string,
  now: Date,
): Promise<AdminRequestsTable> {
  const row = await db
    .selectFrom('admin_requests')
    .selectAll()
    .where('id', '=', requestId)
    .where('organisation_id', '=', admin.organisationId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('demande');
  if (row.status !== 'pending') throw new ConflictError('cette demande a déjà été traitée', `request_${row.status}`);
  if (Date.parse(row.expires_at) <= now.getTime()) {
    await db
      .updateTable('admin_requests')
      .set({ status: 'expired' })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .execute();
    throw new ConflictError('cette demande a expiré : elle doit être refaite', 'request_expired');
  }
  return row;
}

function fourEyes(admin: StaffMember, row: AdminRequestsTable): void {
  if (row.requested_by === admin.accountId)
    throw new ForbiddenError(
      'Un second administrateur doit approuver : on ne valide pas sa propre demande.',
      'four_eyes_required',
    );
  if (row.target_account_id === admin.accountId)
    throw new ForbiddenError(
      'Un administrateur ne peut pas approuver une demande qui le concerne.',
      'four_eyes_required',
    );
}

/** The second administrator approves: the change happens now, in one transaction, and is announced. */
export async function approveAdminRequest(
  m: Messenger,
  approverAccountId: string,
  requestId: string,
  address: string,
  now = new Date(),
): Promise<AdminRequestView> {
  const admin = await requireOrgAdmin(m.db, approverAccountId);
  const row = await pendingRequest(m.db, admin, requestId, now);
  fourEyes(admin, row);
  const payload = JSON.parse(row.payload) as Record<string, unknown>;
  // The posture may have changed since the request: the code still goes to a declared domain only.
  if (row.kind === 'create_staff_account') {
    const issues = await staffEmailIssues(m.db, row.organisation_id, String(payload.email), 'request.email');
    if (issues.length) throw new ValidationError(issues);
  }
  const decided = await inTransaction(m.db, async (trx) => {
    const claimed = await trx
      .updateTable('admin_requests')
      .set({ status: 'approved', decided_by: admin.accountId, decided_at: now.toISOString() })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1)
      throw new ConflictError('cette demande a déjà été traitée', 'request_decided');
    const outcome = await carryOut(m, trx, row, payload, now);
    await trx
      .updateTable('admin_requests')
      .set({ outcome: JSON.stringify(outcome) })
      .where('id', '=', row.id)
      .execute();
    await appendEvent(trx, 'admin_request_approved', {
      accountId: admin.accountId,
      address,
      details: { request: row.id, kind: row.kind, requestedBy: row.requested_by },
    });
    return {
      ...row,
      status: 'approved' as const,
      decided_by: admin.accountId,
      decided_at: now.toISOString(),
      outcome: JSON.stringify(outcome),
    };
  });
  const target = decided.target_account_id ?? (JSON.parse(decided.outcome) as { accountId?: string }).accountId;
  // Out of band: the code goes to the staff member's professional address, not to either administrator.
  if (target && (row.kind === 'create_staff_account' || row.kind === 'reset_staff_credentials'))
    await sendActivation(m, target, now);
  await alertSecurityContact(
    m,
    admin.organisationId,
    'admin_request_alert',
    `${KIND_LABELS[row.kind]} approuvée`,
    `${admin.login} a approuvé : ${describe(row.kind, payload)} (demande de ${row.requested_by}).`,
  );
  return view(decided);
}

async function carryOut(
  m: Messenger,
  trx: Executor,
  row: AdminRequestsTable,
  payload: Record<string, unknown>,
  now: Date,
): Promise<Record<string, unknown>> {
  const at = now.toISOString();
  if (row.kind === 'create_staff_account') {
    const { login, displayName, roles, email } = payload as {
      login: string;
      displayName: string;
      roles: string[];
      email: string;
    };
    const taken = await trx.selectFrom('accounts').select('id').where('login', '=', login).executeTakeFirst();
    if (taken) throw new ConflictError('cet identifiant de connexion a été pris entre-temps', 'login_taken');
    const actorId = randomUUID();
    const accountId = randomUUID();
    await trx
      .insertInto('actors')
      .values({
        id: actorId,
        organisation_id: row.organisation_id,
        kind: 'human',
        login,
        display_name: displayName,
        roles: JSON.stringify(roles),
        status: 'active',
        created_at: at,
      })
      .execute();
    // No password yet: the holder sets one with the activation code, then enrols a second factor.
    await trx
      .insertInto('accounts')
      .values({
        id: accountId,
        kind: 'staff',
        actor_id: actorId,
        person_id: null,
        login,
        password_hash: null,
        status: 'active',
        created_at: at,
        last_login_at: null,
        password_changed_at: null,
      })
      .execute();
    await addChannel(trx, m.keyring, accountId, 'email', email, { verified: true, now });
    await appendEvent(trx, 'account_created', { accountId, details: { kind: 'staff', request: row.id } });
    return { accountId, actorId };
  }
  if (row.kind === 'register_machine_client') {
    const { name, jwks } = payload as { name: string; jwks: unknown };
    const client = await registerMachineClient(trx, { organisationId: row.organisation_id, name, jwks }, now);
    return { clientId: client.clientId, actorId: client.actorId };
  }
  const target = row.target_account_id!;
  const member = await staffMemberOf(trx, target);
  if (!member) throw new NotFoundError('compte');
  if (row.kind === 'grant_roles') {
    const roles = [...new Set([...member.roles, ...(payload.roles as string[])])];
    await trx
      .updateTable('actors')
      .set({ roles: JSON.stringify(roles) })
      .where('id', '=', member.actorId)
      .execute();
    // New privileges start with a new session: the holder signs in again.
    const revoked = await revokeAllSessions(trx, target, 'privilege_change');
    await appendEvent(trx, 'role_granted', { accountId: target, details: { roles: roles.join(','), request: row.id } });
    return { roles, revokedSessions: revoked };
  }
  const revoked = await revokeCredentials(
    trx,
    { accounts: [target] },
    { reason: 'credentials_reset', at: now, password: true, sessions: true, factors: payload.resetFactors === true },
  );
  await appendEvent(trx, 'password_reset_completed', {
    accountId: target,
    details: { by: 'administrators', request: row.id, revokedFactors: revoked.factors },
  });
  return { revokedSessions: revoked.sessions, revokedFactors: revoked.factors };
}

export async function refuseAdminRequest(
  m: Messenger,
  deciderAccountId: string,
  requestId: string,
  address: string,
  now = new Date(),
): Promise<AdminRequestView> {
  const admin = await requireOrgAdmin(m.db, deciderAccountId);
  const row = await pendingRequest(m.db, admin, requestId, now);
  const decided = { ...row, status: 'refused' as const, decided_by: admin.accountId, decided_at: now.toISOString() };
  await inTransaction(m.db, async (trx) => {
    const refused = await trx
      .updateTable('admin_requests')
      .set({ status: 'refused', decided_by: admin.accountId, decided_at: decided.decided_at })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    // Approved or refused by another administrator in between: this refusal records nothing and alerts no one.
    if (Number(refused.numUpdatedRows) !== 1)
      throw new ConflictError('cette demande vient d’être traitée par un autre administrateur', 'request_decided');
    await appendEvent(trx, 'admin_request_refused', {
      accountId: admin.accountId,
      address,
      details: { request: row.id, kind: row.kind, requestedBy: row.requested_by },
    });
  });
  await alertSecurityContact(
    m,
    admin.organisationId,
    'admin_request_alert',
    `${KIND_LABELS[row.kind]} refusée`,
    `${admin.login} a refusé : ${describe(row.kind, JSON.parse(row.payload) as Record<string, unknown>)}.`,
  );
  return view(decided);
}

/**
 * Taking access away needs no second pair of eyes: one administrator can disable an account
 * at once (containment must not wait), and the security contact hears of it.
 */
export async function disableStaffAccount(
  m: Messenger,
  adminAccountId: string,
  accountId: string,
  address: string,
  now = new Date(),
): Promise<{ revokedSessions: number }> {
  const admin = await requireOrgAdmin(m.db, adminAccountId);
  const target = await targetInOrganisation(m.db, admin, accountId);
  const revokedSessions = await inTransaction(m.db, async (trx) => {
    await trx.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', target.accountId).execute();
    const revoked = await revokeAllSessions(trx, target.accountId, 'disabled_by_admin');
    await appendEvent(trx, 'account_disabled', {
      accountId: target.accountId,
      address,
      details: { reason: 'administrator', by: admin.accountId },
    });
    return revoked;
  });
  await alertSecurityContact(
    m,
    admin.organisationId,
    'admin_action_alert',
    'compte désactivé',
    `${admin.login} a désactivé le compte « ${target.login} » le ${now.toISOString()}.`,
  );
  return { revokedSessions };
}

export async function listOrganisationAccounts(db: Executor, adminAccountId: string) {
  const admin = await requireOrgAdmin(db, adminAccountId);
  const rows = await db
    .selectFrom('accounts')
    .innerJoin('actors', 'actors.id', 'accounts.actor_id')
    .select([
      'accounts.id',
      'accounts.login',
      'accounts.status',
      'accounts.last_login_at',
      'accounts.created_at',
      'actors.display_name',
      'actors.roles',
    ])
    .where('actors.organisation_id', '=', admin.organisationId)
    .orderBy('accounts.login')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    login: r.login,
    displayName: r.display_name,
    roles: JSON.parse(r.roles) as string[],
    status: r.status,
    lastLoginAt: r.last_login_at,
    createdAt: r.created_at,
  }));
}

/** Disconnecting a partner system, like disabling an account, is one administrator's call, told to the security contact. */
export async function revokeOrganisationMachineClient(
  m: Messenger,
  adminAccountId: string,
  clientId: string,
  now = new Date(),
): Promise<{ revoked: boolean }> {
  const admin = await requireOrgAdmin(m.db, adminAccountId);
  const client = await findMachineClient(m.db, clientId);
  if (!client || client.client.organisation_id !== admin.organisationId) throw new NotFoundError('client machine');
  const revoked = await revokeMachineClient(m.db, clientId, now);
  if (revoked)
    await alertSecurityContact(
      m,
      admin.organisationId,
      'admin_action_alert',
      'client machine révoqué',
      `${admin.login} a révoqué le client machine « ${client.client.name} » (${clientId}) le ${now.toISOString()}.`,
    );
  return { revoked };
}

export async function listOrganisationMachineClients(db: Executor, adminAccountId: string) {
  const admin = await requireOrgAdmin(db, adminAccountId);
  const rows = await db
    .selectFrom('machine_clients')
    .select(['id', 'name', 'status', 'created_at', 'revoked_at'])
    .where('organisation_id', '=', admin.organisationId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    clientId: r.id,
    name: r.name,
    status: r.status,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  }));
}
