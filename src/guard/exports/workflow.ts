import { randomInt, randomUUID } from 'node:crypto';
import { Type, type Static } from 'typebox';
import type { Keyring } from '../../crypto/index.ts';
import {
  ConflictError,
  FIELD_CLASSES,
  ForbiddenError,
  NotFoundError,
  validate,
  ValidationError,
  type FieldClass,
  type PersonFile,
} from '../../domain/index.ts';
import { loginsOf, staffMemberOf, type StaffMember } from '../../identity/index.ts';
import { appendEvent, appendEvents } from '../../ledger/index.ts';
import {
  ageInYears,
  can,
  governingRule,
  loadOrganisation,
  notEndedBefore,
  restrictedAmong,
  type AbilityVerb,
  type PurposeRule,
} from '../../policy/index.ts';
import { inTransaction, type Executor, type ExportsTable, type PersonStore } from '../../store/index.ts';
import { decoysAmong } from '../guard.ts';
import { canaryDigestRows, generateCanaries, matchCanaries, CANARIES_PER_EXPORT, type CanaryRow } from './canaries.ts';
import { exportColumns, exportCsv, newPassphrase, sealExportFile, sha256Hex } from './file.ts';

/**
 * Bulk exports, for a partner or a subcontractor: one security officer or DPO asks, another
 * approves; the file holds the persons referred to the recipient under a purpose of its
 * agreement, only that purpose's classes, at most its daily ceiling, the decoys in that scope
 * and three canary rows of its own; it is sealed under a passphrase given once and expires.
 */

export const EXPORT_DEFAULT_DAYS = 7;
export const EXPORT_MAX_DAYS = 30;

