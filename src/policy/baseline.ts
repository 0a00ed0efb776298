import { randomUUID } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { NotFoundError, schemaIssues, ValidationError } from '../domain/index.ts';
import { appendEvent } from '../ledger/index.ts';
import { inTransaction, type BaselineAttestationsTable, type Executor } from '../store/index.ts';
import { ATTESTATION_VALIDITY_DAYS } from './gate.ts';

/**
 * The security baseline a partner attests before any of its agreements comes into force
 * (issue 24): every account behind a second factor, authorisations scoped to the persons it
 * follows and the purposes it declares, logs that detect anomalies (the three failings the
 * CNIL fined in January 2026). One record per attestation: who attested for the organisation,
 * when, what; a ledger event. It counts for ATTESTATION_VALIDITY_DAYS.
 */
export const BASELINE_ITEMS = {
  secondFactor: 'Second facteur d’authentification pour tous les comptes',
  scopedAuthorisations: 'Habilitations limitées aux personnes suivies et aux finalités déclarées',
  anomalyDetection: 'Journaux exploités pour détecter les comportements anormaux',
} as const;

const Attested = (description: string) => Type.Literal(true, { description });

export const BaselineAttestationSchema = Type.Object(
  {
    attestedBy: Type.Object(
      {
        name: Type.String({ minLength: 2, maxLength: 200, description: 'nom de la personne qui atteste' }),
        role: Type.String({ minLength: 2, maxLength: 200, description: 'sa fonction (RSSI, directeur…)' }),
      },
      { additionalProperties: false },
    ),
    attestedAt: Type.Optional(Type.String({ format: 'date-time', description: 'date de l’attestation signée' })),
    secondFactor: Attested(BASELINE_ITEMS.secondFactor),
    scopedAuthorisations: Attested(BASELINE_ITEMS.scopedAuthorisations),
    anomalyDetection: Attested(BASELINE_ITEMS.anomalyDetection),
    statement: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
  },
  { additionalProperties: false },
);
export type BaselineAttestationRequest = Static<typeof BaselineAttestationSchema>;

export interface BaselineAttestation {
  id: string;
  organisationId: string;
  attestedBy: { name: string; role: string };
  attestedAt: string;
  items: Record<keyof typeof BASELINE_ITEMS, boolean>;
  statement: string | null;
  recordedBy: string;
  recordedAt: string;
  /** Counts for the gate until this instant. */
  validUntil: string;
}

function viewOf(row: BaselineAttestationsTable): BaselineAttestation {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    attestedBy: { name: row.attested_by, role: row.attester_role },
    attestedAt: row.attested_at,
    items: JSON.parse(row.items) as BaselineAttestation['items'],
    statement: row.statement,
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at,
    validUntil: new Date(Date.parse(row.attested_at) + ATTESTATION_VALIDITY_DAYS * 86_400_000).toISOString(),
  };
}

/** Record an organisation's attestation; bad input or an unknown organisation writes nothing. */
export async function recordBaselineAttestation(
  db: Executor,
  organisationId: string,
  raw: unknown,
  options: { by: string; address?: string | null; now?: Date; prefix?: string },
): Promise<BaselineAttestation> {
  const prefix = options.prefix ?? '';
  const issues = schemaIssues(BaselineAttestationSchema, raw, prefix);
  if (issues.length > 0) throw new ValidationError(issues);
  const valid = raw as BaselineAttestationRequest;
  const now = options.now ?? new Date();
  const attestedAt = valid.attestedAt ? new Date(valid.attestedAt).toISOString() : now.toISOString();
  if (attestedAt > now.toISOString())
    throw new ValidationError([
      {
        field: prefix ? `${prefix}.attestedAt` : 'attestedAt',
        rule: 'past',
        message: 'une attestation ne peut pas être datée dans le futur',
      },
    ]);
  const row: BaselineAttestationsTable = {
    id: randomUUID(),
    organisation_id: organisationId,
    attested_by: valid.attestedBy.name,
    attester_role: valid.attestedBy.role,
    attested_at: attestedAt,
    items: JSON.stringify({
      secondFactor: valid.secondFactor,
      scopedAuthorisations: valid.scopedAuthorisations,
      anomalyDetection: valid.anomalyDetection,
    }),
    statement: valid.statement ?? null,
    recorded_by: options.by,
    recorded_at: now.toISOString(),
  };
  await inTransaction(db, async (trx) => {
    const organisation = await trx
      .selectFrom('organisations')
      .select('id')
      .where('id', '=', organisationId)
      .executeTakeFirst();
    if (!organisation) throw new NotFoundError('Organisation');
    await trx.insertInto('baseline_attestations').values(row).execute();
    await appendEvent(trx, 'baseline_attested', {
      accountId: options.by,
      address: options.address ?? null,
      details: {
        attestation: row.id,
        organisation: organisationId,
        attestedAt,
        items: Object.keys(BASELINE_ITEMS).join(','),
      },
    });
  });
  return viewOf(row);
}

/** An organisation's attestations, latest first. */
export async function listBaselineAttestations(db: Executor, organisationId?: string): Promise<BaselineAttestation[]> {
  let query = db.selectFrom('baseline_attestations').selectAll();
  if (organisationId !== undefined) query = query.where('organisation_id', '=', organisationId);
  const rows = await query.orderBy('attested_at', 'desc').orderBy('id').execute();
  return rows.map(viewOf);
}
