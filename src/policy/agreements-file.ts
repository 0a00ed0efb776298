import { randomUUID } from 'node:crypto';
import { Type, type Static } from 'typebox';
import {
  ConflictError,
  FIELD_CLASSES,
  NotFoundError,
  schemaIssues,
  ValidationError,
  type FieldClass,
  type ValidationIssue,
} from '../domain/index.ts';
import { MANDATE_SCOPES } from '../domain/mandates.ts';
import { inTransaction, type AgreementsTable, type Executor } from '../store/index.ts';
import { agreementFromRow, RELATIONSHIPS, type PurposeRule } from './agreement.ts';
import { refuseUnlessMayComeIntoForce } from './coming-into-force.ts';
import { appendEvent } from '../ledger/index.ts';

/**
 * Agreements as data: one JSON file per version of an agreement (convention / habilitation),
 * the format an organisation's DPO signs off and the security officer imports. A new version
 * of a reference is exactly the previous one plus one; importing it ends the previous one.
 */
export const AGREEMENT_FORMAT = 'rempart.agreement/v1';

const Slug = Type.String({
  pattern: '^[a-z][a-z0-9_]{1,62}$',
  description: 'identifiant en minuscules, chiffres et _',
});
const FieldClassList = Type.Array(Type.Enum(FIELD_CLASSES), {
  maxItems: FIELD_CLASSES.length,
  description: 'classes de données',
});

