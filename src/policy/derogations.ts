import { randomUUID } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { Type, type Static } from 'typebox';
import {
  frenchInstant,
  NotFoundError,
  ofOrganisation,
  schemaIssues,
  toOrganisation,
  ValidationError,
  type ValidationIssue,
} from '../domain/index.ts';
import type { MessageSender } from '../notify/index.ts';
import { inTransaction, type Executor } from '../store/index.ts';
import { agreementFromRow, agreementInForce, type Agreement } from './agreement.ts';
import {
  AUDIT_VALIDITY_DAYS,
  DEROGATION_MAX_DAYS,
  evaluateGate,
  GATE_REQUIREMENTS,
  parsePosture,
  type Derogation,
  type GateRequirement,
  type GateResult,
  type SecurityPosture,
} from './gate.ts';
import { appendEvent } from '../ledger/index.ts';
import { alertSecurityContact } from './security-contact.ts';
import { assuranceOf, assurances } from './assurance.ts';

/**
 * The partner security gate's inputs, kept by the security officer: an organisation's posture
 * (second factor, audit date, networks) and derogations, each an explicit, dated exception to
 * one requirement for at most 90 days, shown to the DPO, lapsing by itself. A valid agreement
 * is never derogated: no agreement, no access.
 */

const DAY_MS = 86_400_000;
export const MIN_JUSTIFICATION = 30;
export const DEROGABLE_REQUIREMENTS = GATE_REQUIREMENTS.filter(
  (r): r is Exclude<GateRequirement, 'agreement_valid'> => r !== 'agreement_valid',
);

/** Either the store alone, or the store with what sends alerts to the organisation's security contact. */
export type PolicyTarget = Executor | MessageSender;

function split(target: PolicyTarget): { db: Executor; messenger?: MessageSender } {
  return 'notifier' in target ? { db: target.db, messenger: target } : { db: target };
}

const issue = (prefix: string, field: string, rule: string, message: string): ValidationIssue => ({
  field: prefix ? `${prefix}.${field}` : field,
  rule,
  message,
});

function check<T>(schema: Parameters<typeof schemaIssues>[0], raw: unknown, prefix: string): T {
  const issues = schemaIssues(schema, raw, prefix);
  if (issues.length > 0) throw new ValidationError(issues);
  return raw as T;
}

// ---------------------------------------------------------------------------------------------
// Derogations

export const DerogationRequestSchema = Type.Object(
  {
    organisationId: Type.String({ format: 'uuid' }),
    requirement: Type.Enum(GATE_REQUIREMENTS, { description: 'exigence couverte (jamais agreement_valid)' }),
    justification: Type.String({
      minLength: MIN_JUSTIFICATION,
      maxLength: 2000,
      description: 'pourquoi, et ce qui est fait pour revenir dans les clous',
    }),
    expiresAt: Type.String({
      format: 'date-time',
      description: `fin, au plus ${DEROGATION_MAX_DAYS} jours après la décision`,
    }),
  },
  { additionalProperties: false },
);
export type DerogationRequest = Static<typeof DerogationRequestSchema>;

export interface DerogationView {
  id: string;
  organisationId: string;
  organisationName: string;
  requirement: string;
  justification: string;
  approvedBy: string;
  approvedAt: string;
  expiresAt: string;
  revokedAt: string | null;
  state: 'in_force' | 'expired' | 'revoked';
}

function stateOf(row: { expires_at: string; revoked_at: string | null }, now: Date): DerogationView['state'] {
  if (row.revoked_at) return 'revoked';
  return Date.parse(row.expires_at) > now.getTime() ? 'in_force' : 'expired';
}

const REQUIREMENT_LABELS: Record<GateRequirement, string> = {
  mfa_enforced: 'second facteur imposé à tous les comptes',
  agreement_valid: 'convention signée et en cours de validité',
  security_contact: 'contact sécurité nommé',
  network_ranges: 'plages réseau autorisées',
  security_audit: `audit de sécurité de moins de ${Math.round(AUDIT_VALIDITY_DAYS / 30)} mois`,
  dpia_measures_implemented: 'mesures de l’analyse d’impact (AIPD) mises en œuvre et prouvées',
  security_baseline_attested: 'socle de sécurité attesté par l’organisation depuis moins de 12 mois',
};

