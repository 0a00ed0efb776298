/**
 * `npm run matrix`: writes docs/access-matrix.md, the access matrix of the demo network, from
 * the agreements in src/seed/network.ts, and beside it the platform's own rules from
 * src/policy/abilities.ts. A unit test (test/unit/policy-access-matrix-doc.test.ts)
 * regenerates it in memory and fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FIELD_CLASS_LABELS_FR, FIELD_CLASSES, type FieldClass } from '../src/domain/field-classes.ts';
import { ORGANISATION_KINDS, PLATFORM_KINDS } from '../src/domain/organisations.ts';
import {
  ABILITIES,
  ATTESTATION_VALIDITY_DAYS,
  AUDIT_VALIDITY_DAYS,
  DENIAL_REASONS,
  DEROGATION_MAX_DAYS,
  GATE_REQUIREMENTS,
  GRANTABLE_ROLES,
  type AbilitySubject,
  type AbilityVerb,
  type DenialReason,
  type GateRequirement,
  type PurposeRule,
  type Relationship,
  type Within,
} from '../src/policy/index.ts';
import { NETWORK } from '../src/seed/network.ts';

export const ACCESS_MATRIX_PATH = fileURLToPath(new URL('../docs/access-matrix.md', import.meta.url));

const RELATIONSHIP_TEXT: Record<Relationship, string> = {
  caseload: 'portefeuille du conseiller / the counsellor’s own caseload',
  agency: 'suivi par l’agence / followed by the agent’s agency',
  referral: 'orientation active vers l’organisme / active referral to the organisation',
  verified_caller: 'appelant vérifié (15 min) / caller verified in the last 15 minutes',
  held_bank_change: 'changement de RIB retenu pour vérification / a bank change held for verification',
  employment:
    'salarié de l’employeur, nommé par NIR et date de naissance ou déjà attesté / employee of the employer, named by NIR and birth date or already certified',
  mandate:
    'mandat de la personne à cet aidant, confirmé par elle, en cours, pour cette démarche / the person’s confirmed mandate to this aidant, in force, for this step',
};

const DENIAL_TEXT: Record<DenialReason, string> = {
  purpose_missing: 'Finalité non déclarée / no purpose declared',
  case_reference_missing: 'Référence de dossier absente ou invalide / case reference missing or malformed',
  purpose_unknown:
    'Finalité absente des conventions de l’organisme / purpose not in any of the organisation’s agreements',
  actor_inactive: 'Compte suspendu ou désactivé / account not active',
  actor_other_organisation: 'Agit pour un autre organisme / acting for another organisation',
  organisation_suspended: 'Organisme suspendu / organisation suspended',
  agreement_expired: 'Aucune convention en vigueur pour cette finalité / no agreement in force for this purpose',
  role_not_allowed: 'Rôle non habilité pour cette finalité / role not allowed for this purpose',
  posture_non_compliant: 'Posture de sécurité non conforme / security posture not compliant',
  person_out_of_scope: 'Personne hors périmètre (pas de lien requis) / person outside scope (no required relationship)',
  condition_not_met: 'Condition de la finalité non remplie (âge) / purpose condition not met (age)',
  operation_not_granted: 'Opération (lecture/écriture) non accordée / operation not granted',
  field_class_not_granted: 'Classe de données non accordée / field class not granted',
  processing_restricted:
    'Traitement limité à la demande de la personne (RGPD art. 18), hors finalité de défense de droits en justice / processing restricted at the person’s request (GDPR Art. 18), but for a legal-claims purpose',
};

const GATE_TEXT: Record<GateRequirement, string> = {
  mfa_enforced: 'Second facteur imposé à tous les comptes / second factor enforced for every account',
  agreement_valid: 'Convention signée et en vigueur / agreement signed and in force',
  security_contact: 'Contact sécurité nommé (adresse électronique) / named security contact (e-mail address)',
  network_ranges:
    'Plages réseau autorisées déclarées, et la requête en provient / allowed network ranges declared, and the request comes from one',
  security_audit: `Dernier audit de sécurité de moins de ${AUDIT_VALIDITY_DAYS} jours / last security audit less than ${AUDIT_VALIDITY_DAYS} days old`,
  dpia_measures_implemented:
    'Chaque mesure de l’AIPD de chaque traitement de la convention mise en œuvre, avec sa preuve / every measure of the DPIA of each processing of the agreement implemented, with its evidence',
  security_baseline_attested: `Socle de sécurité attesté (second facteur, habilitations limitées, journaux qui détectent les anomalies) depuis moins de ${ATTESTATION_VALIDITY_DAYS} jours / security baseline attested (second factor, scoped authorisations, logs that detect anomalies) less than ${ATTESTATION_VALIDITY_DAYS} days ago`,
};

const ABILITY_TEXT: { [S in AbilitySubject]: Record<AbilityVerb<S>, string> } = {
  desk: {
    read: 'Consulter le bureau de sécurité (alertes, confinements, posture, incidents, exports, accès signalés) / read the security desk (alerts, containments, posture, incidents, exports, reported accesses)',
    act_on:
      'Agir au bureau (lever un confinement, posture et dérogations, vérifier le journal, conduire un incident) / act on the desk (release a containment, posture and derogations, verify the ledger, run an incident)',
  },
  break_glass: {
    review:
      'Juger un accès d’urgence (bris de glace) justifié ou abusif, et en être averti aussitôt / review a break-glass access as justified or abusive, and hear of it at once',
  },
  incident_step: {
    request:
      'Demander ce qu’un seul compte ne fait pas seul sur un incident (déclaration multi-organismes, avis aux personnes, document nominatif, remédiation destructive) / ask for what one account does not do alone on an incident (multi-organisation declaration, notices, a document naming people, destructive remediation)',
    decide:
      'Approuver ou refuser la demande d’un autre membre du bureau, jamais la sienne / approve or refuse another desk member’s request, never one’s own',
  },
  export: {
    request: 'Demander un export en masse pour un partenaire / ask for a bulk export for a partner',
    decide:
      'Approuver l’export demandé par un autre (jamais le sien), ou refuser un export / approve an export another asked for (never one’s own), or refuse one',
  },
  security_alerts: {
    receive:
      'Recevoir aussitôt par courriel les alertes et confinements de la garde, et les changements de coordonnées bancaires contestés ou sans suivi / receive at once by mail the guard’s alerts and containments, and contested or unfollowed bank-detail changes',
  },
  rights_requests: {
    record:
      'Enregistrer une demande d’exercice des droits reçue à l’accueil, par courrier, par téléphone ou d’un mandataire / record a rights request received at a desk, by letter, by phone or from a mandated person',
    work: 'Traiter les demandes d’exercice des droits (identité, prolongation, réponse, clôture) / work the rights requests (identity, extension, answer, closing)',
  },
  paper_letters: {
    handle:
      'Tenir le service courrier : imprimer les courriers (adresse lue et inscrite au journal de la personne), les marquer « posté » ou « revenu » avec le motif / run the mail room: print the letters (the address read and recorded in the person’s journal), mark them posted or returned with the reason',
  },
  persons: {
    register:
      'Inscrire une personne à l’accueil ou saisir son formulaire papier signé (consentement enregistré, récépissé remis ou posté) / register a person at the desk or key in their signed paper form (consent recorded, receipt handed over or posted)',
  },
  registration_duplicates: {
    review:
      'Examiner une inscription retenue comme doublon possible (NIR, ou nom et date de naissance) : la comparer aux dossiers trouvés (chaque lecture inscrite à leur journal) et décider « même personne » ou « personnes différentes » / review a registration held as a possible duplicate: compare it with the matched files (each read recorded in their journal) and decide « same person » or « different persons »',
  },
  mandate_revocation_letters: {
    record:
      'Enregistrer le courrier par lequel une personne retire un mandat donné à un aidant France Services (décidé pour la personne, inscrit à son journal) / record the letter by which a person withdraws a mandate given to a France Services aidant (decided for the person, in their journal)',
  },
  correspondence_preference: {
    record:
      'Enregistrer, à la demande d’une personne, le courrier papier pour toute sa correspondance / record, at a person’s request, paper for all their correspondence',
  },
  person_data: {
    rectify:
      'Rectifier des données d’une personne en réponse à sa demande, et lire la valeur remplacée (inscrit à son journal) / rectify a person’s data answering their request, and read the replaced value (in their journal)',
  },
  rectification_notices: {
    acknowledge:
      'Voir les rectifications des données que son organisme a consultées, et indiquer ses copies corrigées (RGPD art. 19) / see the rectifications of data one’s organisation read, and say its copies are corrected (GDPR Art. 19)',
  },
  processing: {
    restrict:
      'Limiter le traitement de classes de données d’une personne (RGPD art. 18), et lever la limitation / restrict the processing of a person’s field classes (GDPR Art. 18), and lift it',
  },
  retention: {
    manage:
      'Mettre en vigueur les règles de conservation, geler un dossier pour contentieux et lever le gel / put retention rules in force, set and lift a litigation hold on a file',
  },
  rights_request_alerts: {
    receive:
      'Être averti par courriel des demandes d’exercice des droits en retard / hear by mail of overdue rights requests',
  },
  checkpoint: { issue: 'Signer un point de contrôle du journal maintenant / sign a ledger checkpoint now' },
  accounts: {
    administer:
      'Demander et approuver, à quatre yeux, les changements de comptes de son organisme / request and approve, four eyes, changes to the accounts of one’s own organisation',
  },
  person_files: {
    load: 'Charger des dossiers par l’API de l’agence, hors conventions (jeton d’API) / load files through the agency API, outside the agreements (API token)',
  },
};

const WITHIN_TEXT: Record<Within, string> = {
  platform: `organismes de la plateforme / platform organisations (${PLATFORM_KINDS.map((k) => `\`${k}\``).join(', ')})`,
  any: 'tout organisme / any organisation',
};

function abilityText(verb: string, subject: AbilitySubject): string {
  return (ABILITY_TEXT[subject] as Record<string, string>)[verb]!;
}

function classes(list: readonly FieldClass[]): string {
  return list.length === 0 ? '—' : list.map((c) => `\`${c}\``).join(', ');
}

function retention(days: number): string {
  return days % 365 === 0
    ? `${days / 365} an${days / 365 > 1 ? 's' : ''} / ${days / 365} year${days / 365 > 1 ? 's' : ''}`
    : `${days} jours / days`;
}

function conditions(rule: PurposeRule): string {
  const parts: string[] = [];
  if (rule.conditions?.maxAge !== undefined)
    parts.push(`âge ≤ ${rule.conditions.maxAge} ans / age ≤ ${rule.conditions.maxAge}`);
  return parts.length ? parts.join('; ') : '—';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** Roles of an organisation: those its staff hold and those its purposes name, in a stable order. */
