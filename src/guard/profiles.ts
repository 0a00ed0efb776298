/**
 * How many distinct persons a person doing their job reads. A counsellor sees a few dozen people
 * a day, an operator of a call centre a few an hour; a partner's information system is bounded
 * by its agreement's daily ceiling. Soft limits alert the security officer, hard limits deny the
 * read and contain the actor.
 */
export interface Budget {
  hour: { soft: number; hard: number };
  day: { soft: number; hard: number };
}

/** The profile the incident desk's downloads are counted under (src/incidents), and the purpose they are recorded for. */
export const DESK_DOWNLOAD_PROFILE = 'security_desk';
export const DESK_DOWNLOAD_PURPOSE = 'incident_document';
/** The desk's organisation's ceiling for those downloads in a day: two members' full days. */
export const DESK_DOWNLOAD_DAILY_CEILING = 6_000;

/**
 * The profile an agent's registrations at the desk (and their receipts) are counted under, whatever
 * the agent's roles, and the purpose they are recorded for: each registration is one person in the
 * agent's windows, like a read (issue 25 §1). An agency's ceiling of registrations in a day: a busy
 * agency registers a few dozen people a day, walk-ins and paper forms together.
 */
export const DESK_REGISTRATION_PROFILE = 'desk_registration';
export const DESK_REGISTRATION_PURPOSE = 'inscription';
export const DESK_REGISTRATION_DAILY_CEILING = 200;

const ROLE_BUDGETS: Readonly<Record<string, Budget>> = {
  counsellor: { hour: { soft: 20, hard: 30 }, day: { soft: 40, hard: 60 } },
  indemnisation_agent: { hour: { soft: 20, hard: 30 }, day: { soft: 50, hard: 80 } },
  partner_staff: { hour: { soft: 12, hard: 20 }, day: { soft: 30, hard: 45 } },
  call_centre_operator: { hour: { soft: 6, hard: 10 }, day: { soft: 30, hard: 40 } },
  // A France Services aidant sits with one person at a time: a handful of appointments a day.
  aidant: { hour: { soft: 4, hard: 8 }, day: { soft: 12, hard: 20 } },
  // The regional control team reads only persons whose bank change is held: a few a day.
  bank_controller: { hour: { soft: 8, hard: 15 }, day: { soft: 25, hard: 40 } },
  // The bootstrap administrator reads whole files without a purpose: only to set a store up.
  bootstrap_admin: { hour: { soft: 20, hard: 40 }, day: { soft: 60, hard: 100 } },
  // Not a role anyone holds: the incident desk's downloads of documents naming persons (a batch of
  // letters, a scope list) are weighed as this profile, whoever of the desk downloads. A batch of
  // notices prints at most 1,000 letters (2,000 notices, half of them emails): one batch an hour
  // and three a day is printing; more is a harvest.
  [DESK_DOWNLOAD_PROFILE]: { hour: { soft: 500, hard: 1_000 }, day: { soft: 1_500, hard: 3_000 } },
  // Not a role either: an agent registering people at the desk. A registration with its checks takes
  // the better part of half an hour, so a dozen in an hour is a rush; the windows are the actor's own
  // (the same person read and registered counts once), so they leave room for a counsellor's reads.
  [DESK_REGISTRATION_PROFILE]: { hour: { soft: 20, hard: 30 }, day: { soft: 40, hard: 60 } },
};

/** Anyone else who somehow reaches a file (a role added later, a break-glass holder): the strictest budget. */
const FALLBACK: Budget = { hour: { soft: 6, hard: 10 }, day: { soft: 20, hard: 30 } };

/** Share of a hard limit at which the soft limit alerts. */
const SOFT_SHARE = 2 / 3;

function fromDailyCeiling(ceiling: number): Budget {
  const hour = Math.max(1, Math.ceil(ceiling / 4));
  return {
    hour: { soft: Math.max(1, Math.floor(hour * SOFT_SHARE)), hard: hour },
    day: { soft: Math.max(1, Math.floor(ceiling * SOFT_SHARE)), hard: ceiling },
  };
}