export const ExportRequestSchema = Type.Object(
  {
    recipientOrganisationId: Type.String({
      format: 'uuid',
      description: 'organisation destinataire (partenaire ou sous-traitant)',
    }),
    purpose: Type.String({
      pattern: '^[a-z][a-z0-9_]{1,63}$',
      description: 'finalité de sa convention, fondée sur une orientation',
    }),
    reason: Type.String({
      minLength: 10,
      maxLength: 1000,
      description: 'pourquoi un fichier plutôt que l’accès au dossier par dossier',
    }),
    days: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: EXPORT_MAX_DAYS,
        description: `jours de mise à disposition après approbation (${EXPORT_DEFAULT_DAYS} par défaut)`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type ExportRequest = Static<typeof ExportRequestSchema>;

export const ExportRefusalSchema = Type.Object(
  { note: Type.String({ minLength: 10, maxLength: 1000, description: 'motif du refus' }) },
  { additionalProperties: false },
);

/** What the platform needs to produce a file: the store, the dossier store and the keyring. */
export interface ExportServices {
  db: Executor;
  persons: PersonStore;
  keyring: Keyring;
}

export interface ExportView {
  id: string;
  recipientOrganisationId: string;
  recipientName: string;
  purpose: string;
  classes: FieldClass[];
  reason: string;
  days: number;
  status: ExportsTable['status'];
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  expiresAt: string | null;
  scopeCount: number | null;
  rowCount: number | null;
  capped: boolean;
  /** Synthetic rows of this export only, mixed among the persons (0 before approval). */
  canaryRows: number;
  fileAvailable: boolean;
  fileSha256: string | null;
  downloads: number;
}

const issue = (prefix: string, field: string, rule: string, message: string) =>
  new ValidationError([{ field: prefix ? `${prefix}.${field}` : field, rule, message }]);

function exportQuery(db: Executor) {
  return db
    .selectFrom('exports')
    .innerJoin('organisations', 'organisations.id', 'exports.recipient_organisation_id')
    .select([
      'exports.id',
      'exports.recipient_organisation_id',
      'organisations.name as recipient_name',
      'exports.purpose',
      'exports.classes',
      'exports.reason',
      'exports.days',
      'exports.status',
      'exports.requested_by',
      'exports.requested_at',
      'exports.decided_by',
      'exports.decided_at',
      'exports.decision_note',
      'exports.expires_at',
      'exports.scope_count',
      'exports.row_count',
      'exports.capped',
      'exports.file_sha256',
      'exports.downloads',
    ])
    .select((eb) => eb.case().when('exports.file', 'is', null).then(0).else(1).end().as('has_file'));
}

type ExportQueryRow = Awaited<ReturnType<ReturnType<typeof exportQuery>['executeTakeFirstOrThrow']>>;

/** Rows with who asked and who decided by login (identity's answer: the accounts are its). */
async function exportViews(db: Executor, rows: readonly ExportQueryRow[]): Promise<ExportView[]> {
  const logins = await loginsOf(
    db,
    rows.flatMap((r) => [r.requested_by, r.decided_by]),
  );
  return rows.map((row) => exportView(row, logins));
}

function exportView(row: ExportQueryRow, logins: ReadonlyMap<string, string>): ExportView {
  const approved = row.row_count !== null;
  return {
    id: row.id,
    recipientOrganisationId: row.recipient_organisation_id,
    recipientName: row.recipient_name,
    purpose: row.purpose,
    classes: JSON.parse(row.classes) as FieldClass[],
    reason: row.reason,
    days: Number(row.days),
    status: row.status,
    requestedBy: logins.get(row.requested_by) ?? '',
    requestedAt: row.requested_at,
    decidedBy: row.decided_by ? (logins.get(row.decided_by) ?? null) : null,
    decidedAt: row.decided_at,
    decisionNote: row.decision_note,
    expiresAt: row.expires_at,
    scopeCount: row.scope_count === null ? null : Number(row.scope_count),
    rowCount: row.row_count === null ? null : Number(row.row_count),
    capped: Number(row.capped) === 1,
    canaryRows: approved ? CANARIES_PER_EXPORT : 0,
    fileAvailable: Number(row.has_file) === 1,
    fileSha256: row.file_sha256,
    downloads: Number(row.downloads),
  };
}

export async function getExport(db: Executor, id: string): Promise<ExportView> {
  const row = await exportQuery(db).where('exports.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('export');
  return (await exportViews(db, [row]))[0]!;
}

export async function listExports(
  db: Executor,
  options: { limit?: number; status?: ExportsTable['status'] } = {},
): Promise<ExportView[]> {
  let query = exportQuery(db);
  if (options.status) query = query.where('exports.status', '=', options.status);
  return exportViews(
    db,
    await query
      .orderBy('exports.requested_at', 'desc')
      .orderBy('exports.id')
      .limit(options.limit ?? 100)
      .execute(),
  );
}

/** Active staff of an active organisation allowed to ask for or decide an export (abilities), or a ForbiddenError. */
async function exportOfficer(db: Executor, accountId: string, verb: AbilityVerb<'export'>): Promise<StaffMember> {
  const member = await staffMemberOf(db, accountId);
  const allowed =
    member && member.organisationStatus === 'active' && member.actorStatus === 'active' && can(member, verb, 'export');
  if (!allowed)
    throw new ForbiddenError(
      'Réservé au responsable de la sécurité et au délégué à la protection des données.',
      'role_required',
    );
  return member;
}

/**
 * The purpose's rule in the recipient's agreement in force. Only purposes founded on a referral
 * can be exported: their scope (the persons referred to the recipient) is a list the platform
 * knows; a caseload, an agency or a verified caller is a one-by-one relationship.
 */
/**
 * The rule an export rests on, decided as a read is: the governing rule of the purpose (the
 * highest version in force that declares it, as `decide` takes it), from an active organisation
 * whose partner security gate holds (its posture, agreements and derogations; the file leaves
 * by hand, so no network range of a request applies), and a purpose founded on referrals.
 */
async function exportableRule(
  db: Executor,
  organisationId: string,
  purpose: string,
  now: Date,
  prefix: string,
): Promise<PurposeRule> {
  const organisation = await loadOrganisation(db, organisationId, now);
  if (!organisation) throw issue(prefix, 'recipientOrganisationId', 'exists', 'organisation inconnue');
  if (organisation.status !== 'active')
    throw issue(prefix, 'recipientOrganisationId', 'active', 'organisation suspendue ou close : aucun export');
  const governing = governingRule(organisation, purpose, now);
  if (typeof governing === 'string')
    throw issue(
      prefix,
      'purpose',
      'agreement',
      'aucune convention en vigueur de cette organisation ne prévoit cette finalité',
    );
  const { rule } = governing;
  if (rule.relationship !== 'referral') {
    throw issue(
      prefix,
      'purpose',
      'relationship',
      `cette finalité repose sur la relation « ${rule.relationship} » : seules les finalités fondées sur une orientation (referral) peuvent faire l’objet d’un export`,
    );
  }
  if (!organisation.gate.compliant) {
    throw new ForbiddenError(
      `L’organisation destinataire ne satisfait pas les exigences de sécurité de sa convention (${organisation.gate.unmet.join(', ')}) : aucun export.`,
      'posture_non_compliant',
    );
  }
  return rule;
}

export async function requestExport(
  db: Executor,
  now: Date,
  raw: unknown,
  requesterAccountId: string,
  prefix = '',
): Promise<ExportView> {
  const input = validate(ExportRequestSchema, raw, prefix);
  await exportOfficer(db, requesterAccountId, 'request');
  const rule = await exportableRule(db, input.recipientOrganisationId, input.purpose, now, prefix);
  const classes = FIELD_CLASSES.filter((c) => rule.read.includes(c));
  const id = randomUUID();
  const days = input.days ?? EXPORT_DEFAULT_DAYS;
  await inTransaction(db, async (trx) => {
    await trx
      .insertInto('exports')
      .values({
        id,
        recipient_organisation_id: input.recipientOrganisationId,
        purpose: input.purpose,
        classes: JSON.stringify(classes),
        requested_by: requesterAccountId,
        reason: input.reason,
        days,
        status: 'requested',
        decided_by: null,
        decision_note: null,
        requested_at: now.toISOString(),
        decided_at: null,
        expires_at: null,
        scope_count: null,
        row_count: null,
        capped: 0,
        file: null,
        file_sha256: null,
        downloads: 0,
      })
      .execute();
    await appendEvent(trx, 'export_requested', {
      accountId: requesterAccountId,
      organisationId: input.recipientOrganisationId,
      purpose: input.purpose,
      operation: 'export',
      classes,
      details: { export: id, days },
    });
  });
  return getExport(db, id);
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Persons with an active referral to the organisation today, whose file is not erased. */
async function referredPersons(db: Executor, organisationId: string, now: Date): Promise<string[]> {
  const today = now.toISOString().slice(0, 10);
  const rows = await db
    .selectFrom('referrals')
    .innerJoin('persons', 'persons.id', 'referrals.person_id')
    .select('referrals.person_id')
    .distinct()
    .where('referrals.organisation_id', '=', organisationId)
    .where('referrals.status', '=', 'active')
    .where('referrals.starts_on', '<=', today)
    .where(notEndedBefore('referrals.ends_on', today))
    .where('persons.status', '=', 'active')
    .execute();
  return rows.map((r) => r.person_id);
}

export interface ApprovedExport {
  export: ExportView;
  /** Given once, here, to be handed to the recipient through another channel; never stored. */
  passphrase: string;
}

/**
 * The second person approves: the file is produced, sealed and kept until expiry, in one
 * transaction with one `access_granted` event per exported person, written before any file is
 * read for it (write-ahead), so the file exists only if its events do.
 */
export async function approveExport(
  services: ExportServices,
  now: Date,
  id: string,
  approverAccountId: string,
): Promise<ApprovedExport> {
  const { db, persons, keyring } = services;
  const passphrase = newPassphrase();
  await inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom('exports')
      .select(['id', 'status', 'requested_by', 'recipient_organisation_id', 'purpose', 'classes', 'days'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('export');
    if (row.status !== 'requested') throw new ConflictError('Cet export a déjà été traité.', 'export_not_pending');
    if (row.requested_by === approverAccountId)
      throw new ForbiddenError(
        'La personne qui a demandé l’export ne peut pas l’approuver : une seconde personne doit le faire.',
        'four_eyes',
      );
    await exportOfficer(trx, approverAccountId, 'decide');
    const rule = await exportableRule(trx, row.recipient_organisation_id, row.purpose, now, '');
    // The classes asked for, still read by the purpose today: never more than either.
    const classes = (JSON.parse(row.classes) as FieldClass[]).filter((c) => rule.read.includes(c));
    const expiresAt = new Date(now.getTime() + Number(row.days) * 86_400_000).toISOString();
    // Claim the request first: of two approvals at once, one proceeds and the other finds it taken.
    const claimed = await trx
      .updateTable('exports')
      .set({ status: 'approved', decided_by: approverAccountId, decided_at: now.toISOString(), expires_at: expiresAt })
      .where('id', '=', id)
      .where('status', '=', 'requested')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1)
      throw new ConflictError('Cet export a déjà été traité.', 'export_not_pending');

    // The scope: decoys first, so that the cap never leaves them out, then the others at random.
    // A person with an exported class under a restriction of processing (Art. 18) is left out,
    // as `decide` leaves them out of a read, unless the purpose is for legal claims.
    const referred = await referredPersons(trx, row.recipient_organisation_id, now);
    const restricted = rule.legalClaims ? new Set<string>() : await restrictedAmong(trx, referred, classes);
    const scope = referred.filter((p) => !restricted.has(p));
    const decoys = new Set(await decoysAmong(trx, scope));
    const candidates = [
      ...shuffle(scope.filter((p) => decoys.has(p))),
      ...shuffle(scope.filter((p) => !decoys.has(p))),
    ];
    const maxAge = rule.conditions?.maxAge;
    const selected: string[] = [];
    for (const personId of candidates) {
      if (selected.length >= rule.dailyCeiling) break;
      if (maxAge !== undefined) {
        const age = ageInYears((await persons.read(personId, ['identity'], trx)).fields.identity?.birthDate, now);
        if (age === undefined || age > maxAge) continue;
      }
      selected.push(personId);
    }
    const capped = selected.length >= rule.dailyCeiling && candidates.indexOf(selected.at(-1)!) < candidates.length - 1;

    // Write-ahead: the events of the persons before their files are read for the recipient.
    await appendEvents(
      trx,
      selected.map((personId) => ({
        kind: 'access_granted' as const,
        input: {
          accountId: approverAccountId,
          personId,
          organisationId: row.recipient_organisation_id,
          purpose: row.purpose,
          operation: 'export',
          classes,
          details: { export: id },
        },
      })),
    );
    const rows: Array<{ id: string; file: PersonFile } | CanaryRow> = [];
    for (const personId of selected)
      rows.push({ id: personId, file: (await persons.read(personId, classes, trx)).fields });
    const canaries = await generateCanaries(
      trx,
      keyring,
      rows.map((r) => r.file),
    );
    rows.push(...canaries);
    const columns = exportColumns(classes);
    const envelope = await sealExportFile(id, exportCsv(columns, shuffle(rows)), passphrase);

    await trx
      .updateTable('exports')
      .set({
        classes: JSON.stringify(classes),
        scope_count: scope.length,
        row_count: selected.length,
        capped: capped ? 1 : 0,
        file: envelope,
        file_sha256: sha256Hex(envelope),
      })
      .where('id', '=', id)
      .execute();
    await trx
      .insertInto('export_canaries')
      .values(canaryDigestRows(keyring, id, canaries, columns))
      .execute();
    await appendEvent(trx, 'export_approved', {
      accountId: approverAccountId,
      organisationId: row.recipient_organisation_id,
      purpose: row.purpose,
      operation: 'export',
      classes,
      details: { export: id, persons: selected.length, capped, expiresAt },
    });
  });
  return { export: await getExport(db, id), passphrase };
}

/** Refused (or withdrawn by its requester): nothing is read, nothing produced. */
export async function refuseExport(
  db: Executor,
  now: Date,
  id: string,
  accountId: string,
  raw: unknown,
  prefix = '',
): Promise<ExportView> {
  const { note } = validate(ExportRefusalSchema, raw, prefix);
  await exportOfficer(db, accountId, 'decide');
  await inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom('exports')
      .select(['status', 'recipient_organisation_id', 'purpose'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('export');
    const result = await trx
      .updateTable('exports')
      .set({ status: 'refused', decided_by: accountId, decided_at: now.toISOString(), decision_note: note })
      .where('id', '=', id)
      .where('status', '=', 'requested')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1)
      throw new ConflictError('Cet export a déjà été traité.', 'export_not_pending');
    await appendEvent(trx, 'export_refused', {
      accountId,
      organisationId: row.recipient_organisation_id,
      purpose: row.purpose,
      operation: 'export',
      details: { export: id },
    });
  });
  return getExport(db, id);
}

/** Approved exports past their date: the sealed file is deleted, the record stays. */
export async function expireExports(db: Executor, now: Date): Promise<string[]> {
  const at = now.toISOString();
  const due = await db
    .selectFrom('exports')
    .select('id')
    .where('status', '=', 'approved')
    .where('expires_at', '<=', at)
    .execute();
  if (due.length === 0) return [];
  return inTransaction(db, async (trx) => {
    const expired: string[] = [];
    for (const { id } of due) {
      const row = await trx
        .selectFrom('exports')
        .select(['recipient_organisation_id', 'purpose'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const result = await trx
        .updateTable('exports')
        .set({ status: 'expired', file: null })
        .where('id', '=', id)
        .where('status', '=', 'approved')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) continue;
      await appendEvent(trx, 'export_expired', {
        organisationId: row.recipient_organisation_id,
        purpose: row.purpose,
        operation: 'export',
        details: { export: id },
      });
      expired.push(id);
    }
    return expired;
  });
}

/** The file is gone: past its date (HTTP 410). */
export class ExportExpiredError extends ConflictError {
  constructor() {
    super('Cet export a expiré : le fichier a été supprimé. Demandez un nouvel export.', 'export_expired');
    this.name = 'ExportExpiredError';
  }
}

export interface RecipientExportView {
  id: string;
  purpose: string;
  classes: FieldClass[];
  approvedAt: string;
  expiresAt: string;
  fileSha256: string;
}

/** The recipient's exports that can be downloaded now. */
export async function listRecipientExports(
  db: Executor,
  now: Date,
  organisationId: string,
): Promise<RecipientExportView[]> {
  await expireExports(db, now);
  const rows = await db
    .selectFrom('exports')
    .select(['id', 'purpose', 'classes', 'decided_at', 'expires_at', 'file_sha256'])
    .where('recipient_organisation_id', '=', organisationId)
    .where('status', '=', 'approved')
    .orderBy('decided_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    purpose: r.purpose,
    classes: JSON.parse(r.classes) as FieldClass[],
    approvedAt: r.decided_at!,
    expiresAt: r.expires_at!,
    fileSha256: r.file_sha256!,
  }));
}

/** The sealed envelope, for a staff member of the recipient organisation; another organisation's export does not exist for them. */
export async function downloadExport(
  db: Executor,
  now: Date,
  id: string,
  staff: Pick<StaffMember, 'accountId' | 'organisationId'>,
): Promise<{ envelope: Buffer; sha256: string }> {
  await expireExports(db, now);
  return inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom('exports')
      .select(['status', 'recipient_organisation_id', 'purpose', 'file', 'file_sha256'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || row.recipient_organisation_id !== staff.organisationId) throw new NotFoundError('export');
    if (row.status === 'expired') throw new ExportExpiredError();
    if (row.status !== 'approved' || !row.file)
      throw new ConflictError('Cet export n’a pas été approuvé.', 'export_not_approved');
    await trx
      .updateTable('exports')
      .set((eb) => ({ downloads: eb('downloads', '+', 1) }))
      .where('id', '=', id)
      .execute();
    await appendEvent(trx, 'export_downloaded', {
      accountId: staff.accountId,
      organisationId: row.recipient_organisation_id,
      purpose: row.purpose,
      operation: 'export',
      details: { export: id },
    });
    return { envelope: Buffer.from(row.file), sha256: row.file_sha256 ?? sha256Hex(Buffer.from(row.file)) };
  });
}

