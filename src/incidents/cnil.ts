import { FIELD_CLASS_LABELS_FR, FIELD_CLASSES, frenchInstant, isSensitive, type FieldClass } from '../domain/index.ts';
import type { BlastRadius, Compromised, NotificationClock, ScopeSummary, Totals } from './model.ts';
import { VECTOR_LABELS_FR, type Vector } from './model.ts';
import type { Section } from './pdf.ts';
import { HARMS_FR, RISK_RULES, type Harm } from './risk.ts';

/**
 * The notification to the CNIL (GDPR Art. 33(3)), drafted with what the article and the CNIL's
 * online form ask: nature of the breach, categories and approximate numbers of persons and
 * records, the DPO's contact, likely consequences, measures taken and proposed, whether the
 * persons are told, the timeline, and whether the notification is initial or complementary.
 * Built from the incident record alone, so the same record gives the same draft.
 */
export interface CnilDraft {
  format: 'rempart-cnil-notification/1';
  notification: { kind: 'initiale' | 'complémentaire'; version: number; cnilReference: string | null; asOf: string };
  controller: { name: string; dpo: string };
  incident: {
    reference: string;
    title: string;
    vector: string;
    description: string;
    awareAt: string;
    window: { from: string; to: string };
    ongoing: boolean;
    nature: string[];
    compromised: { actors: number; organisations: number; clients: number; sessions: number };
  };
  deadline: NotificationClock & { delayReason: string | null };
  persons: {
    exact: number;
    approximate: string;
    categories: string[];
    decoysRead: number;
    alsoInOtherIncidents: number;
  };
  records: { accessEvents: number };
  data: {
    categories: Array<{ class: FieldClass; label: string; persons: number; special: boolean }>;
    specialCategories: Totals['special'];
  };
  consequences: {
    likely: string[];
    severity: string;
    byRisk: BlastRadius['totals']['byRisk'];
    rules: Array<{ id: string; level: string; condition: string }>;
  };
  measures: { taken: string[]; proposed: string[] };
  informationOfPersons: { required: boolean; persons: number; channels: string[]; status: string };
  evidence: { ledgerSize: number; checkpoint: BlastRadius['ledger']['checkpoint']; method: string };
  timeline: Array<{ at: string; step: string }>;
  crossBorder: false;
}

export interface DraftInput {
  version: number;
  asOf: string;
  controller: string;
  dpo: string;
  incident: {
    reference: string;
    title: string;
    vector: string;
    description: string;
    awareAt: string;
    windowFrom: string;
    windowTo: string;
    status: string;
    compromised: Compromised;
    cnilReference: string | null;
  };
  clock: NotificationClock;
  scope: ScopeSummary;
  harms: Harm[];
  measuresTaken: string[];
  notices: { planned: number; sent: number; printed: number };
  timeline: Array<{ at: string; step: string }>;
}

/** « environ 12 000 » as the form asks for an order of magnitude, the exact figure beside it. */
function approximately(n: number): string {
  if (n < 100) return String(n);
  const magnitude = 10 ** (String(n).length - 2);
  return `environ ${(Math.round(n / magnitude) * magnitude).toLocaleString('fr-FR')}`;
}

export function buildCnilDraft(d: DraftInput): CnilDraft {
  const t = d.scope.totals;
  const late = d.clock.late && !d.clock.filed;
  const categories = FIELD_CLASSES.filter((c) => (t.byClass[c] ?? 0) > 0).map((c) => ({
    class: c,
    label: FIELD_CLASS_LABELS_FR[c],
    persons: t.byClass[c]!,
    special: isSensitive(c),
  }));
  const required = t.byRisk.high > 0;
  return {
    format: 'rempart-cnil-notification/1',
    notification: {
      kind: d.incident.cnilReference ? 'complémentaire' : 'initiale',
      version: d.version,
      cnilReference: d.incident.cnilReference,
      asOf: d.asOf,
    },
    controller: { name: d.controller, dpo: d.dpo },
    incident: {
      reference: d.incident.reference,
      title: d.incident.title,
      vector: VECTOR_LABELS_FR[d.incident.vector as Vector] ?? d.incident.vector,
      description: d.incident.description,
      awareAt: d.incident.awareAt,
      window: { from: d.incident.windowFrom, to: d.incident.windowTo },
      ongoing: d.incident.status === 'open' && d.measuresTaken.length === 0,
      nature: ['violation de la confidentialité (accès et consultation non autorisés)'],
      compromised: {
        actors: d.incident.compromised.actors.length,
        organisations: d.incident.compromised.organisations.length,
        clients: d.incident.compromised.clients.length,
        sessions: d.incident.compromised.sessions.length,
      },
    },
    deadline: { ...d.clock, delayReason: late ? 'À compléter : motifs du retard (RGPD art. 33, paragraphe 1).' : null },
    persons: {
      exact: t.persons,
      approximate: approximately(t.persons),
      categories: ['demandeurs d’emploi inscrits'],
      decoysRead: t.decoys,
      alsoInOtherIncidents: t.alsoInOtherIncidents,
    },
    records: { accessEvents: d.scope.events },
    data: { categories, specialCategories: t.special },
    consequences: {
      likely: d.harms.map((h) => HARMS_FR[h].risk),
      severity: required
        ? 'élevée : information individuelle des personnes requise (RGPD art. 34)'
        : t.byRisk.medium > 0
          ? 'modérée'
          : 'faible',
      byRisk: t.byRisk,
      rules: RISK_RULES.map((r) => ({ id: r.id, level: r.level, condition: r.condition })),
    },
    measures: {
      taken: d.measuresTaken,
      proposed: [
        'Information individuelle de chaque personne exposée (courriel et courrier postal).',
        'Vérification par un conseiller de tout changement de coordonnées bancaires des personnes exposées.',
        'Revue des habilitations et du second facteur des comptes de l’organisation concernée.',
      ],
    },
    informationOfPersons: {
      required,
      persons: t.persons,
      channels: ['courriel lorsque le dossier en comporte un', 'courrier postal pour toutes les personnes'],
      status:
        d.notices.planned === 0
          ? 'à lancer'
          : `${d.notices.sent} courriels envoyés, ${d.notices.printed} courriers imprimés sur ${d.notices.planned} avis prévus`,
    },
    evidence: {
      ledgerSize: d.scope.ledger.size,
      checkpoint: d.scope.ledger.checkpoint,
      method:
        'Périmètre établi à partir du journal des accès de Rempart (arbre de Merkle RFC 9162, points de contrôle signés) : événements access_granted des identités compromises dans la fenêtre, leurres exclus.',
    },
    timeline: d.timeline,
    crossBorder: false,
  };
}

