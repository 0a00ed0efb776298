import type { Executor } from '../store/index.ts';
import { agreementFromRow, agreementInForce, type Agreement } from './agreement.ts';
import type { GateAssurance } from './gate.ts';

/**
 * What the security gate reads of the DPIAs and the baseline attestations (issue 24), loaded
 * with the organisation's other gate inputs: both tables bump `policy_epoch`, so a DPIA
 * measure set back to « planned » or a new attestation is in force at the next request.
 */

/** Processings whose latest DPIA version has every measure implemented with its evidence. */
export async function completeDpias(db: Executor): Promise<Set<string>> {
  const rows = await db
    .selectFrom('dpias')
    .select(['processing', 'version', 'complete'])
    .orderBy('processing')
    .orderBy('version', 'desc')
    .execute();
  const seen = new Set<string>();
  const complete = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.processing)) continue;
    seen.add(row.processing);
    if (Number(row.complete) === 1) complete.add(row.processing);
  }
  return complete;
}

/** Each organisation's latest baseline attestation instant. */
export async function latestAttestations(db: Executor, organisationId?: string): Promise<Map<string, string>> {
  let query = db
    .selectFrom('baseline_attestations')
    .select(['organisation_id', (eb) => eb.fn.max('attested_at').as('attested_at')])
    .groupBy('organisation_id');
  if (organisationId !== undefined) query = query.where('organisation_id', '=', organisationId);
  const rows = await query.execute();
  return new Map(rows.map((r) => [r.organisation_id, String(r.attested_at)]));
}

/** One organisation's gate assurance. */
export async function assuranceOf(db: Executor, organisationId: string): Promise<GateAssurance> {
  const [dpias, attestations] = [await completeDpias(db), await latestAttestations(db, organisationId)];
  return { completeDpias: dpias, baselineAttestedAt: attestations.get(organisationId) ?? null };
}

/** Every organisation's gate assurance at once (the compliance report). */
export async function assurances(db: Executor): Promise<(organisationId: string) => GateAssurance> {
  const [dpias, attestations] = [await completeDpias(db), await latestAttestations(db)];
  return (organisationId) => ({ completeDpias: dpias, baselineAttestedAt: attestations.get(organisationId) ?? null });
}

/** Every organisation's agreements in force on `now` (the Art. 30 register is generated from them). */
export async function allAgreementsInForce(db: Executor, now: Date): Promise<Agreement[]> {
  const rows = await db
    .selectFrom('agreements')
    .selectAll()
    .where('status', '=', 'active')
    .orderBy('reference')
    .orderBy('version')
    .execute();
  return rows.map(agreementFromRow).filter((a) => agreementInForce(a, now));
}