export interface LeakTrace {
  exportId: string;
  recipientOrganisationId: string;
  recipientName: string;
  purpose: string;
  requestedBy: string;
  approvedBy: string | null;
  requestedAt: string;
  approvedAt: string | null;
  /** Canary rows of that export found in the text, and which of their identifiers. */
  canaryRows: number;
  identifiers: string[];
}

/**
 * Which export a leaked file comes from: every cell is digested and looked up among the
 * canaries' digests. The text itself is neither kept nor recorded.
 */
export async function traceLeak(
  services: Pick<ExportServices, 'db' | 'keyring'>,
  text: string,
  accountId: string | null,
): Promise<LeakTrace[]> {
  const { db, keyring } = services;
  const matches = await matchCanaries(db, keyring, text);
  const traces: LeakTrace[] = [];
  for (const match of matches) {
    const view = await getExport(db, match.exportId);
    traces.push({
      exportId: view.id,
      recipientOrganisationId: view.recipientOrganisationId,
      recipientName: view.recipientName,
      purpose: view.purpose,
      requestedBy: view.requestedBy,
      approvedBy: view.status === 'refused' ? null : view.decidedBy,
      requestedAt: view.requestedAt,
      approvedAt: view.status === 'refused' ? null : view.decidedAt,
      canaryRows: match.canaries,
      identifiers: match.kinds,
    });
  }
  traces.sort((a, b) => b.canaryRows - a.canaryRows || a.exportId.localeCompare(b.exportId));
  await appendEvent(db, 'export_traced', {
    accountId,
    operation: 'trace',
    ...(traces.length === 1 ? { organisationId: traces[0]!.recipientOrganisationId } : {}),
    details: { matches: traces.length, exports: traces.map((t) => t.exportId).join(',') },
  });
  return traces;
}