function rolesOf(spec: (typeof NETWORK)[number]): string[] {
  const roles = new Set<string>();
  for (const rule of spec.agreement.purposes) for (const role of rule.roles) roles.add(role);
  for (const member of spec.staff) for (const role of member.roles) roles.add(role);
  return [...roles];
}

/** The document, from the agreements alone: same agreements, same bytes. */
export function renderAccessMatrix(): string {
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);
  push(
    '# Matrice d’accès / Access matrix',
    '',
    '<!-- Generated by scripts/access-matrix.ts from src/seed/network.ts and src/policy/abilities.ts: do not edit by hand, run `npm run matrix`. -->',
    '',
    'Qui peut lire ou écrire quelles classes de données, pour quelle finalité, sur quelles personnes, dans le réseau de démonstration (Gironde). Généré à partir des conventions par défaut (`src/seed/network.ts`) ; un test unitaire échoue si ce document n’est plus à jour.',
    '',
    'Who may read or write which field classes, for which purpose, about whom, in the demo network (Gironde). Generated from the default agreements (`src/seed/network.ts`); a unit test fails when this document is stale.',
    '',
    'Tout est refusé par défaut / everything is denied by default: un accès n’est accordé que si le compte est actif, agit pour son propre organisme, qui est actif, déclare une finalité et une référence de dossier, que la finalité figure dans une convention en vigueur, que le rôle est habilité, que la posture de sécurité est conforme, que la personne est dans le périmètre (lien requis) et que les classes demandées sont accordées. Seules ces classes sont déchiffrées.',
    '',
    '## Vue d’ensemble / Overview',
    '',
    'L = lecture / read, E = écriture / write, — = aucun accès / no access. Rôles sans finalité omis / roles without a purpose omitted.',
    '',
  );
  push(
    `| Organisme / organisation | Rôle / role | Finalité / purpose | ${FIELD_CLASSES.map((c) => `\`${c}\``).join(' | ')} |`,
  );
  push(`|---|---|---|${FIELD_CLASSES.map(() => ':-:').join('|')}|`);
  for (const spec of NETWORK) {
    for (const rule of spec.agreement.purposes) {
      for (const role of rule.roles) {
        const marks = FIELD_CLASSES.map(
          (c) => (rule.read.includes(c) ? 'L' : '') + (rule.write.includes(c) ? 'E' : '') || '—',
        );
        push(`| ${cell(spec.name)} (\`${spec.kind}\`) | \`${role}\` | \`${rule.purpose}\` | ${marks.join(' | ')} |`);
      }
    }
  }
  push('', '## Par organisme et par rôle / By organisation and role', '');
  for (const spec of NETWORK) {
    push(`### ${spec.name} — \`${spec.kind}\``, '');
    push(`- Convention / agreement: \`${spec.agreement.reference}\``);
    push(`- Base légale / legal basis: ${spec.agreement.legalBasis}`);
    push('');
    for (const role of rolesOf(spec)) {
      const rules = spec.agreement.purposes.filter((p) => p.roles.includes(role));
      push(`#### Rôle / role \`${role}\``, '');
      if (rules.length === 0) {
        push(
          'Aucune finalité : aucun accès aux dossiers des personnes. / No purpose: no access to any person’s file.',
          '',
        );
        continue;
      }
      push(
        '| Finalité / purpose | Lien requis / relationship required | Lecture / readable | Écriture / writable | Plafond quotidien / daily ceiling | Conservation / retention | Conditions | Base légale / legal basis |',
      );
      push('|---|---|---|---|--:|---|---|---|');
      for (const rule of rules) {
        push(
          `| \`${rule.purpose}\` — ${cell(rule.label)} | ${RELATIONSHIP_TEXT[rule.relationship]} | ${classes(rule.read)} | ${classes(rule.write)} | ${rule.dailyCeiling} personnes / persons | ${retention(rule.retentionDays)} | ${conditions(rule)} | ${cell(spec.agreement.legalBasis)} |`,
        );
      }
      push('');
    }
  }
  push('## Règles propres à la plateforme / The platform’s own rules', '');
  push(
    'Ce que les rôles permettent hors des dossiers des personnes : le bureau de sécurité, le journal, l’administration des comptes. Généré à partir de `src/policy/abilities.ts` ; tout ce qui n’y figure pas est refusé. / What roles allow outside the persons’ files: the security desk, the ledger, account administration. Generated from `src/policy/abilities.ts`; anything not listed is refused.',
    '',
    '| Rôles / roles | Peut / may | Organisme / organisation | Action |',
    '|---|---|---|---|',
  );
  for (const row of ABILITIES)
    push(
      `| ${row.roles.map((r) => `\`${r}\``).join(', ')} | ${cell(abilityText(row.verb, row.subject))} | ${WITHIN_TEXT[row.within]} | \`${row.verb}\` \`${row.subject}\` |`,
    );
  push('', '### Rôles attribuables / Grantable roles', '');
  push(
    'Les rôles que les administrateurs des comptes d’un organisme peuvent attribuer, selon son type ; les rôles de la plateforme ne s’attribuent jamais ainsi. / The roles an organisation’s account administrators may grant, by its kind; the platform’s roles are never granted this way.',
    '',
    '| Type d’organisme / organisation kind | Rôles attribuables / grantable roles |',
    '|---|---|',
  );
  for (const kind of ORGANISATION_KINDS)
    push(`| \`${kind}\` | ${GRANTABLE_ROLES[kind].map((r) => `\`${r}\``).join(', ')} |`);
  push('', '## Classes de données / Field classes', '', '| Classe / class | Libellé |', '|---|---|');
  for (const c of FIELD_CLASSES) push(`| \`${c}\` | ${FIELD_CLASS_LABELS_FR[c]} |`);
  push('', '## Porte de sécurité des partenaires / Partner security gate', '');
  push(
    `Aucun accès tant que la posture de l’organisme n’est pas conforme ; une dérogation couvre une seule exigence, pour ${DEROGATION_MAX_DAYS} jours au plus, et expire d’elle-même. / No access until the organisation’s posture is compliant; a derogation covers one requirement, for at most ${DEROGATION_MAX_DAYS} days, and lapses by itself.`,
    '',
    '| Exigence / requirement | |',
    '|---|---|',
  );
  for (const r of GATE_REQUIREMENTS) push(`| \`${r}\` | ${GATE_TEXT[r]} |`);
  push('', '## Motifs de refus / Denial reasons', '');
  push(
    'Chaque refus est enregistré comme un événement et ne révèle pas si la personne existe. / Every denial is recorded as an event and reveals nothing about whether the person exists.',
    '',
  );
  push('| Code | HTTP | Signification / meaning |', '|---|--:|---|');
  for (const [reason, status] of Object.entries(DENIAL_REASONS) as Array<[DenialReason, number]>)
    push(`| \`${reason}\` | ${status} | ${DENIAL_TEXT[reason]} |`);
  push('');
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(ACCESS_MATRIX_PATH, renderAccessMatrix());
  console.log(`wrote ${ACCESS_MATRIX_PATH}`);
}
