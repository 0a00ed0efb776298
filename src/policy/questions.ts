import { FIELD_CLASSES, PLATFORM_KINDS, type FieldClass } from '../domain/index.ts';
import type { Executor } from '../store/index.ts';
import { dpoContactOf } from './security-contact.ts';

/**
 * Questions the other capabilities ask of the agreements, rather than reading policy's tables
 * (DESIGN.md §6): what a machine client may see of its organisation's agreements, who the DPOs
 * are, and the words of a declared purpose.
 */

/** One purpose of an agreement, as a machine client may see it. */
export interface AgreementPurpose {
  purpose: string;
  label: string;
  read: FieldClass[];
  write: FieldClass[];
}

export interface ActiveAgreement {
  id: string;
  reference: string;
  version: number;
  legalBasis: string;
  validFrom: string;
  validUntil: string;
  purposes: AgreementPurpose[];
}

function fieldClasses(value: unknown): FieldClass[] {
  return Array.isArray(value)
    ? value.filter((c): c is FieldClass => (FIELD_CLASSES as readonly unknown[]).includes(c))
    : [];
}

/** The purposes stored as JSON; an entry that does not read as a purpose grants nothing. */
function parsePurposes(json: string): AgreementPurpose[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const p = entry as Record<string, unknown>;
    if (typeof p.purpose !== 'string' || !p.purpose) return [];
    return [
      {
        purpose: p.purpose,
        label: typeof p.label === 'string' ? p.label : p.purpose,
        read: fieldClasses(p.read),
        write: fieldClasses(p.write),
      },
    ];
  });
}

/**
 * The agreements an organisation may act under today: active, and within their validity
 * dates. No agreement, no purpose: deny by default.
 */
export async function activeAgreements(
  db: Executor,
  organisationId: string,
  now = new Date(),
): Promise<ActiveAgreement[]> {
  const today = now.toISOString().slice(0, 10);
  const rows = await db
    .selectFrom('agreements')
    .select(['id', 'reference', 'version', 'legal_basis', 'purposes', 'valid_from', 'valid_until'])
    .where('organisation_id', '=', organisationId)
    .where('status', '=', 'active')
    .where('valid_from', '<=', today)
    .where('valid_until', '>=', today)
    .orderBy('reference')
    .orderBy('version')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    reference: r.reference,
    version: Number(r.version),
    legalBasis: r.legal_basis,
    validFrom: r.valid_from,
    validUntil: r.valid_until,
    purposes: parsePurposes(r.purposes),
  }));
}

/** Who hears of a report: the DPO of the organisation that accessed, and the platform's DPOs. */
export async function dpoContactsFor(db: Executor, organisationId: string | null): Promise<Set<string>> {
  const contacts = new Set<string>();
  if (organisationId) {
    const dpo = await dpoContactOf(db, organisationId);
    if (dpo) contacts.add(dpo);
  }
  const agency = await db
    .selectFrom('agreements')
    .innerJoin('organisations', 'organisations.id', 'agreements.organisation_id')
    .select('agreements.dpo_contact')
    .where('organisations.kind', 'in', PLATFORM_KINDS)
    .where('agreements.status', '=', 'active')
    .execute();
  for (const row of agency) contacts.add(row.dpo_contact);
  return contacts;
}

/**
 * The words of the purposes these organisations' agreements declare, keyed by
 * `${organisationId} ${purpose}`; the newest version's wording wins.
 */
export async function purposeLabelsOf(db: Executor, organisationIds: readonly string[]): Promise<Map<string, string>> {
  const labels = new Map<string, string>();
  if (organisationIds.length === 0) return labels;
  const agreements = await db
    .selectFrom('agreements')
    .select(['organisation_id', 'purposes'])
    .where('organisation_id', 'in', [...organisationIds])
    .orderBy('version', 'asc')
    .execute();
  for (const agreement of agreements) {
    for (const rule of JSON.parse(agreement.purposes) as Array<{ purpose: string; label?: string }>)
      if (rule.label) labels.set(`${agreement.organisation_id} ${rule.purpose}`, rule.label);
  }
  return labels;
}

/**
 * Whether the processing of `purpose` by this organisation excludes objection (GDPR Art. 21), as
 * its active agreement says (`objection` of the purpose rule): the reference that excludes it, or
 * null where the agreement names no such exclusion (or there is no such purpose).
 */
export async function objectionExclusionOf(
  db: Executor,
  organisationId: string,
  purpose: string,
): Promise<{ legalReference: string; purposeLabel: string } | null> {
  const agreement = await db
    .selectFrom('agreements')
    .select('purposes')
    .where('organisation_id', '=', organisationId)
    .where('status', '=', 'active')
    .orderBy('version', 'desc')
    .executeTakeFirst();
  if (!agreement) return null;
  const rule = (
    JSON.parse(agreement.purposes) as Array<{
      purpose: string;
      label?: string;
      objection?: { allowed: boolean; legalReference?: string };
    }>
  ).find((r) => r.purpose === purpose);
  if (!rule?.objection || rule.objection.allowed || !rule.objection.legalReference) return null;
  return { legalReference: rule.objection.legalReference, purposeLabel: rule.label ?? purpose };
}
