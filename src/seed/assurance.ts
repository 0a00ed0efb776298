import { documentHash, dpiaComplete, validateDpia, type DpiaDocument, type PurposeRule } from '../policy/index.ts';
import type {
  AgreementsTable,
  BaselineAttestationsTable,
  DpiasTable,
  Executor,
  OrganisationsTable,
} from '../store/index.ts';
import { deterministicUuid } from './ids.ts';
import type { NetworkRows } from './network.ts';

/**
 * The demo network's proofs for the security gate (issue 24): a DPIA per processing (each
 * agreement purpose) whose measures are all implemented, each with the test, setting or report
 * that shows it, and a baseline attestation per organisation. Without them no seeded agreement
 * would pass the gate, and the demo would read nothing.
 */

/** The measures every seeded DPIA holds: Rempart's controls, each with where it is proven. */
export const SEEDED_MEASURES: DpiaDocument['measures'] = [
  {
    id: 'chiffrement_par_classe',
    title: 'Chaque classe de données chiffrée sous sa propre clé, clés maîtres détenues par l’opérateur',
    control: 'field_encryption',
    status: 'implemented',
    evidence: { kind: 'test', reference: 'test/unit/envelope.test.ts' },
  },
  {
    id: 'acces_par_finalite',
    title: 'Accès limité à la finalité déclarée, aux classes de la convention et aux personnes suivies',
    control: 'purpose_bound_access',
    status: 'implemented',
    evidence: { kind: 'test', reference: 'test/backend/staff-access.test.ts' },
  },
  {
    id: 'second_facteur',
    title: 'Second facteur obligatoire pour tous les comptes des agents et des partenaires',
    control: 'second_factor',
    status: 'implemented',
    evidence: { kind: 'test', reference: 'test/backend/second-factor.test.ts' },
  },
  {
    id: 'journal_signe',
    title: 'Chaque accès journalisé avant que la donnée ne parte, journal chaîné et signé',
    control: 'ledger',
    status: 'implemented',
    evidence: { kind: 'test', reference: 'test/backend/access-pipeline.test.ts' },
  },
  {
    id: 'detection_anomalies',
    title: 'Détection des volumes et balayages anormaux, dossiers leurres, confinement des comptes',
    control: 'guard',
    status: 'implemented',
    evidence: { kind: 'test', reference: 'test/backend/guard.test.ts' },
  },
  {
    id: 'barriere_partenaires',
    title: 'Posture de sécurité des partenaires contrôlée à chaque accès',
    control: 'partner_gate',
    status: 'implemented',
    evidence: { kind: 'report', reference: '/api/security/compliance' },
  },
  {
    id: 'sauvegarde_restauration',
    title: 'Sauvegardes chiffrées, restauration vérifiée',
    control: 'backup_restore',
    status: 'implemented',
    evidence: { kind: 'test', reference: 'test/backend/backup-restore.test.ts' },
  },
];

