import { FIELD_CLASS_LABELS_FR, frenchDay, type FieldClass, type PersonFile } from '../domain/index.ts';
import type { Letter } from './pdf.ts';
import { assessRisk, HARMS_FR } from './risk.ts';

/** What an Art. 34 notice says, in plain French: what happened, what was seen, the risks, what to do, whom to ask. */
export interface NoticeFacts {
  reference: string;
  controller: string;
  dpoContact: string;
  /** The period the data was seen in, as French dates. */
  period: string;
  classes: FieldClass[];
  /** Measures already taken, one sentence each. */
  measures: string[];
  /** The date the notice is written (the plan's), in French. */
  date: string;
}

/** « 1er mars 2026 », « 14 mars 2026 » (the day in Paris). */
export const frenchDate = (iso: string) => frenchDay(iso);

/** « Madame Anne Martin », from the file's identity (usage name first). */
export function addressee(identity: PersonFile['identity']): string {
  if (!identity) return 'Madame, Monsieur';
  const civility = identity.sex === 'F' ? 'Madame' : 'Monsieur';
  return `${civility} ${identity.firstNames[0] ?? ''} ${(identity.usageName ?? identity.lastName).toUpperCase()}`
    .replace(/\s+/g, ' ')
    .trim();
}

/** The postal block, or undefined when the file has no address. */
export function postalBlock(identity: PersonFile['identity'], contact: PersonFile['contact']): string[] | undefined {
  const a = contact?.address;
  if (!a) return undefined;
  return [addressee(identity), a.line1, ...(a.line2 ? [a.line2] : []), `${a.postalCode} ${a.commune.toUpperCase()}`];
}

function paragraphs(facts: NoticeFacts, greeting: string): string[] {
  const assessment = assessRisk(facts.classes);
  const seen = facts.classes.map((c) => `– ${FIELD_CLASS_LABELS_FR[c]}`);
  const harms = assessment.harms.map((h) => HARMS_FR[h]);
  return [
    `${greeting},`,
    `Nous vous informons qu’un accès illégitime à des données personnelles vous concernant a eu lieu entre le ${facts.period}. Un compte utilisé par une personne non autorisée a consulté votre dossier de demandeur d’emploi. Nous vous écrivons parce que la loi (article 34 du RGPD) nous demande de vous prévenir et parce que vous pouvez vous protéger.`,
    '## Ce qui a été vu',
    ...seen,
    'Votre mot de passe et vos codes de connexion n’ont pas été vus : ils ne sont pas conservés en clair.',
    '## Ce que cela peut entraîner',
    ...harms.map((h) => `– ${h.risk}`),
    '## Ce que vous pouvez faire',
    ...harms.map((h) => `– ${h.advice}`),
    '– Dans votre espace personnel, la rubrique « Qui a consulté mon dossier » montre chaque consultation de votre dossier ; signalez-nous tout accès qui vous paraît anormal.',
    '## Ce que nous avons fait',
    ...facts.measures.map((m) => `– ${m}`),
    `## Pour toute question`,
    `Contactez notre délégué à la protection des données : ${facts.dpoContact}, en citant la référence ${facts.reference}. Vous pouvez aussi adresser une réclamation à la CNIL (www.cnil.fr).`,
  ];
}

export function noticeEmail(facts: NoticeFacts, identity: PersonFile['identity']): { subject: string; body: string } {
  const subject = `Information importante sur vos données personnelles (réf. ${facts.reference})`;
  const body = [
    ...paragraphs(facts, `Bonjour ${addressee(identity)}`).map((p) => (p.startsWith('## ') ? `\n${p.slice(3)}` : p)),
    '',
    'Ce message ne contient aucun lien : pour consulter votre dossier, connectez-vous vous-même à votre espace personnel.',
    `${facts.controller}`,
  ].join('\n');
  return { subject, body };
}

export function noticeLetter(facts: NoticeFacts, identity: PersonFile['identity'], address: string[]): Letter {
  return {
    address,
    place: 'Paris',
    date: facts.date,
    reference: facts.reference,
    subject: 'Information sur un accès illégitime à vos données personnelles',
    paragraphs: paragraphs(facts, addressee(identity)),
    signature: ['Le délégué à la protection des données', facts.controller],
  };
}
