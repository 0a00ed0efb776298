import { FIELD_CLASSES, type FieldClass } from '../../domain/index.ts';
import type { Executor } from '../../store/index.ts';

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

/** Every purpose the organisation's active agreements name, once each. */
export function purposesOf(agreements: readonly ActiveAgreement[]): string[] {
  return [...new Set(agreements.flatMap((a) => a.purposes.map((p) => p.purpose)))];
}

/** The agreements cut down to the purposes a token was granted; an agreement left with none is not shown. */
export function withinScope(agreements: readonly ActiveAgreement[], purposes: readonly string[]): ActiveAgreement[] {
  return agreements
    .map((a) => ({ ...a, purposes: a.purposes.filter((p) => purposes.includes(p.purpose)) }))
    .filter((a) => a.purposes.length > 0);
}
