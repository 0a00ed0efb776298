import type { FieldClass } from '../../domain/index.ts';
import type { RightsRequestsTable } from '../../store/index.ts';

/**
 * Rights requests (GDPR Art. 12, 15–21): what a person may ask, how it reached us, how their
 * identity was checked, the states a request goes through and the reasons a refusal may give.
 * The words are the ones the person and the DPO read (French).
 */

export const RIGHTS_REQUEST_KINDS = ['access', 'rectification', 'erasure', 'restriction', 'objection'] as const;
export type RightsRequestKind = (typeof RIGHTS_REQUEST_KINDS)[number];

export const RIGHTS_REQUEST_KIND_LABELS: Record<RightsRequestKind, string> = {
  access: 'Droit d’accès (article 15)',
  rectification: 'Droit de rectification (article 16)',
  erasure: 'Droit à l’effacement (article 17)',
  restriction: 'Droit à la limitation du traitement (article 18)',
  objection: 'Droit d’opposition (article 21)',
};

export const RIGHTS_REQUEST_CHANNELS = ['espace', 'agency_desk', 'letter', 'phone', 'mandate'] as const;
export type RightsRequestChannel = (typeof RIGHTS_REQUEST_CHANNELS)[number];
/** The channels an agent records a request from (the espace files its own). */
export const RECORDED_CHANNELS = ['agency_desk', 'letter', 'phone', 'mandate'] as const;

export const RIGHTS_REQUEST_CHANNEL_LABELS: Record<RightsRequestChannel, string> = {
  espace: 'espace personnel',
  agency_desk: 'accueil d’une agence',
  letter: 'courrier',
  phone: 'téléphone',
  mandate: 'personne mandatée',
};

/** How the requester's identity was checked. A request filed from the person's own signed-in espace is checked by that session. */
export const VERIFICATION_METHODS = [
  'espace_session',
  'identity_document_seen',
  'identity_document_copy',
  'verified_caller',
  'mandate_checked',
] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];

export const VERIFICATION_METHOD_LABELS: Record<VerificationMethod, string> = {
  espace_session: 'connexion à son espace personnel',
  identity_document_seen: 'pièce d’identité présentée à un agent',
  identity_document_copy: 'copie d’une pièce d’identité jointe à la demande',
  verified_caller: 'identité vérifiée au téléphone (code envoyé sur un moyen de contact du dossier)',
  mandate_checked: 'mandat et pièces d’identité du mandant et du mandataire vérifiés',
};

export type RightsRequestStatus = RightsRequestsTable['status'];
export const RIGHTS_REQUEST_STATUSES = [
  'received',
  'identity_to_confirm',
  'in_progress',
  'extended',
  'answered',
  'closed',
] as const satisfies readonly RightsRequestStatus[];

export const RIGHTS_REQUEST_STATUS_LABELS: Record<RightsRequestStatus, string> = {
  received: 'reçue',
  identity_to_confirm: 'identité à confirmer',
  in_progress: 'en cours de traitement',
  extended: 'délai prolongé',
  answered: 'répondue',
  closed: 'close',
};

