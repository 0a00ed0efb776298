import type { Role } from '../domain/index.ts';
import type { PurposeRule } from '../policy/index.ts';
import type { AgreementsTable, ActorsTable, OrganisationsTable } from '../store/index.ts';
import { deterministicUuid } from './ids.ts';
import { AGENCY_SITES } from './reference-data.ts';

/**
 * The employment network of one département, as the demo and the tests know it. Agreements
 * here are the starting defaults that the policy issue turns into decisions.
 */

type StaffSpec = { login: string; displayName: string; roles: Role[] };

interface OrganisationSpec {
  key: string;
  kind: string;
  name: string;
  siret: string | null;
  agreement: { reference: string; legalBasis: string; purposes: PurposeRule[] };
  staff: StaffSpec[];
}

/** Why a person cannot object to the agency's own processing: its missions are set by law. */
export const AGENCY_OBJECTION_EXCLUDED =
  'Code du travail, art. L. 5312-1 (missions de France Travail) ; RGPD art. 6.1.c et 6.1.e, art. 21.1';

const agencyPurposes: PurposeRule[] = [
  {
    purpose: 'accompagnement',
    label: 'Accompagnement vers l’emploi',
    roles: ['counsellor'],
    read: ['identity', 'contact', 'id_document', 'registration', 'career', 'follow_up'],
    write: ['contact', 'career', 'follow_up'],
    relationship: 'caseload',
    // Four counsellors, each up to 40 distinct persons on a busy day (docs/guard-calibration.md).
    dailyCeiling: 160,
    retentionDays: 365 * 3,
    // France Travail's missions are a legal obligation and a public task: no objection (GDPR Art. 21).
    objection: { allowed: false, legalReference: AGENCY_OBJECTION_EXCLUDED },
  },
  {
    purpose: 'indemnisation',
    label: 'Indemnisation et paiement des allocations',
    roles: ['indemnisation_agent'],
    read: ['identity', 'nir', 'registration', 'benefits', 'bank'],
    write: ['benefits', 'bank'],
    relationship: 'agency',
    dailyCeiling: 120,
    retentionDays: 365 * 10,
    objection: { allowed: false, legalReference: AGENCY_OBJECTION_EXCLUDED },
  },
];

function agency(index: number): OrganisationSpec {
  const site = AGENCY_SITES[index]!;
  const slug = ['bastide', 'merignac', 'libourne'][index]!;
  return {
    key: `agency-${slug}`,
    kind: 'agency',
    name: `France Travail ${site}`,
    siret: null,
    agreement: {
      reference: `FT-33-${slug.toUpperCase()}`,
      legalBasis: 'Code du travail, art. L. 5312-1 (missions de France Travail)',
      purposes: agencyPurposes,
    },
    staff: [
      ...[1, 2, 3, 4].map((n): StaffSpec => ({
        login: `conseiller.${slug}.${n}`,
        displayName: `Conseiller ${n} — ${site}`,
        roles: ['counsellor'],
      })),
      { login: `indemnisation.${slug}`, displayName: `Agent indemnisation — ${site}`, roles: ['indemnisation_agent'] },
      { login: `admin.${slug}`, displayName: `Administrateur des comptes — ${site}`, roles: ['org_admin'] },
      { login: `admin2.${slug}`, displayName: `Second administrateur des comptes — ${site}`, roles: ['org_admin'] },
    ],
  };
}

/** A partner's purposes are for its staff and for its information system (machine clients). */
function partner(
  key: string,
  kind: string,
  name: string,
  reference: string,
  legalBasis: string,
  purposes: Array<Omit<PurposeRule, 'roles'>>,
  staffPrefix: string,
  staffCount: number,
  staffRole: Role = 'partner_staff',
): OrganisationSpec {
  return {
    key,
    kind,
    name,
    siret: null,
    agreement: {
      reference,
      legalBasis,
      purposes: purposes.map((p) => ({ ...p, roles: [staffRole, 'partner_system'] })),
    },
    staff: [
      ...Array.from({ length: staffCount }, (_, i) => ({
        login: `${staffPrefix}.${i + 1}`,
        displayName: `${name} — agent ${i + 1}`,
        roles: [staffRole],
      })),
      { login: `${staffPrefix}.admin`, displayName: `${name} — administrateur des comptes`, roles: ['org_admin'] },
      {
        login: `${staffPrefix}.admin2`,
        displayName: `${name} — second administrateur des comptes`,
        roles: ['org_admin'],
      },
    ],
  };
}