/**
 * Grant a derogation to one requirement of the gate: at most 90 days ahead, in the future,
 * justified in at least 30 characters, approved by a named security officer (account id).
 */
export async function grantDerogation(
  target: PolicyTarget,
  input: { organisationId: string; requirement: string; justification: string; expiresAt: string; approvedBy: string },
  options: { now?: Date; address?: string | null; prefix?: string } = {},
): Promise<DerogationView> {
  const { db, messenger } = split(target);
  const now = options.now ?? new Date();
  const prefix = options.prefix ?? '';
  const { approvedBy, ...request } = input;
  const valid = check<DerogationRequest>(DerogationRequestSchema, request, prefix);
  const issues: ValidationIssue[] = [];
  if (valid.requirement === 'agreement_valid')
    issues.push(
      issue(
        prefix,
        'requirement',
        'not_derogable',
        'une convention absente ou expirée ne se couvre pas par une dérogation : pas de convention, pas d’accès',
      ),
    );
  if (valid.justification.trim().length < MIN_JUSTIFICATION)
    issues.push(issue(prefix, 'justification', 'minLength', `au moins ${MIN_JUSTIFICATION} caractère(s)`));
  const expires = Date.parse(valid.expiresAt);
  if (!(expires > now.getTime()))
    issues.push(issue(prefix, 'expiresAt', 'future', 'la date de fin doit être dans le futur'));
  else if (expires - now.getTime() > DEROGATION_MAX_DAYS * DAY_MS)
    issues.push(
      issue(
        prefix,
        'expiresAt',
        `max_days:${DEROGATION_MAX_DAYS}`,
        `une dérogation dure au plus ${DEROGATION_MAX_DAYS} jours`,
      ),
    );
  if (issues.length > 0) throw new ValidationError(issues);

  const row = {
    id: randomUUID(),
    organisation_id: valid.organisationId,
    requirement: valid.requirement,
    justification: valid.justification.trim(),
    approved_by: approvedBy,
    approved_at: now.toISOString(),
    expires_at: new Date(expires).toISOString(),
    revoked_at: null,
  };
  const name = await inTransaction(db, async (trx) => {
    const organisation = await trx
      .selectFrom('organisations')
      .select('name')
      .where('id', '=', valid.organisationId)
      .executeTakeFirst();
    if (!organisation) throw new ValidationError([issue(prefix, 'organisationId', 'exists', 'organisation inconnue')]);
    await trx.insertInto('derogations').values(row).execute();
    await appendEvent(trx, 'derogation_granted', {
      accountId: approvedBy,
      address: options.address ?? null,
      details: {
        derogation: row.id,
        organisation: row.organisation_id,
        requirement: row.requirement,
        expiresAt: row.expires_at,
      },
    });
    return organisation.name;
  });
  if (messenger) {
    await alertSecurityContact(
      messenger,
      row.organisation_id,
      'derogation_alert',
      `dérogation accordée : ${REQUIREMENT_LABELS[valid.requirement]}`,
      `Une dérogation à l’exigence « ${REQUIREMENT_LABELS[valid.requirement]} » a été accordée ${toOrganisation(name)} jusqu’au ${frenchInstant(row.expires_at)}. Elle prend fin d’elle-même à cette date : l’exigence doit alors être remplie, sinon l’accès est suspendu.\nJustification : ${row.justification}`,
    );
  }
  return {
    id: row.id,
    organisationId: row.organisation_id,
    organisationName: name,
    requirement: row.requirement,
    justification: row.justification,
    approvedBy,
    approvedAt: row.approved_at,
    expiresAt: row.expires_at,
    revokedAt: null,
    state: 'in_force',
  };
}

