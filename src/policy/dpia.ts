import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { Type, type Static } from 'typebox';
import { ConflictError, NotFoundError, schemaIssues, ValidationError, type ValidationIssue } from '../domain/index.ts';
import { appendEvent } from '../ledger/index.ts';
import { inTransaction, type DpiasTable, type Executor } from '../store/index.ts';
import { CONTROL_IDS, EVIDENCE_KINDS, MEASURE_STATUSES } from './dpia-controls.ts';

/**
 * The DPIA (analyse d'impact, AIPD) of each processing, as the CNIL's PIA method lays it out:
 * the context, the fundamental principles, the three risks to the persons (illegitimate access,
 * unwanted modification, disappearance of data) each weighed for severity and likelihood on
 * the method's 1–4 scale before and after the measures, the measures themselves, the action
 * plan and the DPO's opinion. A measure names the Rempart control that implements it and how
 * that is shown (a test, a setting, a report); one marked implemented without evidence is
 * refused. The security gate reads whether every measure is implemented (issue 24).
 */

/** The processing's id: an agreement purpose, grouped across the agreements that declare it. */
export const PROCESSING_PATTERN = '^[a-z][a-z0-9_]{1,62}$';

/** The three feared events of the CNIL's PIA method (« accès illégitime, modification non désirée, disparition »). */
export const RISK_KINDS = ['illegitimate_access', 'unwanted_modification', 'disappearance'] as const;
export type RiskKind = (typeof RISK_KINDS)[number];

export const RISK_KIND_LABELS: Record<RiskKind, string> = {
  illegitimate_access: 'Accès illégitime à des données',
  unwanted_modification: 'Modification non désirée de données',
  disappearance: 'Disparition de données',
};

export {
  CONTROL_IDS,
  EVIDENCE_KINDS,
  MEASURE_STATUSES,
  REMPART_CONTROLS,
  type RempartControl,
} from './dpia-controls.ts';
/** What an evidence reference must look like, per kind. */
const EVIDENCE_REFERENCES: Record<(typeof EVIDENCE_KINDS)[number], { pattern: RegExp; message: string }> = {
  test: {
    pattern: /^test\/[A-Za-z0-9_./-]+\.test\.ts$/,
    message: 'chemin d’un fichier de test du dépôt, par exemple test/backend/guard.test.ts',
  },
  setting: {
    pattern: /^[A-Za-z][A-Za-z0-9_.]{1,99}$/,
    message: 'nom d’un réglage, par exemple REMPART_TRUST_PROXY ou posture.mfa',
  },
  report: {
    pattern: /^\/api\/[A-Za-z0-9_./:-]+$/,
    message: 'route d’un rapport, par exemple /api/security/compliance',
  },
};

const Text = (max: number, description?: string) =>
  Type.String({ minLength: 1, maxLength: max, ...(description ? { description } : {}) });
const Slug = Type.String({
  pattern: '^[a-z][a-z0-9_]{1,62}$',
  description: 'identifiant en minuscules, chiffres et _',
});
/** The CNIL PIA method's scale: 1 negligible, 2 limited, 3 significant (important), 4 maximum. */
const Level = Type.Integer({ minimum: 1, maximum: 4, description: '1 négligeable, 2 limité, 3 important, 4 maximal' });
const Weight = Type.Object({ severity: Level, likelihood: Level }, { additionalProperties: false });

export const EvidenceSchema = Type.Object(
  {
    kind: Type.Enum(EVIDENCE_KINDS, { description: 'test, réglage ou rapport' }),
    reference: Text(300, 'fichier de test, nom du réglage ou route du rapport'),
    note: Type.Optional(Text(1000)),
  },
  { additionalProperties: false },
);

export const MeasureSchema = Type.Object(
  {
    id: Slug,
    title: Text(300),
    control: Type.Enum(CONTROL_IDS, { description: 'le contrôle de Rempart qui met la mesure en œuvre' }),
    status: Type.Enum(MEASURE_STATUSES),
    evidence: Type.Optional(EvidenceSchema),
  },
  { additionalProperties: false },
);