const NETWORK_LAW =
  'Code du travail, art. L. 5311-7 (réseau pour l’emploi, loi n° 2023-1196 du 18 décembre 2023 pour le plein emploi)';

export const NETWORK: readonly OrganisationSpec[] = [
  agency(0),
  agency(1),
  agency(2),
  partner(
    'mission-locale',
    'mission_locale',
    'Mission locale de Bordeaux',
    'ML-33-BDX',
    `${NETWORK_LAW} ; art. L. 5314-2`,
    [
      {
        purpose: 'accompagnement_jeunes',
        label: 'Accompagnement des jeunes de 16 à 25 ans',
        read: ['identity', 'contact', 'registration', 'career', 'follow_up'],
        write: ['follow_up'],
        relationship: 'referral',
        dailyCeiling: 60,
        retentionDays: 365 * 2,
        conditions: { maxAge: 25 },
      },
    ],
    'ml.bordeaux',
    3,
  ),
  partner(
    'cap-emploi',
    'cap_emploi',
    'Cap emploi Gironde',
    'CAPE-33',
    `${NETWORK_LAW} ; art. L. 5214-3-1`,
    [
      {
        purpose: 'accompagnement_handicap',
        label: 'Accompagnement des personnes en situation de handicap',
        read: ['identity', 'contact', 'registration', 'career', 'follow_up', 'health'],
        write: ['follow_up'],
        relationship: 'referral',
        dailyCeiling: 50,
        retentionDays: 365 * 2,
      },
    ],
    'capemploi.gironde',
    3,
  ),
  partner(
    'departement',
    'departement',
    'Département de la Gironde',
    'CD-33-RSA',
    `${NETWORK_LAW} ; code de l’action sociale et des familles (RSA)`,
    [
      {
        purpose: 'insertion_rsa',
        label: 'Orientation et insertion des allocataires du RSA',
        read: ['identity', 'contact', 'registration', 'follow_up'],
        write: ['follow_up'],
        relationship: 'referral',
        dailyCeiling: 60,
        retentionDays: 365 * 2,
      },
    ],
    'cd33.insertion',
    2,
  ),
  partner(
    'region',
    'region',
    'Région Nouvelle-Aquitaine',
    'REG-NA-FORM',
    `${NETWORK_LAW} ; compétence formation professionnelle`,
    [
      {
        purpose: 'formation',
        label: 'Orientation vers la formation professionnelle',
        read: ['identity', 'registration', 'career'],
        write: [],
        relationship: 'referral',
        dailyCeiling: 40,
        retentionDays: 365,
      },
    ],
    'region.formation',
    1,
  ),
  partner(
    'caf',
    'caf',
    'CAF de la Gironde',
    'CAF-33',
    'Convention d’échange de données France Travail – CNAF (vérification des droits)',
    [
      {
        purpose: 'verification_droits',
        label: 'Vérification des droits (RSA, prime d’activité)',
        read: ['identity', 'nir', 'registration', 'benefits'],
        write: [],
        relationship: 'referral',
        dailyCeiling: 200,
        retentionDays: 365,
      },
    ],
    'caf33.agent',
    2,
  ),
  partner(
    'training-body',
    'training_body',
    'Institut aquitain de formation professionnelle',
    'OF-33-IAFP',
    `${NETWORK_LAW} ; convention d’entrée en formation`,
    [
      {
        purpose: 'entree_formation',
        label: 'Entrée en formation',
        read: ['identity', 'contact', 'career'],
        write: [],
        relationship: 'referral',
        dailyCeiling: 30,
        retentionDays: 365,
      },
    ],
    'iafp.formateur',
    2,
  ),
  partner(
    'call-centre',
    'subcontractor',
    'Relais Contact Atlantique (sous-traitant)',
    'ST-33-RCA',
    'Marché de relation usagers ; RGPD art. 28 (sous-traitance)',
    [
      {
        purpose: 'relation_usager',
        label: 'Réponse aux appels des usagers',
        read: ['identity', 'registration'],
        write: [],
        relationship: 'verified_caller',
        dailyCeiling: 40,
        retentionDays: 90,
      },
    ],
    'rca.operateur',
    3,
    'call_centre_operator',
  ),
  {
    // A France Services house (issue 25 §4): its aidants act for a person only under the person's
    // own mandate to them, step by step; never bank details (the agreement cannot name them).
    key: 'france-services',
    kind: 'france_services',
    name: 'France Services de Blaye',
    siret: null,
    agreement: {
      reference: 'FS-33-BLAYE',
      legalBasis:
        'Décret n° 2019-1088 du 18 octobre 2019 (France Services) ; mandat de la personne (Code civil, art. 1984) ; RGPD art. 6.1.a',
      purposes: [
        {
          purpose: 'aidant_inscription',
          label: 'Aide à l’inscription, sous mandat de la personne',
          roles: ['aidant'],
          read: ['identity', 'contact', 'registration'],
          write: [],
          relationship: 'mandate',
          mandateScope: 'registration',
          dailyCeiling: 40,
          retentionDays: 365,
        },
        {
          purpose: 'aidant_actualisation',
          label: 'Aide à l’actualisation mensuelle, sous mandat de la personne',
          roles: ['aidant'],
          read: ['identity', 'registration'],
          // Only through the monthly update's own service: the pipeline refuses an aidant's direct write.
          write: ['benefits'],
          relationship: 'mandate',
          mandateScope: 'update',
          dailyCeiling: 40,
          retentionDays: 365,
        },
        {
          purpose: 'aidant_documents',
          label: 'Aide à la consultation des documents, sous mandat de la personne',
          roles: ['aidant'],
          read: ['identity', 'benefits'],
          write: [],
          relationship: 'mandate',
          mandateScope: 'documents',
          dailyCeiling: 40,
          retentionDays: 365,
        },
      ],
    },
    staff: [
      { login: 'fs.blaye.aidant1', displayName: 'Nadia Benali', roles: ['aidant'] },
      { login: 'fs.blaye.aidant2', displayName: 'Julien Morel', roles: ['aidant'] },
      {
        login: 'fs.blaye.admin',
        displayName: 'France Services de Blaye — administrateur des comptes',
        roles: ['org_admin'],
      },
      {
        login: 'fs.blaye.admin2',
        displayName: 'France Services de Blaye — second administrateur des comptes',
        roles: ['org_admin'],
      },
    ],
  },
  {
    // An employer of the département (issue 25 §3): its payroll system, a machine client its
    // administrators connect, sends end-of-contract certificates; it reads nothing.
    key: 'employeur-medoc',
    kind: 'employer',
    name: 'Chais du Médoc SAS',
    siret: '41922338900027',
    agreement: {
      reference: 'EMP-33-CHAISMEDOC',
      legalBasis: 'Code du travail, art. R. 1234-9 (attestation employeur destinée à France Travail)',
      purposes: [
        {
          purpose: 'attestation_employeur',
          label: 'Attestation employeur destinée à France Travail',
          roles: ['partner_system'],
          read: [],
          write: ['benefits'],
          relationship: 'employment',
          dailyCeiling: 200,
          retentionDays: 365 * 10,
        },
      ],
    },
    staff: [
      {
        login: 'paie.chaismedoc.admin',
        displayName: 'Chais du Médoc — administrateur des comptes',
        roles: ['org_admin'],
      },
      {
        login: 'paie.chaismedoc.admin2',
        displayName: 'Chais du Médoc — second administrateur des comptes',
        roles: ['org_admin'],
      },
    ],
  },
  {
    key: 'direction-regionale',
    kind: 'agency',
    name: 'France Travail — Direction régionale Nouvelle-Aquitaine',
    siret: null,
    agreement: {
      reference: 'FT-DR-NA',
      legalBasis: 'Code du travail, art. L. 5312-1 ; RGPD art. 32 et 33',
      purposes: [
        {
          // The regional control team: outside every agency, it releases or rejects a bank change
          // held because the person's contact changed just before, after reaching the person.
          purpose: 'controle_rib',
          label: 'Contrôle des changements de coordonnées bancaires retenus',
          roles: ['bank_controller'],
          read: ['identity', 'contact', 'registration', 'bank'],
          write: ['bank'],
          relationship: 'held_bank_change',
          dailyCeiling: 60,
          retentionDays: 365 * 10,
        },
      ],
    },
    staff: [
      {
        login: 'controle.rib.na',
        displayName: 'Contrôleur des changements de RIB — direction régionale',
        roles: ['bank_controller'],
      },
      {
        login: 'rssi.na',
        displayName: 'Responsable de la sécurité des systèmes d’information',
        roles: ['security_officer'],
      },
      { login: 'dpo.na', displayName: 'Délégué à la protection des données', roles: ['dpo'] },
      { login: 'admin.dr-na', displayName: 'Administrateur des comptes — direction régionale', roles: ['org_admin'] },
      {
        login: 'admin2.dr-na',
        displayName: 'Second administrateur des comptes — direction régionale',
        roles: ['org_admin'],
      },
    ],
  },
];