/** End a derogation now. Revoking one already revoked or expired changes nothing (`revoked: false`). */
export async function revokeDerogation(
  target: PolicyTarget,
  id: string,
  by: string,
  options: { now?: Date; address?: string | null } = {},
): Promise<{ revoked: boolean; derogation: DerogationView }> {
  const { db, messenger } = split(target);
  const now = options.now ?? new Date();
  const result = await inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom('derogations')
      .innerJoin('organisations', 'organisations.id', 'derogations.organisation_id')
      .selectAll('derogations')
      .select('organisations.name')
      .where('derogations.id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Dérogation');
    if (stateOf(row, now) !== 'in_force') return { revoked: false, row };
    const revokedAt = now.toISOString();
    await trx
      .updateTable('derogations')
      .set({ revoked_at: revokedAt })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    await appendEvent(trx, 'derogation_revoked', {
      accountId: by,
      address: options.address ?? null,
      details: { derogation: id, organisation: row.organisation_id, requirement: row.requirement },
    });
    return { revoked: true, row: { ...row, revoked_at: revokedAt } };
  });
  const { row } = result;
  if (result.revoked && messenger) {
    const label = REQUIREMENT_LABELS[row.requirement as GateRequirement] ?? row.requirement;
    await alertSecurityContact(
      messenger,
      row.organisation_id,
      'derogation_alert',
      `dérogation révoquée : ${label}`,
      `La dérogation à l’exigence « ${label} » accordée ${toOrganisation(row.name)} est révoquée : l’exigence s’applique dès maintenant.`,
    );
  }
  return { revoked: result.revoked, derogation: viewOf(row, now) };
}

function viewOf(
  row: {
    id: string;
    organisation_id: string;
    name: string;
    requirement: string;
    justification: string;
    approved_by: string;
    approved_at: string;
    expires_at: string;
    revoked_at: string | null;
  },
  now: Date,
): DerogationView {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    organisationName: row.name,
    requirement: row.requirement,
    justification: row.justification,
    approvedBy: row.approved_by,
    approvedAt: row.approved_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    state: stateOf(row, now),
  };
}

/** Derogations, latest first; `activeOnly`: those in force at `now` (not revoked, not expired). */
export async function listDerogations(
  db: Executor,
  options: { activeOnly?: boolean; organisationId?: string; now?: Date } = {},
): Promise<DerogationView[]> {
  const now = options.now ?? new Date();
  let query = db
    .selectFrom('derogations')
    .innerJoin('organisations', 'organisations.id', 'derogations.organisation_id')
    .selectAll('derogations')
    .select('organisations.name');
  if (options.activeOnly)
    query = query.where('derogations.revoked_at', 'is', null).where('derogations.expires_at', '>', now.toISOString());
  if (options.organisationId) query = query.where('derogations.organisation_id', '=', options.organisationId);
  const rows = await query.orderBy('derogations.approved_at', 'desc').orderBy('derogations.id').execute();
  return rows.map((r) => viewOf(r, now));
}

// ---------------------------------------------------------------------------------------------
// Posture

