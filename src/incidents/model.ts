import type { FieldClass, SensitiveFieldClass } from '../domain/index.ts';
import type { IncidentsTable } from '../store/index.ts';
import type { RiskLevel } from './risk.ts';

/** The identities an incident says were in the wrong hands. */
export interface Compromised {
  /** Actor ids (staff members, machine actors). */
  actors: string[];
  /** Organisation ids: every actor of the organisation, exports to it included. */
  organisations: string[];
  /** OAuth client ids of partner systems. */
  clients: string[];
  /** Public ids of staff sessions (a stolen cookie): only the requests made with them. */
  sessions: string[];
}

export interface Declaration {
  title: string;
  vector: string;
  description: string;
  compromised: Compromised;
  windowFrom: Date;
  windowTo: Date;
  /** When the agency became aware: the 72-hour clock of Art. 33 starts here. */
  awareAt: Date;
}

export const VECTORS = [
  'account_takeover',
  'session_theft',
  'infostealer',
  'insider',
  'subcontractor',
  'administrator_compromise',
  'partner_system',
  'guard_containment',
  'other',
] as const;
export type Vector = (typeof VECTORS)[number];

export const VECTOR_LABELS_FR: Record<Vector, string> = {
  account_takeover: 'prise de contrôle d’un compte (hameçonnage, ingénierie sociale)',
  session_theft: 'vol de session (cookie dérobé)',
  infostealer: 'logiciel espion sur un poste (infostealer)',
  insider: 'acte interne malveillant',
  subcontractor: 'compromission d’un sous-traitant',
  administrator_compromise: 'compromission d’un administrateur de comptes',
  partner_system: 'compromission du système d’information d’un partenaire',
  guard_containment: 'comportement anormal détecté par la garde (confinement automatique)',
  other: 'autre',
};

/** One person exposed: what left, when, through whom, and the risk assessed. */
export interface Exposure {
  personId: string;
  classes: FieldClass[];
  firstAt: string;
  lastAt: string;
  /** Actor ids the data left through. */
  via: string[];
  events: number;
  risk: RiskLevel;
  rules: string[];
}

export interface CitedCheckpoint {
  size: number;
  /** Hex root hash. */
  root: string;
  at: string;
}

export interface BlastRadius {
  incidentId: string;
  reference: string;
  window: { from: string; to: string };
  /** The ledger's tree size the result covers: events 0 … size-1, and the checkpoint that signs it. */
  ledger: { size: number; checkpoint: CitedCheckpoint | null; prunedBelow: number; windowBeforeRetention: boolean };
  /** Access events of the compromised identities in the window. */
  events: number;
  persons: Exposure[];
  decoys: Exposure[];
  totals: Totals;
  /** Nothing left through these identities in this window. */
  empty: boolean;
}

/** The blast radius as the incident keeps it: everything but the per-person lists (those are the stored exposures). */
export type ScopeSummary = Omit<BlastRadius, 'persons' | 'decoys'>;

export interface Totals {
  persons: number;
  decoys: number;
  byClass: Partial<Record<FieldClass, number>>;
  /** Persons with each sensitive class exposed (the domain says which are). */
  special: Record<SensitiveFieldClass, number>;
  byRisk: Record<RiskLevel, number>;
  /** Persons exposed through each actor. */
  byActor: Record<string, number>;
  /** Persons already exposed by another incident (counted once network-wide). */
  alsoInOtherIncidents: number;
  otherIncidents: string[];
}

export interface IncidentView {
  id: string;
  reference: string;
  title: string;
  vector: string;
  vectorLabel: string;
  description: string;
  status: IncidentsTable['status'];
  source: IncidentsTable['source'];
  compromised: Compromised;
  window: { from: string; to: string };
  awareAt: string;
  declaredAt: string;
  /** The 72-hour clock of Art. 33, as of now. */
  clock: NotificationClock;
  scope: ScopeSummary | null;
  cnil: { reference: string | null; filedAt: string | null };
  closedAt: string | null;
}

export interface NotificationClock {
  awareAt: string;
  deadline: string;
  /** Whole minutes left (negative once late). */
  minutesLeft: number;
  /** « 41 h 12 min restantes » or « en retard de 3 h 05 min ». */
  label: string;
  late: boolean;
  /** True once the initial notification was filed with the CNIL. */
  filed: boolean;
}

const NOTIFICATION_DELAY_MS = 72 * 3_600_000;

export function notificationClock(awareAt: string, now: Date, filedAt: string | null): NotificationClock {
  const deadline = new Date(new Date(awareAt).getTime() + NOTIFICATION_DELAY_MS);
  const reference = filedAt ? new Date(filedAt) : now;
  const minutesLeft = Math.floor((deadline.getTime() - reference.getTime()) / 60_000);
  const abs = Math.abs(minutesLeft);
  const span = `${Math.floor(abs / 60)} h ${String(abs % 60).padStart(2, '0')} min`;
  const label = filedAt
    ? minutesLeft >= 0
      ? `notifiée à la CNIL dans le délai (${span} avant l’échéance)`
      : `notifiée à la CNIL avec ${span} de retard`
    : minutesLeft >= 0
      ? `${span} restantes pour notifier la CNIL`
      : `en retard de ${span} sur le délai de 72 h`;
  return {
    awareAt,
    deadline: deadline.toISOString(),
    minutesLeft,
    label,
    late: minutesLeft < 0,
    filed: filedAt !== null,
  };
}
