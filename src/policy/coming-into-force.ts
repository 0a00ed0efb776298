import { ConflictError } from '../domain/index.ts';
import type { Executor } from '../store/index.ts';
import type { Agreement } from './agreement.ts';
import { assuranceOf } from './assurance.ts';
import { comingIntoForceGate, type Derogation, type GateRequirement } from './gate.ts';

const LABELS: Record<string, string> = {
  dpia_measures_implemented: 'mesures de l’AIPD mises en œuvre et prouvées',
  security_baseline_attested: 'socle de sécurité attesté par l’organisation',
};

/**
 * Issue 24: an agreement, or a new version of one, comes into force only once each processing
 * it declares has a DPIA whose every measure is implemented with its evidence, and once its
 * organisation attested the security baseline; a derogation in force covers one requirement as
 * it does at every decision. Otherwise a 409 `gate_unmet` naming the requirements (and the
 * processings), and nothing is written: the import's transaction rolls back.
 */
export async function refuseUnlessMayComeIntoForce(trx: Executor, agreement: Agreement, now: Date): Promise<void> {
  const derogations = (
    await trx
      .selectFrom('derogations')
      .select(['id', 'requirement', 'expires_at'])
      .where('organisation_id', '=', agreement.organisationId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now.toISOString())
      .execute()
  ).map((r): Derogation => ({ id: r.id, requirement: r.requirement as GateRequirement, expiresAt: r.expires_at }));
  const gate = comingIntoForceGate({
    agreement,
    assurance: await assuranceOf(trx, agreement.organisationId),
    derogations,
    now,
  });
  if (gate.unmet.length === 0) return;
  const named = gate.unmet.map((r) =>
    r === 'dpia_measures_implemented'
      ? `${r} (${LABELS[r]} ; traitements : ${gate.missingDpias.join(', ')})`
      : `${r} (${LABELS[r]})`,
  );
  throw new ConflictError(
    `la convention ne peut pas entrer en vigueur : exigences de la barrière de sécurité non remplies — ${named.join(' ; ')}`,
    'gate_unmet',
  );
}