export const PurposeRuleSchema = Type.Object(
  {
    purpose: Slug,
    label: Type.String({ minLength: 1, maxLength: 200 }),
    roles: Type.Array(Slug, {
      minItems: 1,
      maxItems: 16,
      description: 'rôles des acteurs de l’organisation qui agissent pour cette finalité',
    }),
    read: FieldClassList,
    write: FieldClassList,
    relationship: Type.Enum(RELATIONSHIPS),
    dailyCeiling: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      description: 'personnes distinctes par jour et par organisation',
    }),
    retentionDays: Type.Integer({ minimum: 1, maximum: 365 * 50 }),
    conditions: Type.Optional(
      Type.Object(
        { maxAge: Type.Optional(Type.Integer({ minimum: 0, maximum: 130 })) },
        { additionalProperties: false },
      ),
    ),
    objection: Type.Optional(
      Type.Object(
        {
          allowed: Type.Boolean({ description: 'la personne peut-elle s’opposer à ce traitement (RGPD art. 21)' }),
          legalReference: Type.Optional(
            Type.String({
              minLength: 3,
              maxLength: 300,
              description: 'le texte qui exclut l’opposition (obligation légale, mission de service public)',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    legalClaims: Type.Optional(
      Type.Boolean({
        description:
          'finalité de constatation, d’exercice ou de défense de droits en justice (RGPD art. 18.2) : la seule qui lit encore les données limitées',
      }),
    ),
    mandateScope: Type.Optional(
      Type.Enum(MANDATE_SCOPES, {
        description: 'pour une finalité sous mandat : la démarche du mandat de la personne dans laquelle l’aidant agit',
      }),
    ),
  },
  { additionalProperties: false },
);

export const AgreementFileSchema = Type.Object(
  {
    format: Type.Literal(AGREEMENT_FORMAT),
    organisation: Type.String({ format: 'uuid', description: 'identifiant de l’organisation signataire' }),
    reference: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$',
      description: 'référence de la convention, stable d’une version à l’autre',
    }),
    version: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    legalBasis: Type.String({ minLength: 3, maxLength: 1000 }),
    purposes: Type.Array(PurposeRuleSchema, { maxItems: 50 }),
    dpoContact: Type.String({ format: 'email' }),
    securityContact: Type.String({ format: 'email' }),
    validFrom: Type.String({ format: 'date' }),
    validUntil: Type.String({ format: 'date' }),
  },
  { additionalProperties: false },
);

export type AgreementFile = Static<typeof AgreementFileSchema>;

const issue = (prefix: string, field: string, rule: string, message: string): ValidationIssue => ({
  field: prefix ? `${prefix}.${field}` : field,
  rule,
  message,
});

/** Rules a schema cannot say: dates in order, one rule per purpose, no class listed twice. */
function semanticIssues(file: AgreementFile, prefix: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (file.validFrom > file.validUntil)
    issues.push(issue(prefix, 'validUntil', 'after:validFrom', 'la fin de validité précède le début'));
  const seen = new Set<string>();
  file.purposes.forEach((rule, i) => {
    if (seen.has(rule.purpose))
      issues.push(issue(prefix, `purposes.${i}.purpose`, 'unique', 'finalité déjà déclarée dans cette convention'));
    seen.add(rule.purpose);
    if (rule.objection && !rule.objection.allowed && !rule.objection.legalReference)
      issues.push(
        issue(
          prefix,
          `purposes.${i}.objection.legalReference`,
          'required',
          'une finalité qui exclut l’opposition doit citer le texte qui l’exclut',
        ),
      );
    // A mandate names its step, and never reaches bank details (issue 25 §4).
    if (rule.relationship === 'mandate' && rule.mandateScope === undefined)
      issues.push(
        issue(prefix, `purposes.${i}.mandateScope`, 'required', 'une finalité sous mandat nomme la démarche du mandat'),
      );
    if (rule.relationship !== 'mandate' && rule.mandateScope !== undefined)
      issues.push(
        issue(
          prefix,
          `purposes.${i}.mandateScope`,
          'relationship',
          'seule une finalité sous mandat nomme une démarche',
        ),
      );
    if (rule.relationship === 'mandate')
      for (const list of ['read', 'write'] as const)
        if (rule[list].includes('bank'))
          issues.push(
            issue(
              prefix,
              `purposes.${i}.${list}.${rule[list].indexOf('bank')}`,
              'mandate',
              'un mandat n’atteint jamais les coordonnées bancaires',
            ),
          );
    for (const list of ['read', 'write', 'roles'] as const) {
      const values: readonly string[] = rule[list];
      values.forEach((value, j) => {
        if (values.indexOf(value) !== j)
          issues.push(issue(prefix, `purposes.${i}.${list}.${j}`, 'unique', 'valeur déjà présente dans la liste'));
      });
    }
  });
  return issues;
}

/** The file, checked field by field; a ValidationError names every broken field (e.g. `purposes.0.read.2`). */
export function validateAgreementFile(raw: unknown, prefix = ''): AgreementFile {
  const issues = schemaIssues(AgreementFileSchema, raw, prefix);
  if (issues.length > 0) throw new ValidationError(issues);
  const file = raw as AgreementFile;
  const more = semanticIssues(file, prefix);
  if (more.length > 0) throw new ValidationError(more);
  return file;
}

export interface ImportedAgreement {
  id: string;
  organisationId: string;
  reference: string;
  version: number;
  /** The version this one replaces, now ended, if any. */
  replaced: number | null;
}

/**
 * Import one version of an agreement, in one transaction: version 1 of a new reference, or
 * exactly the latest version plus one of an existing reference of the same organisation. The
 * new version is active at once and the previous active version ends. Each import is a
 * security event naming the reference, version, organisation and who imported it, never a
 * person.
 */
export async function importAgreement(
  db: Executor,
  raw: unknown,
  options: {
    by: string;
    accountId?: string | null;
    address?: string | null;
    now?: Date;
    prefix?: string;
    /** Work of another capability in the import's own transaction (the Art. 30 register's regeneration, issue 24). */
    within?: (trx: Executor, imported: ImportedAgreement) => Promise<void>;
  },
): Promise<ImportedAgreement> {
  const prefix = options.prefix ?? '';
  const file = validateAgreementFile(raw, prefix);
  const now = options.now ?? new Date();
  return inTransaction(db, (trx) => importChecked(trx, file, options, now, prefix)).catch((error: unknown) => {
    // Two imports of the same next version at once: the (reference, version) key lets only one through.
    const e = error as { code?: string; message?: string };
    if (
      e.code === '23505' ||
      (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && /agreements\.reference/.test(e.message ?? ''))
    ) {
      throw new ConflictError(
        'cette version de la convention vient d’être importée par ailleurs',
        'agreement_version_taken',
      );
    }
    throw error;
  });
}

async function importChecked(
  trx: Executor,
  file: AgreementFile,
  options: {
    by: string;
    accountId?: string | null;
    address?: string | null;
    within?: (trx: Executor, imported: ImportedAgreement) => Promise<void>;
  },
  now: Date,
  prefix: string,
): Promise<ImportedAgreement> {
  const organisation = await trx
    .selectFrom('organisations')
    .select('id')
    .where('id', '=', file.organisation)
    .executeTakeFirst();
  if (!organisation) throw new ValidationError([issue(prefix, 'organisation', 'exists', 'organisation inconnue')]);
  const versions = await trx
    .selectFrom('agreements')
    .select(['id', 'organisation_id', 'version', 'status'])
    .where('reference', '=', file.reference)
    .orderBy('version', 'desc')
    .execute();
  const latest = versions[0];
  if (latest && latest.organisation_id !== file.organisation)
    throw new ValidationError([
      issue(prefix, 'reference', 'owner', 'cette référence appartient à une autre organisation'),
    ]);
  const expected = (latest?.version ?? 0) + 1;
  if (file.version !== expected)
    throw new ValidationError([
      issue(
        prefix,
        'version',
        'sequence',
        `version ${expected} attendue (la dernière importée est la ${latest?.version ?? 0})`,
      ),
    ]);
  const id = randomUUID();
  // Issue 24: no coming into force without the DPIAs' measures implemented and the baseline attested.
  await refuseUnlessMayComeIntoForce(
    trx,
    {
      id,
      organisationId: file.organisation,
      reference: file.reference,
      version: file.version,
      legalBasis: file.legalBasis,
      purposes: file.purposes.map(canonicalRule),
      dpoContact: file.dpoContact,
      securityContact: file.securityContact,
      validFrom: file.validFrom,
      validUntil: file.validUntil,
      status: 'active',
    },
    now,
  );
  const replaced = versions.filter((v) => v.status === 'active');
  if (replaced.length > 0) {
    await trx
      .updateTable('agreements')
      .set({ status: 'ended' })
      .where(
        'id',
        'in',
        replaced.map((v) => v.id),
      )
      .execute();
  }
  await trx
    .insertInto('agreements')
    .values({
      id,
      organisation_id: file.organisation,
      reference: file.reference,
      version: file.version,
      legal_basis: file.legalBasis,
      purposes: JSON.stringify(file.purposes.map(canonicalRule)),
      dpo_contact: file.dpoContact,
      security_contact: file.securityContact,
      valid_from: file.validFrom,
      valid_until: file.validUntil,
      status: 'active',
      created_at: now.toISOString(),
    })
    .execute();
  const previous = replaced[0]?.version ?? null;
  const imported: ImportedAgreement = {
    id,
    organisationId: file.organisation,
    reference: file.reference,
    version: file.version,
    replaced: previous,
  };
  await appendEvent(trx, 'agreement_imported', {
    accountId: options.accountId ?? null,
    address: options.address ?? null,
    details: {
      agreement: id,
      reference: file.reference,
      version: file.version,
      organisation: file.organisation,
      by: options.by,
      replaced: previous,
    },
  });
  if (options.within) await options.within(trx, imported);
  return imported;
}

/** Keys in a fixed order, optional parts only when present: an exported file reads the same every time. */
function canonicalRule(rule: Static<typeof PurposeRuleSchema> | PurposeRule): PurposeRule {
  const out: PurposeRule = {
    purpose: rule.purpose,
    label: rule.label,
    roles: [...rule.roles],
    read: [...rule.read] as FieldClass[],
    write: [...rule.write] as FieldClass[],
    relationship: rule.relationship,
    dailyCeiling: rule.dailyCeiling,
    retentionDays: rule.retentionDays,
  };
  if (rule.conditions && rule.conditions.maxAge !== undefined) out.conditions = { maxAge: rule.conditions.maxAge };
  if (rule.objection)
    out.objection = {
      allowed: rule.objection.allowed,
      ...(rule.objection.legalReference !== undefined ? { legalReference: rule.objection.legalReference } : {}),
    };
  if (rule.legalClaims) out.legalClaims = true;
  if (rule.mandateScope) out.mandateScope = rule.mandateScope;
  return out;
}

export function agreementFileOf(row: AgreementsTable): AgreementFile {
  const agreement = agreementFromRow(row);
  return {
    format: AGREEMENT_FORMAT,
    organisation: agreement.organisationId,
    reference: agreement.reference,
    version: agreement.version,
    legalBasis: agreement.legalBasis,
    purposes: agreement.purposes.map(canonicalRule),
    dpoContact: agreement.dpoContact,
    securityContact: agreement.securityContact,
    validFrom: agreement.validFrom,
    validUntil: agreement.validUntil,
  };
}

/** One stored version, in the file format it can be imported from again. */
export async function exportAgreement(db: Executor, id: string): Promise<AgreementFile> {
  const row = await db.selectFrom('agreements').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Convention');
  return agreementFileOf(row);
}

/** A reference's given version, or its latest one; with its status (active, ended...). */
export async function findAgreementVersion(
  db: Executor,
  reference: string,
  version?: number,
): Promise<{ id: string; status: AgreementsTable['status']; file: AgreementFile }> {
  let query = db.selectFrom('agreements').selectAll().where('reference', '=', reference);
  if (version !== undefined) query = query.where('version', '=', version);
  const row = await query.orderBy('version', 'desc').executeTakeFirst();
  if (!row) throw new NotFoundError('Convention');
  return { id: row.id, status: row.status, file: agreementFileOf(row) };
}

/** Every version of a reference, oldest first (what changed, when, and which is in force). */
export async function agreementHistory(
  db: Executor,
  reference: string,
): Promise<Array<{ id: string; version: number; status: AgreementsTable['status']; createdAt: string }>> {
  const rows = await db
    .selectFrom('agreements')
    .select(['id', 'version', 'status', 'created_at'])
    .where('reference', '=', reference)
    .orderBy('version')
    .execute();
  return rows.map((r) => ({ id: r.id, version: r.version, status: r.status, createdAt: r.created_at }));
}