/** A complete DPIA for one processing of the demo network, following the CNIL's PIA method. */
export function seededDpia(rule: PurposeRule, legalBasis: string): DpiaDocument {
  const all = SEEDED_MEASURES.map((m) => m.id);
  const document: DpiaDocument = {
    context: {
      description: `Traitement « ${rule.label} » : données de demandeurs d’emploi partagées dans le réseau pour l’emploi.`,
      dataLifecycle: `Lecture et écriture des classes prévues par la convention ; conservation ${rule.retentionDays} jours ; effacement par destruction des clés.`,
      supportingAssets: 'Serveurs Rempart hébergés dans l’Union européenne, postes des agents, réseaux déclarés.',
    },
    principles: {
      purpose: rule.label,
      legalBasis,
      minimisation: `Seules les classes ${[...new Set([...rule.read, ...rule.write])].join(', ')} sont accessibles.`,
      accuracy: 'Les données viennent du dossier de France Travail ; rectification par le conseiller.',
      retention: `${rule.retentionDays} jours.`,
      information: 'Information des personnes à l’inscription et dans leur espace (journal des accès).',
      rights: 'Droits d’accès, de rectification, d’effacement, de limitation et d’opposition auprès du DPO.',
      processors: 'Sous-traitants liés par un contrat conforme à l’article 28 du RGPD.',
      transfers: 'Aucun transfert hors de l’Union européenne.',
    },
    risks: [
      {
        kind: 'illegitimate_access',
        sources: 'Comptes volés (hameçonnage, voleurs d’identifiants), agents curieux, sous-traitants.',
        threats: 'Consultation en masse, consultation hors périmètre.',
        impacts: 'Usurpation d’identité, détournement des allocations.',
        before: { severity: 4, likelihood: 4 },
        after: { severity: 3, likelihood: 1 },
        measures: ['chiffrement_par_classe', 'acces_par_finalite', 'second_facteur', 'detection_anomalies'],
      },
      {
        kind: 'unwanted_modification',
        sources: 'Comptes volés, fraudeurs.',
        threats: 'Changement des coordonnées bancaires ou de contact.',
        impacts: 'Paiements détournés.',
        before: { severity: 3, likelihood: 3 },
        after: { severity: 2, likelihood: 1 },
        measures: ['acces_par_finalite', 'journal_signe', 'barriere_partenaires'],
      },
      {
        kind: 'disappearance',
        sources: 'Panne, rançongiciel, erreur d’exploitation.',
        threats: 'Perte ou chiffrement des données.',
        impacts: 'Interruption de l’accompagnement et des paiements.',
        before: { severity: 3, likelihood: 2 },
        after: { severity: 2, likelihood: 1 },
        measures: ['sauvegarde_restauration'],
      },
    ],
    measures: structuredClone(SEEDED_MEASURES),
    actionPlan: [],
    dpoOpinion: {
      opinion: 'favourable',
      text: `Mesures mises en œuvre et prouvées ; risques résiduels acceptables (${all.length} mesures).`,
      date: '2026-01-01',
    },
  };
  return validateDpia(document);
}

/** A version 1 DPIA row for every processing of the network's agreements (the first agreement declaring it). */
export function seededDpiaRows(agreements: readonly AgreementsTable[], now: string): DpiasTable[] {
  const rows = new Map<string, DpiasTable>();
  for (const agreement of agreements)
    for (const rule of JSON.parse(agreement.purposes) as PurposeRule[]) {
      if (rows.has(rule.purpose)) continue;
      const document = seededDpia(rule, agreement.legal_basis);
      rows.set(rule.purpose, {
        processing: rule.purpose,
        version: 1,
        document: JSON.stringify(document),
        hash: documentHash(document),
        complete: dpiaComplete(document) ? 1 : 0,
        updated_by: 'seed',
        created_at: now,
      });
    }
  return [...rows.values()];
}

/**
 * One attestation per organisation, half a year before the seeding: the simulator replays weeks
 * before the seeding's instant, and an attestation dated after a read does not cover it.
 */
export function seededAttestationRows(
  organisations: readonly OrganisationsTable[],
  now: string,
): BaselineAttestationsTable[] {
  const attestedAt = new Date(Date.parse(now) - 180 * 86_400_000).toISOString();
  return organisations.map((o) => ({
    id: deterministicUuid(0, 'baseline-attestation', o.id),
    organisation_id: o.id,
    attested_by: `Responsable sécurité — ${o.name}`,
    attester_role: 'RSSI',
    attested_at: attestedAt,
    items: JSON.stringify({ secondFactor: true, scopedAuthorisations: true, anomalyDetection: true }),
    statement: 'Attestation du réseau de démonstration.',
    recorded_by: 'seed',
    recorded_at: now,
  }));
}

/** The network's DPIAs and attestations; those already there are kept (a re-run is a no-op). */
export async function insertAssurance(
  db: Executor,
  network: Pick<NetworkRows, 'organisations' | 'agreements'>,
): Promise<void> {
  const now = network.organisations[0]?.created_at ?? new Date().toISOString();
  const dpias = seededDpiaRows(network.agreements, now);
  if (dpias.length > 0)
    await db
      .insertInto('dpias')
      .values(dpias)
      .onConflict((oc) => oc.columns(['processing', 'version']).doNothing())
      .execute();
  const attestations = seededAttestationRows(network.organisations, now);
  if (attestations.length > 0)
    await db
      .insertInto('baseline_attestations')
      .values(attestations)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
}