/** The demo's organisations connect from loopback and private ranges (where a demo runs). */
const DEMO_NETWORKS = ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'];
/** The demo's staff mail domain, declared by every organisation of the demo network (a real one declares its own). */
export const DEMO_STAFF_EMAIL_DOMAIN = 'agents.rempart.example';

function daysBefore(iso: string, days: number): string {
  return new Date(Date.parse(iso) - days * 86_400_000).toISOString().slice(0, 10);
}

export interface NetworkRows {
  organisations: OrganisationsTable[];
  agreements: AgreementsTable[];
  actors: ActorsTable[];
  /** Organisation id by spec key. */
  organisationIds: Record<string, string>;
  /** Counsellor actor ids per agency index, for caseloads. */
  counsellorsByAgency: string[][];
}

/** Rows for the whole network; ids derive from the seed so that a re-run is a no-op. */
export function networkRows(seed: number, now: string): NetworkRows {
  const organisations: OrganisationsTable[] = [];
  const agreements: AgreementsTable[] = [];
  const actors: ActorsTable[] = [];
  const organisationIds: Record<string, string> = {};
  const counsellorsByAgency: string[][] = [[], [], []];
  for (const spec of NETWORK) {
    const id = deterministicUuid(seed, 'organisation', spec.key);
    organisationIds[spec.key] = id;
    organisations.push({
      id,
      kind: spec.kind,
      name: spec.name,
      siret: spec.siret,
      departement: '33',
      security_posture: JSON.stringify({
        mfa: 'required',
        passkeyOnly: spec.kind === 'subcontractor',
        // Four months before the seeding: the simulator replays the ten weeks before it, all after the audit.
        lastAudit: daysBefore(now, 120),
        networks: DEMO_NETWORKS,
        emailDomains: [DEMO_STAFF_EMAIL_DOMAIN],
      }),
      status: 'active',
      created_at: now,
    });
    agreements.push({
      id: deterministicUuid(seed, 'agreement', spec.key),
      organisation_id: id,
      reference: spec.agreement.reference,
      version: 1,
      legal_basis: spec.agreement.legalBasis,
      purposes: JSON.stringify(spec.agreement.purposes),
      dpo_contact: 'dpo@rempart.example',
      security_contact: `securite.${spec.key}@rempart.example`,
      valid_from: '2026-01-01',
      valid_until: '2028-12-31',
      status: 'active',
      created_at: now,
    });
    for (const member of spec.staff) {
      const actorId = deterministicUuid(seed, 'actor', member.login);
      actors.push({
        id: actorId,
        organisation_id: id,
        kind: 'human',
        login: member.login,
        display_name: member.displayName,
        roles: JSON.stringify(member.roles),
        status: 'active',
        created_at: now,
      });
      const agencyIndex = ['agency-bastide', 'agency-merignac', 'agency-libourne'].indexOf(spec.key);
      if (agencyIndex >= 0 && member.roles.includes('counsellor')) counsellorsByAgency[agencyIndex]!.push(actorId);
    }
  }
  return { organisations, agreements, actors, organisationIds, counsellorsByAgency };
}