/**
 * The actor's budget: the most generous of its roles' (a machine client's comes from the
 * agreement: a day's ceiling, a quarter of it in an hour), never above the organisation's own
 * daily ceiling for the purpose.
 */
export function budgetFor(roles: readonly string[], dailyCeiling: number): Budget {
  const budgets = roles
    .map((role) => (role === 'partner_system' ? fromDailyCeiling(dailyCeiling) : ROLE_BUDGETS[role]))
    .filter((b): b is Budget => b !== undefined);
  const chosen = budgets.length ? budgets.reduce((a, b) => (b.day.hard > a.day.hard ? b : a)) : FALLBACK;
  const cap = (n: number) => Math.min(n, dailyCeiling);
  return {
    hour: { soft: cap(chosen.hour.soft), hard: cap(chosen.hour.hard) },
    day: { soft: cap(chosen.day.soft), hard: cap(chosen.day.hard) },
  };
}

/** The organisation's soft limit for one purpose: an alert before its agreement's ceiling denies. */
export function organisationSoftLimit(dailyCeiling: number): number {
  return Math.max(1, Math.floor(dailyCeiling * 0.8));
}

/** Thresholds of the behavioural signals, in one place for the tests, the simulator and the README. */
export const SIGNAL_THRESHOLDS = {
  /** Searches in one block of consecutive identifiers within an hour: a sequential sweep. */
  sequentialSearches: 4,
  /** Name searches in non-decreasing alphabetical order, in a row: an alphabetical sweep. */
  alphabeticalRun: 10,
  /** Searches with no result within an hour: guessing identifiers. */
  missedSearches: 15,
  /** Refusals for persons out of scope within an hour: probing. */
  refusalsOutOfScope: 10,
  /** Persons read without a follow-up action in 7 days, and their share of all persons read. */
  noFollowUpPersons: 25,
  noFollowUpShare: 0.6,
  /** An account created or reset in the last days reading this many persons in an hour. */
  newAccountDays: 7,
  newAccountBurst: 10,
  /** Today's persons above this many times the actor's median day (with enough history), and above a floor. */
  baselineFactor: 3,
  baselineFloor: 15,
  baselineMinDays: 5,
  /** Actors of one organisation reading the same person within a day. */
  readersOfOnePerson: 4,
  /** Actors of one organisation alerting within an hour, and contained within a day (circuit breaker). */
  organisationAlerting: 3,
  organisationContained: 3,
  /**
   * Reads nothing in the day's work explains (issue 19, the patient thief): distinct persons a
   * counsellor opens with no appointment around today, not newly in their caseload, and not read
   * by them in the last days. A counsellor's unplanned contacts (a call, a walk-in, a message)
   * are a handful a day; a thief working through a caseload is almost all unexplained.
   */
  unexplained: {
    /** Roles whose reads must be explained by their caseload's work. */
    roles: ['counsellor'] as readonly string[],
    daySoft: 10,
    dayHard: 15,
    weekHard: 45,
    /** An appointment explains reads from this many days before it to this many days after. */
    appointmentDaysBefore: 3,
    appointmentDaysAfter: 2,
    /** An appointment the reader booked explains nothing for this long (booking it must not launder the read). */
    selfBookedLeadHours: 12,
    /** A person who joined the reader's caseload this recently (a portfolio taken over). */
    newCaseloadDays: 30,
    /** A person the reader already read on an earlier day, this recently (a case in progress). */
    continuityDays: 14,
  },
  /** Appointments an agent books for distinct persons: a day's and a week's agenda, well above a full one. */
  bookings: { dayHard: 30, weekHard: 80 },
  /**
   * Distinct persons shown in lists (caseload, referrals) in a day: the largest caseloads hold
   * about 2,500 persons (docs/guard-calibration.md), so paging through all of one's own in a
   * day stays under it; more is a list no caseload explains.
   */
  listedPersonsDay: 3_000,
  /** Searches with no result within a day: a leaked list tried slowly (under the hour's threshold). */
  missedSearchesDay: 30,
  /** Working hours, Paris time, Monday to Saturday. */
  workingHours: { from: 7, to: 20 },
} as const;