/** The draft as the PDF shows it, section by section in the order of the CNIL's form. */
export function cnilSections(draft: CnilDraft): Section[] {
  const n = (x: number) => x.toLocaleString('fr-FR');
  return [
    {
      heading: '1. Notification',
      lines: [
        ['Nature', `notification ${draft.notification.kind} (version ${draft.notification.version})`],
        ['Référence CNIL', draft.notification.cnilReference ?? 'à attribuer par la CNIL'],
        ['État au', frenchInstant(draft.notification.asOf)],
        ['Délai de 72 heures', `${draft.deadline.label} (échéance : ${frenchInstant(draft.deadline.deadline)})`],
        ...(draft.deadline.delayReason
          ? ([['Motifs du retard', draft.deadline.delayReason]] as Array<[string, string]>)
          : []),
      ],
    },
    {
      heading: '2. Responsable du traitement',
      lines: [
        ['Organisme', draft.controller.name],
        ['Délégué à la protection des données', draft.controller.dpo],
      ],
    },
    {
      heading: '3. La violation',
      lines: [
        ['Référence interne', draft.incident.reference],
        ['Intitulé', draft.incident.title],
        ['Nature', draft.incident.nature.join(' ; ')],
        ['Origine', draft.incident.vector],
        ['Circonstances', draft.incident.description],
        ['Période', `du ${frenchInstant(draft.incident.window.from)} au ${frenchInstant(draft.incident.window.to)}`],
        ['Prise de connaissance', frenchInstant(draft.incident.awareAt)],
        [
          'Identités compromises',
          `${draft.incident.compromised.actors} compte(s), ${draft.incident.compromised.organisations} organisation(s), ${draft.incident.compromised.clients} système(s) partenaire(s), ${draft.incident.compromised.sessions} session(s)`,
        ],
      ],
    },
    {
      heading: '4. Personnes et données concernées',
      lines: [
        [
          'Personnes concernées',
          `${draft.persons.approximate} (exactement ${n(draft.persons.exact)}) ; ${draft.persons.categories.join(', ')}`,
        ],
        ['Enregistrements', `${n(draft.records.accessEvents)} consultations`],
        ...draft.data.categories.map((c): [string, string] => [
          c.label,
          `${n(c.persons)} personnes${c.special ? ' (donnée sensible)' : ''}`,
        ]),
        ['Dossiers leurres consultés', `${n(draft.persons.decoysRead)} (preuve de l’accès, personnes fictives)`],
        ['Déjà concernées par un autre incident', n(draft.persons.alsoInOtherIncidents)],
      ],
    },
    {
      heading: '5. Conséquences probables',
      lines: [
        ['Gravité', draft.consequences.severity],
        [
          'Répartition',
          `risque élevé : ${n(draft.consequences.byRisk.high)}, modéré : ${n(draft.consequences.byRisk.medium)}, faible : ${n(draft.consequences.byRisk.low)}`,
        ],
        ...draft.consequences.likely.map((c): [string, string] => ['', `– ${c}`]),
      ],
    },
    {
      heading: '6. Mesures prises',
      lines: draft.measures.taken.length
        ? draft.measures.taken.map((m): [string, string] => ['', `– ${m}`])
        : [['', 'aucune à ce jour']],
    },
    { heading: '7. Mesures envisagées', lines: draft.measures.proposed.map((m): [string, string] => ['', `– ${m}`]) },
    {
      heading: '8. Information des personnes',
      lines: [
        ['Requise (art. 34)', draft.informationOfPersons.required ? 'oui' : 'non'],
        ['Personnes', n(draft.informationOfPersons.persons)],
        ['Moyens', draft.informationOfPersons.channels.join(' ; ')],
        ['État', draft.informationOfPersons.status],
      ],
    },
    {
      heading: '9. Preuves',
      lines: [
        ['Méthode', draft.evidence.method],
        ['Taille du journal couverte', n(draft.evidence.ledgerSize)],
        [
          'Point de contrôle signé',
          draft.evidence.checkpoint
            ? `taille ${n(draft.evidence.checkpoint.size)}, racine ${draft.evidence.checkpoint.root}, ${frenchInstant(draft.evidence.checkpoint.at)}`
            : 'aucun',
        ],
      ],
    },
    { heading: '10. Chronologie', lines: draft.timeline.map((s): [string, string] => [frenchInstant(s.at), s.step]) },
  ];
}