export const PosturePatchSchema = Type.Object(
  {
    lastAudit: Type.Optional(
      Type.String({ format: 'date', description: 'date du dernier audit de sécurité (AAAA-MM-JJ)' }),
    ),
    networks: Type.Optional(
      Type.Array(Type.String({ minLength: 3, maxLength: 64 }), {
        maxItems: 64,
        description: 'plages réseau autorisées, en notation CIDR',
      }),
    ),
    mfa: Type.Optional(Type.Enum(['required', 'optional'])),
    passkeyOnly: Type.Optional(Type.Boolean()),
    emailDomains: Type.Optional(
      Type.Array(Type.String({ minLength: 3, maxLength: 253 }), {
        maxItems: 16,
        description:
          'domaines de messagerie professionnelle des agents (les codes d’activation ne partent que vers eux)',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PosturePatch = Static<typeof PosturePatchSchema>;

/** A DNS name in lower case with at least two labels: `caf.fr`, `agents.cap-emploi.fr`. */
export function isEmailDomain(value: string): boolean {
  return value.length <= 253 && /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(value);
}

/** Public webmail: no organisation's staff domain, whatever its posture says. */
export const WEBMAIL_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'outlook.fr',
  'hotmail.com',
  'hotmail.fr',
  'live.com',
  'live.fr',
  'yahoo.com',
  'yahoo.fr',
  'orange.fr',
  'wanadoo.fr',
  'free.fr',
  'sfr.fr',
  'laposte.net',
  'icloud.com',
  'me.com',
  'gmx.fr',
  'gmx.com',
  'proton.me',
  'protonmail.com',
  'aol.com',
  'mail.com',
  'yandex.com',
]);

/** `10.0.0.0/8`, `2001:db8::/32`: an address of the family and a prefix length within it. */
export function isCidr(value: string): boolean {
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(value);
  if (!match) return false;
  const prefix = Number(match[2]);
  if (isIPv4(match[1]!)) return prefix <= 32;
  if (isIPv6(match[1]!)) return prefix <= 128;
  return false;
}

/**
 * Change part of an organisation's posture. Compliance is not stored: the gate reads the
 * posture at every decision, so a change that breaks a requirement suspends access at once.
 */
export async function updatePosture(
  target: PolicyTarget,
  organisationId: string,
  patch: unknown,
  by: string,
  options: { now?: Date; address?: string | null; prefix?: string } = {},
): Promise<{ organisationId: string; posture: SecurityPosture; gate: GateResult }> {
  const { db, messenger } = split(target);
  const now = options.now ?? new Date();
  const prefix = options.prefix ?? '';
  const valid = check<PosturePatch>(PosturePatchSchema, patch, prefix);
  const issues: ValidationIssue[] = [];
  if (valid.lastAudit !== undefined && valid.lastAudit > now.toISOString().slice(0, 10))
    issues.push(issue(prefix, 'lastAudit', 'past', 'la date d’audit ne peut pas être dans le futur'));
  valid.networks?.forEach((cidr, i) => {
    if (!isCidr(cidr))
      issues.push(
        issue(
          prefix,
          `networks.${i}`,
          'cidr',
          'plage réseau invalide : adresse IPv4 ou IPv6 suivie de /longueur de préfixe, par exemple 10.0.0.0/8',
        ),
      );
  });
  valid.emailDomains?.forEach((domain, i) => {
    if (!isEmailDomain(domain))
      issues.push(
        issue(
          prefix,
          `emailDomains.${i}`,
          'domain',
          'domaine invalide : un nom de domaine en minuscules, par exemple caf.fr',
        ),
      );
    else if (WEBMAIL_DOMAINS.has(domain))
      issues.push(
        issue(
          prefix,
          `emailDomains.${i}`,
          'webmail',
          'messagerie grand public : les codes d’activation ne peuvent pas partir vers elle',
        ),
      );
  });
  if (issues.length > 0) throw new ValidationError(issues);

  const result = await inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom('organisations')
      .select(['id', 'name', 'security_posture'])
      .where('id', '=', organisationId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Organisation');
    const before = parsePosture(row.security_posture);
    const posture: SecurityPosture = {
      mfa: valid.mfa === undefined ? before.mfa : (valid.mfa as SecurityPosture['mfa']),
      passkeyOnly: valid.passkeyOnly ?? before.passkeyOnly,
      lastAudit: valid.lastAudit ?? before.lastAudit,
      networks: valid.networks ? [...new Set(valid.networks)] : before.networks,
      emailDomains: valid.emailDomains ? [...new Set(valid.emailDomains)] : before.emailDomains,
    };
    await trx
      .updateTable('organisations')
      .set({ security_posture: JSON.stringify(posture) })
      .where('id', '=', organisationId)
      .execute();
    const gate = await gateOf(trx, organisationId, posture, now);
    const changed = (Object.keys(valid) as Array<keyof PosturePatch>).sort().join(',');
    await appendEvent(trx, 'posture_changed', {
      accountId: by,
      address: options.address ?? null,
      details: { organisation: organisationId, changed, compliant: gate.compliant, unmet: gate.unmet.join(',') },
    });
    return { name: row.name, posture, gate, changed };
  });
  if (messenger) {
    const state = result.gate.compliant
      ? 'L’organisation reste conforme.'
      : `L’organisation n’est plus conforme (${result.gate.unmet.map((r) => REQUIREMENT_LABELS[r]).join(' ; ')}) : ses accès sont suspendus jusqu’à mise en conformité ou dérogation.`;
    await alertSecurityContact(
      messenger,
      organisationId,
      'posture_alert',
      'posture de sécurité modifiée',
      `La posture de sécurité ${ofOrganisation(result.name)} a été modifiée (${result.changed}). ${state}`,
    );
  }
  return { organisationId, posture: result.posture, gate: result.gate };
}

async function gateOf(db: Executor, organisationId: string, posture: SecurityPosture, now: Date): Promise<GateResult> {
  const agreements = (
    await db.selectFrom('agreements').selectAll().where('organisation_id', '=', organisationId).execute()
  ).map(agreementFromRow);
  const derogations = (await listDerogations(db, { activeOnly: true, organisationId, now })).map((d): Derogation => ({
    id: d.id,
    requirement: d.requirement as GateRequirement,
    expiresAt: d.expiresAt,
  }));
  return evaluateGate({ posture, agreements, derogations, assurance: await assuranceOf(db, organisationId), now });
}

// ---------------------------------------------------------------------------------------------
// Compliance report

export interface OrganisationCompliance {
  id: string;
  name: string;
  kind: string;
  status: string;
  compliant: boolean;
  unmet: GateRequirement[];
  derogated: GateRequirement[];
  posture: SecurityPosture;
  /** The day the last audit stops counting (null without an audit). */
  auditValidUntil: string | null;
  agreements: Array<{ reference: string; version: number; validFrom: string; validUntil: string; inForce: boolean }>;
  derogations: Array<{ id: string; requirement: string; justification: string; approvedBy: string; expiresAt: string }>;
}

export interface ComplianceReport {
  at: string;
  total: number;
  compliant: number;
  organisations: OrganisationCompliance[];
}

/**
 * What the DPO and the security officer see: for every organisation, the gate evaluated now
 * (without a client address, so the networks requirement asks only that ranges be declared),
 * the requirements unmet, and the derogations in force.
 */
export async function complianceReport(db: Executor, now: Date = new Date()): Promise<ComplianceReport> {
  const organisations = await db
    .selectFrom('organisations')
    .select(['id', 'name', 'kind', 'status', 'security_posture'])
    .orderBy('name')
    .orderBy('id')
    .execute();
  const agreements = (await db.selectFrom('agreements').selectAll().where('status', '=', 'active').execute()).map(
    agreementFromRow,
  );
  const derogations = await listDerogations(db, { activeOnly: true, now });
  const assuranceFor = await assurances(db);
  const agreementsOf = groupBy(agreements, (a) => a.organisationId);
  const derogationsOf = groupBy(derogations, (d) => d.organisationId);
  const rows = organisations.map((o): OrganisationCompliance => {
    const posture = parsePosture(o.security_posture);
    const own: Agreement[] = agreementsOf.get(o.id) ?? [];
    const granted = derogationsOf.get(o.id) ?? [];
    const gate = evaluateGate({
      posture,
      agreements: own,
      derogations: granted.map((d) => ({
        id: d.id,
        requirement: d.requirement as GateRequirement,
        expiresAt: d.expiresAt,
      })),
      assurance: assuranceFor(o.id),
      now,
    });
    const auditMs = posture.lastAudit ? Date.parse(`${posture.lastAudit}T00:00:00Z`) : Number.NaN;
    return {
      id: o.id,
      name: o.name,
      kind: o.kind,
      status: o.status,
      compliant: gate.compliant,
      unmet: gate.unmet,
      derogated: gate.derogated,
      posture,
      auditValidUntil: Number.isNaN(auditMs)
        ? null
        : new Date(auditMs + AUDIT_VALIDITY_DAYS * DAY_MS).toISOString().slice(0, 10),
      agreements: own.map((a) => ({
        reference: a.reference,
        version: a.version,
        validFrom: a.validFrom,
        validUntil: a.validUntil,
        inForce: agreementInForce(a, now),
      })),
      derogations: granted.map((d) => ({
        id: d.id,
        requirement: d.requirement,
        justification: d.justification,
        approvedBy: d.approvedBy,
        expiresAt: d.expiresAt,
      })),
    };
  });
  return {
    at: now.toISOString(),
    total: rows.length,
    compliant: rows.filter((r) => r.compliant).length,
    organisations: rows,
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(key(item));
    if (list) list.push(item);
    else out.set(key(item), [item]);
  }
  return out;
}