export const OUTCOMES = ['granted', 'partly_granted', 'refused'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const OUTCOME_LABELS: Record<Outcome, string> = {
  granted: 'demande satisfaite',
  partly_granted: 'demande satisfaite en partie',
  refused: 'demande refusée',
};

export const ANSWER_CHANNELS = ['espace', 'email', 'letter'] as const;
export type AnswerChannel = (typeof ANSWER_CHANNELS)[number];
export const ANSWER_CHANNEL_LABELS: Record<AnswerChannel, string> = {
  espace: 'espace personnel',
  email: 'courriel',
  letter: 'courrier postal',
};

/** What the DPO does to a request; each is allowed from some states only (ACTIONS_FROM). */
export const RIGHTS_REQUEST_ACTIONS = [
  'ask_identity',
  'confirm_identity',
  'start',
  'extend',
  'answer',
  'close',
] as const;
export type RightsRequestAction = (typeof RIGHTS_REQUEST_ACTIONS)[number];

export const ACTION_LABELS: Record<RightsRequestAction | 'receive' | 'overdue', string> = {
  receive: 'Demande reçue',
  ask_identity: 'Confirmation d’identité demandée (délai suspendu)',
  confirm_identity: 'Identité confirmée (délai repris)',
  start: 'Traitement commencé',
  extend: 'Délai prolongé, avec avis motivé à la personne',
  answer: 'Réponse envoyée',
  close: 'Demande close',
  overdue: 'Délai de réponse dépassé : alerte au délégué à la protection des données',
};

/** The states each action leaves from; anything else is a 409 naming the state. */
export const ACTIONS_FROM: Record<RightsRequestAction, readonly RightsRequestStatus[]> = {
  ask_identity: ['received', 'in_progress'],
  confirm_identity: ['identity_to_confirm'],
  start: ['received'],
  extend: ['in_progress'],
  // From identity_to_confirm, only a refusal for an identity never confirmed.
  answer: ['identity_to_confirm', 'in_progress', 'extended'],
  close: ['answered'],
};

/**
 * Why a request may be refused (wholly or in part): a code, the words, the text that allows it
 * and the kinds of request it applies to. `objection_excluded` takes its reference from the
 * agreement of the processing objected to (the purpose's `objection` flag), never from here.
 */
export const REFUSAL_REASONS = {
  identity_not_confirmed: {
    label:
      'Votre identité n’a pas pu être confirmée : nous ne pouvons pas communiquer ni modifier les données d’une personne sans être certains qu’il s’agit d’elle.',
    legalReference: 'RGPD art. 11.2 et 12.6',
    kinds: RIGHTS_REQUEST_KINDS,
  },
  manifestly_unfounded: {
    label: 'La demande est manifestement infondée ou excessive, notamment par son caractère répétitif.',
    legalReference: 'RGPD art. 12.5.b',
    kinds: RIGHTS_REQUEST_KINDS,
  },
  rights_of_others: {
    label: 'La communication de certaines données porterait atteinte aux droits et libertés d’autres personnes.',
    legalReference: 'RGPD art. 15.4',
    kinds: ['access'],
  },
  legal_obligation: {
    label:
      'Ces données sont conservées pour respecter une obligation légale ou exécuter une mission d’intérêt public confiée à France Travail (Code du travail, art. L. 5312-1) : elles ne peuvent pas être effacées avant la fin de leur durée de conservation.',
    legalReference: 'RGPD art. 17.3.b',
    kinds: ['erasure'],
  },
  objection_excluded: {
    label:
      'Le traitement concerné est imposé par la loi ou nécessaire à une mission de service public : le droit d’opposition ne s’y applique pas.',
    legalReference: null,
    kinds: ['objection'],
  },
} as const satisfies Record<
  string,
  { label: string; legalReference: string | null; kinds: readonly RightsRequestKind[] }
>;
export type RefusalReason = keyof typeof REFUSAL_REASONS;
export const REFUSAL_REASON_CODES = Object.keys(REFUSAL_REASONS) as RefusalReason[];

/** Every refusal, whole or partial, tells the person where to complain (Art. 12.4, 77 and 79). */
export const CNIL_COMPLAINT =
  'Vous pouvez introduire une réclamation auprès de la Commission nationale de l’informatique et des libertés (CNIL), 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07, ou en ligne sur www.cnil.fr/fr/plaintes, et former un recours devant la juridiction compétente (RGPD art. 12.4, 77 et 79).';

export interface Verification {
  method: VerificationMethod;
  methodLabel: string;
  /** The account that checked it (the person's own for the espace). */
  by: string | null;
  at: string;
}

export interface Refusal {
  reason: RefusalReason;
  label: string;
  legalReference: string;
  /** The processing objected to, for `objection_excluded`. */
  processing?: { organisationId: string; purpose: string; purposeLabel: string };
}

/**
 * Where a person whose access request is granted gets the copy of their data (Art. 15.3): the
 * export of their espace (« Télécharger mes données », `GET /api/me/export`, on the page
 * « Sécurité du compte »); the PDF letter carries the same on paper.
 */
export const DATA_COPY = {
  href: '/api/me/export',
  page: '/mon-espace/securite',
  label: 'Télécharger mes données',
} as const;

export interface RightsAnswer {
  outcome: Outcome;
  outcomeLabel: string;
  channel: AnswerChannel;
  at: string;
  /** The whole answer as the person reads it: the outcome, the DPO's words, and for a refusal its reason, reference and the CNIL. */
  text: string;
  refusal: Refusal | null;
  late: boolean;
  /** An access request granted: where the person downloads the copy of their data. */
  dataCopy: typeof DATA_COPY | null;
  /** A restriction request granted (or partly): the classes whose processing the answer restricted. */
  restrictedClasses: FieldClass[];
}

export interface RequestClock {
  receivedAt: string;
  /** One calendar month after receipt, moved by the time paused: the date an extension must come before. */
  firstDueAt: string;
  /** The date the answer is due: the first, or three months after receipt (moved the same way) once extended. */
  dueAt: string;
  extended: boolean;
  /** Identity unconfirmed: the clock is stopped (the due date moves with every day that passes). */
  paused: boolean;
  /** Whole days paused so far. */
  pausedDays: number;
  /** Whole days left until the due date (0 or less once due); null once answered. */
  daysLeft: number | null;
  overdue: boolean;
  /** « 12 jours restants », « en retard de 3 jours », « suspendu (identité à confirmer) », « répondu dans le délai ». */
  label: string;
}

export interface StepView {
  at: string;
  action: RightsRequestAction | 'receive' | 'overdue';
  label: string;
  from: RightsRequestStatus | null;
  to: RightsRequestStatus;
  accountId: string | null;
  note: string | null;
  details: Record<string, string | number | boolean | null>;
}

/** A request as the DPO's desk sees it. */
export interface RightsRequestView {
  id: string;
  reference: string;
  personId: string;
  kind: RightsRequestKind;
  kindLabel: string;
  channel: RightsRequestChannel;
  channelLabel: string;
  status: RightsRequestStatus;
  statusLabel: string;
  receivedAt: string;
  recordedBy: string | null;
  details: string | null;
  verification: Verification | null;
  clock: RequestClock;
  answer: RightsAnswer | null;
  closedAt: string | null;
}

/** A page of the DPO's queue (`GET /api/security/rights-requests?page&pageSize`). */
export interface RightsRequestQueuePage {
  page: number;
  pageSize: number;
  /** Requests matching the filters, over every page. */
  total: number;
  /** Of those, the ones still open, and the open ones past their due date (the desk's summary). */
  open: number;
  overdue: number;
  items: RightsRequestView[];
}

/** The largest page of the DPO's queue; the default is 20. */
export const RIGHTS_REQUESTS_MAX_PAGE_SIZE = 100;

export interface RightsRequestDetail extends RightsRequestView {
  history: StepView[];
  /** What may be done now, in this state. */
  actions: RightsRequestAction[];
}

/** A request as the person sees it in their espace: no agent's account, the notes written to them only. */
export interface OwnRightsRequest {
  id: string;
  reference: string;
  kind: RightsRequestKind;
  kindLabel: string;
  channel: RightsRequestChannel;
  channelLabel: string;
  status: RightsRequestStatus;
  statusLabel: string;
  receivedAt: string;
  details: string | null;
  dueAt: string;
  extended: boolean;
  paused: boolean;
  answer: RightsAnswer | null;
  history: Array<{ at: string; label: string; note: string | null }>;
}
