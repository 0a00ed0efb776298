import type { FieldClass } from '../domain/index.ts';

/**
 * The risk to one person of what an incident exposed of them, by readable rules (GDPR Art. 34:
 * a high risk to their rights and freedoms calls for telling them individually). Each rule names
 * the classes it looks at, the level it sets, and why, in the words the notice and the CNIL draft
 * use. The person's level is the highest of the rules that apply; the rules that applied are kept
 * with the exposure, so an assessment always says why.
 */

export type RiskLevel = 'high' | 'medium' | 'low';

/** Harms a notice explains, with what to do against each. */
export type Harm = 'payment_redirection' | 'identity_theft' | 'phishing' | 'discrimination' | 'scam';

export interface RiskRule {
  id: string;
  level: RiskLevel;
  /** In French, for the register, the CNIL draft and the documentation. */
  condition: string;
  reason: string;
  harms: readonly Harm[];
  applies(classes: ReadonlySet<FieldClass>): boolean;
}

const has = (c: FieldClass) => (classes: ReadonlySet<FieldClass>) => classes.has(c);

export const RISK_RULES: readonly RiskRule[] = [
  {
    id: 'bank',
    level: 'high',
    condition: 'coordonnées bancaires',
    reason:
      'Les coordonnées bancaires permettent des prélèvements frauduleux et, avec l’identité, de demander le versement des allocations sur un autre compte.',
    harms: ['payment_redirection', 'scam'],
    applies: has('bank'),
  },
  {
    id: 'nir_with_identity',
    level: 'high',
    condition: 'numéro de sécurité sociale avec l’identité ou les coordonnées',
    reason:
      'Le numéro de sécurité sociale associé au nom ou aux coordonnées sert à usurper l’identité et à prendre la main sur des comptes (France Travail, Ameli, impôts) pour détourner des prestations.',
    harms: ['identity_theft', 'payment_redirection', 'phishing'],
    applies: (c) => c.has('nir') && (c.has('identity') || c.has('contact')),
  },
  {
    id: 'id_document_with_identity',
    level: 'high',
    condition: 'numéro de pièce d’identité avec l’identité',
    reason:
      'Le numéro d’une pièce d’identité associé au nom sert à ouvrir des comptes ou des crédits au nom de la personne.',
    harms: ['identity_theft'],
    applies: (c) => c.has('id_document') && c.has('identity'),
  },
  {
    id: 'health',
    level: 'high',
    condition: 'données de santé (RQTH, restrictions)',
    reason:
      'Donnée de santé, catégorie particulière (RGPD art. 9) : sa divulgation expose à des discriminations, à l’embauche notamment.',
    harms: ['discrimination'],
    applies: has('health'),
  },
  {
    id: 'judicial',
    level: 'high',
    condition: 'mesures de justice',
    reason:
      'Donnée relative à des mesures de justice (RGPD art. 10) : sa divulgation expose à des discriminations et atteint gravement la vie privée.',
    harms: ['discrimination'],
    applies: has('judicial'),
  },
  {
    id: 'nir_alone',
    level: 'medium',
    condition: 'numéro de sécurité sociale seul',
    reason: 'Le numéro de sécurité sociale, même seul, peut être rapproché d’autres fuites pour usurper l’identité.',
    harms: ['identity_theft'],
    applies: has('nir'),
  },
  {
    id: 'contact_with_identity',
    level: 'medium',
    condition: 'identité avec coordonnées',
    reason:
      'Le nom avec l’adresse électronique, le téléphone ou l’adresse postale permet des messages frauduleux crédibles au nom de France Travail (hameçonnage).',
    harms: ['phishing', 'scam'],
    applies: (c) => c.has('identity') && c.has('contact'),
  },
  {
    id: 'situation_with_identity',
    level: 'medium',
    condition: 'identité avec la situation de demandeur d’emploi (inscription, accompagnement, indemnisation)',
    reason:
      'Savoir qu’une personne nommée cherche un emploi ou reçoit des allocations rend crédibles de fausses offres d’emploi ou de faux conseillers.',
    harms: ['scam', 'phishing'],
    applies: (c) => c.has('identity') && (c.has('registration') || c.has('follow_up') || c.has('benefits')),
  },
  {
    id: 'other',
    level: 'low',
    condition: 'autres données, sans identifiant sensible',
    reason: 'Les données exposées ne permettent pas, seules, d’usurper l’identité ni de détourner des paiements.',
    harms: ['phishing'],
    applies: () => true,
  },
];

const ORDER: Record<RiskLevel, number> = { low: 0, medium: 1, high: 2 };

export interface Assessment {
  level: RiskLevel;
  /** Rule ids that applied, the deciding ones first. */
  rules: string[];
  harms: Harm[];
}

export function assessRisk(classes: Iterable<FieldClass>): Assessment {
  const set = new Set(classes);
  const applied = RISK_RULES.filter((r) => r.applies(set));
  // 'other' only speaks when nothing more specific did.
  const specific = applied.filter((r) => r.id !== 'other');
  const rules = (specific.length ? specific : applied).sort((a, b) => ORDER[b.level] - ORDER[a.level]);
  const level = rules.reduce<RiskLevel>((max, r) => (ORDER[r.level] > ORDER[max] ? r.level : max), 'low');
  const harms = [...new Set(rules.flatMap((r) => r.harms))];
  return { level, rules: rules.map((r) => r.id), harms };
}

export const RISK_LABELS_FR: Record<RiskLevel, string> = { high: 'élevé', medium: 'modéré', low: 'faible' };

/** What each harm is and what the person can do, in plain words (the notices and the CNIL draft). */
export const HARMS_FR: Record<Harm, { risk: string; advice: string }> = {
  payment_redirection: {
    risk: 'Quelqu’un pourrait tenter de faire verser vos allocations sur un autre compte bancaire.',
    advice:
      'Vos coordonnées bancaires sont placées sous surveillance : tout changement sera vérifié par un conseiller avant de prendre effet. Si vous recevez un avis de changement que vous n’avez pas demandé, bloquez-le avec le code qu’il contient ou appelez le 3949.',
  },
  identity_theft: {
    risk: 'Vos informations pourraient servir à se faire passer pour vous (ouverture de comptes, demandes de prestations ou de crédits).',
    advice:
      'Surveillez vos comptes (banque, Ameli, impôts) et vos courriers ; en cas de démarche que vous n’avez pas faite, portez plainte et signalez-la à l’organisme concerné.',
  },
  phishing: {
    risk: 'Vous pourriez recevoir des courriels, SMS ou appels frauduleux se présentant comme France Travail.',
    advice:
      'France Travail ne vous demande jamais votre mot de passe, vos codes de connexion ni vos coordonnées bancaires par courriel, SMS ou téléphone. Ne cliquez pas sur les liens des messages inattendus : connectez-vous vous-même à votre espace personnel.',
  },
  scam: {
    risk: 'Des escrocs pourraient vous proposer de fausses offres d’emploi ou de formation, ou se faire passer pour votre conseiller.',
    advice:
      'Méfiez-vous des offres qui demandent un paiement ou des documents personnels ; en cas de doute, vérifiez auprès de votre conseiller habituel.',
  },
  discrimination: {
    risk: 'Des informations sensibles vous concernant (santé ou situation judiciaire) pourraient être divulguées.',
    advice:
      'Vous pouvez demander conseil à notre délégué à la protection des données et saisir la CNIL si vous constatez un usage de ces informations.',
  },
};