export const DpiaSchema = Type.Object(
  {
    context: Type.Object(
      {
        description: Text(4000, 'le traitement, ses finalités, ses enjeux'),
        dataLifecycle: Text(4000, 'collecte, usage, conservation, effacement'),
        supportingAssets: Text(4000, 'supports : serveurs, postes, réseaux, sous-traitants'),
      },
      { additionalProperties: false },
    ),
    principles: Type.Object(
      {
        purpose: Text(2000, 'finalités déterminées, explicites et légitimes'),
        legalBasis: Text(2000),
        minimisation: Text(2000),
        accuracy: Text(2000),
        retention: Text(2000),
        information: Text(2000),
        rights: Text(2000, 'accès, rectification, effacement, limitation, opposition'),
        processors: Text(2000),
        transfers: Text(2000),
      },
      { additionalProperties: false },
    ),
    risks: Type.Array(
      Type.Object(
        {
          kind: Type.Enum(RISK_KINDS),
          sources: Text(2000, 'sources de risque'),
          threats: Text(2000, 'menaces'),
          impacts: Text(2000, 'impacts sur les personnes'),
          before: Weight,
          after: Weight,
          measures: Type.Array(Slug, { maxItems: 50 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 3 },
    ),
    measures: Type.Array(MeasureSchema, { minItems: 1, maxItems: 100 }),
    actionPlan: Type.Array(
      Type.Object(
        { measure: Slug, owner: Text(200), due: Type.String({ format: 'date' }), note: Type.Optional(Text(1000)) },
        { additionalProperties: false },
      ),
      { maxItems: 100 },
    ),
    dpoOpinion: Type.Union([
      Type.Object(
        {
          opinion: Type.Enum(['favourable', 'favourable_with_reservations', 'unfavourable']),
          text: Text(4000),
          date: Type.String({ format: 'date' }),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);
export type DpiaDocument = Static<typeof DpiaSchema>;

const issue = (prefix: string, field: string, rule: string, message: string): ValidationIssue => ({
  field: prefix ? `${prefix}.${field}` : field,
  rule,
  message,
});

/** Rules the schema cannot say: evidence for what is implemented, the three risks once each, ids that exist. */
function semanticIssues(doc: DpiaDocument, prefix: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const ids = new Set<string>();
  doc.measures.forEach((m, i) => {
    if (ids.has(m.id)) issues.push(issue(prefix, `measures.${i}.id`, 'unique', 'mesure déjà déclarée'));
    ids.add(m.id);
    if (m.status === 'implemented' && !m.evidence)
      issues.push(
        issue(
          prefix,
          `measures.${i}.evidence`,
          'required_when_implemented',
          'une mesure mise en œuvre doit dire comment elle est prouvée (test, réglage ou rapport)',
        ),
      );
    if (m.evidence && !EVIDENCE_REFERENCES[m.evidence.kind].pattern.test(m.evidence.reference))
      issues.push(
        issue(
          prefix,
          `measures.${i}.evidence.reference`,
          `evidence:${m.evidence.kind}`,
          EVIDENCE_REFERENCES[m.evidence.kind].message,
        ),
      );
  });
  const kinds = new Set<string>();
  doc.risks.forEach((r, i) => {
    if (kinds.has(r.kind)) issues.push(issue(prefix, `risks.${i}.kind`, 'unique', 'risque déjà évalué'));
    kinds.add(r.kind);
    for (const axis of ['severity', 'likelihood'] as const)
      if (r.after[axis] > r.before[axis])
        issues.push(
          issue(
            prefix,
            `risks.${i}.after.${axis}`,
            'not_above_before',
            'le risque résiduel ne peut pas dépasser le risque avant mesures',
          ),
        );
    r.measures.forEach((id, j) => {
      if (!ids.has(id))
        issues.push(issue(prefix, `risks.${i}.measures.${j}`, 'exists', 'mesure inconnue de cette analyse'));
    });
  });
  for (const kind of RISK_KINDS)
    if (!kinds.has(kind))
      issues.push(issue(prefix, 'risks', `complete:${kind}`, `risque non évalué : ${RISK_KIND_LABELS[kind]}`));
  doc.actionPlan.forEach((a, i) => {
    if (!ids.has(a.measure))
      issues.push(issue(prefix, `actionPlan.${i}.measure`, 'exists', 'mesure inconnue de cette analyse'));
  });
  return issues;
}

export function validateDpia(raw: unknown, prefix = ''): DpiaDocument {
  const issues = schemaIssues(DpiaSchema, raw, prefix);
  if (issues.length > 0) throw new ValidationError(issues);
  const doc = raw as DpiaDocument;
  const more = semanticIssues(doc, prefix);
  if (more.length > 0) throw new ValidationError(more);
  return doc;
}

/** Every measure implemented, each with its evidence: what the gate asks of a processing's DPIA. */
export function dpiaComplete(doc: DpiaDocument): boolean {
  return doc.measures.length > 0 && doc.measures.every((m) => m.status === 'implemented' && m.evidence !== undefined);
}

export function documentHash(value: unknown): string {
  return createHash('sha256')
    .update(canonicalize(value) ?? '')
    .digest('hex');
}

export interface DpiaVersion {
  processing: string;
  version: number;
  hash: string;
  complete: boolean;
  /** Measures not yet implemented with evidence (what holds the gate). */
  pending: string[];
  updatedBy: string;
  updatedAt: string;
  document: DpiaDocument;
}

function viewOf(row: DpiasTable): DpiaVersion {
  const document = JSON.parse(row.document) as DpiaDocument;
  return {
    processing: row.processing,
    version: Number(row.version),
    hash: row.hash,
    complete: Number(row.complete) === 1,
    pending: document.measures.filter((m) => m.status !== 'implemented' || !m.evidence).map((m) => m.id),
    updatedBy: row.updated_by,
    updatedAt: row.created_at,
    document,
  };
}

function checkProcessing(processing: string, field: string): void {
  if (!new RegExp(PROCESSING_PATTERN).test(processing))
    throw new ValidationError([
      { field, rule: 'pattern', message: 'identifiant de traitement : une finalité en minuscules, chiffres et _' },
    ]);
}

/**
 * Save a new version of a processing's DPIA (the DPO's). Checked whole before anything is
 * written; a document identical to the latest version changes nothing (`changed: false`), any
 * other is a new version and a `dpia_updated` event in one transaction.
 */
export async function saveDpia(
  db: Executor,
  processing: string,
  raw: unknown,
  options: { by: string; address?: string | null; now?: Date; prefix?: string; processingField?: string },
): Promise<DpiaVersion & { changed: boolean }> {
  checkProcessing(processing, options.processingField ?? 'processing');
  const document = validateDpia(raw, options.prefix ?? '');
  const hash = documentHash(document);
  const complete = dpiaComplete(document);
  const now = options.now ?? new Date();
  return inTransaction(db, async (trx) => {
    const latest = await trx
      .selectFrom('dpias')
      .selectAll()
      .where('processing', '=', processing)
      .orderBy('version', 'desc')
      .executeTakeFirst();
    if (latest && latest.hash === hash) return { ...viewOf(latest), changed: false };
    const row: DpiasTable = {
      processing,
      version: Number(latest?.version ?? 0) + 1,
      document: JSON.stringify(document),
      hash,
      complete: complete ? 1 : 0,
      updated_by: options.by,
      created_at: now.toISOString(),
    };
    await trx.insertInto('dpias').values(row).execute();
    await appendEvent(trx, 'dpia_updated', {
      accountId: options.by,
      address: options.address ?? null,
      details: {
        processing,
        version: row.version,
        hash,
        complete,
        measures: document.measures.length,
        implemented: document.measures.filter((m) => m.status === 'implemented').length,
      },
    });
    return { ...viewOf(row), changed: true };
  }).catch((error: unknown) => {
    const e = error as { code?: string; message?: string };
    if (e.code === '23505' || (e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' && /dpias/.test(e.message ?? '')))
      throw new ConflictError('cette analyse d’impact vient d’être modifiée par ailleurs', 'dpia_version_taken');
    throw error;
  });
}

/** A processing's DPIA, its latest version or the one asked for; 404 naming the processing. */
export async function findDpia(db: Executor, processing: string, version?: number): Promise<DpiaVersion> {
  let query = db.selectFrom('dpias').selectAll().where('processing', '=', processing);
  if (version !== undefined) query = query.where('version', '=', version);
  const row = await query.orderBy('version', 'desc').executeTakeFirst();
  if (!row) throw new NotFoundError(`Analyse d’impact du traitement « ${processing} »`);
  return viewOf(row);
}

/** Each processing's latest DPIA: version, completeness, what is pending. */
export async function listDpias(
  db: Executor,
): Promise<Array<Omit<DpiaVersion, 'document'> & { dpoOpinion: DpiaDocument['dpoOpinion'] }>> {
  const rows = await db.selectFrom('dpias').selectAll().orderBy('processing').orderBy('version', 'desc').execute();
  const seen = new Set<string>();
  const out: Array<Omit<DpiaVersion, 'document'> & { dpoOpinion: DpiaDocument['dpoOpinion'] }> = [];
  for (const row of rows) {
    if (seen.has(row.processing)) continue;
    seen.add(row.processing);
    const { document, ...rest } = viewOf(row);
    out.push({ ...rest, dpoOpinion: document.dpoOpinion });
  }
  return out;
}
