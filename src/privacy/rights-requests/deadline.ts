import { endOfParisDay, parisDate } from '../../domain/index.ts';
import type { RequestClock, RightsRequestStatus } from './model.ts';

/**
 * The answer's deadline (GDPR Art. 12.3), the rule this module implements:
 *
 * - A month is a calendar month, counted in Paris: a request received on 14 March is due by the
 *   end of 14 April (23:59:59.999, Paris time); where the next month has no such day, by the end
 *   of its last day (31 January → 28 or 29 February), as Regulation (EEC, Euratom) 1182/71 art.
 *   3.2.c counts periods in months.
 * - Extended (Art. 12.3, second sentence), the request is due three months after receipt,
 *   counted the same way; an extension is only possible with a reasoned notice sent to the person
 *   before the first due date.
 * - While the requester's identity is to be confirmed (state `identity_to_confirm`), the clock
 *   stops: both due dates move later by the time spent in that state, to the millisecond, each
 *   pause added up (the one under way counts until now).
 */

const DAY_MS = 86_400_000;

/** The end of the day `months` calendar months after `from` (Paris), clamped to the month's last day. */
export function calendarMonthsAfter(from: Date, months: number): Date {
  const { y, m, d } = parisDate(from);
  const index = m - 1 + months;
  const year = y + Math.floor(index / 12);
  const month = (index % 12) + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return endOfParisDay(year, month, Math.min(d, lastDay));
}

export interface ClockFacts {
  status: RightsRequestStatus;
  receivedAt: string;
  pausedMs: number;
  pausedSince: string | null;
  extendedAt: string | null;
  answeredAt: string | null;
}

/** Paused time so far: the closed pauses, and the one under way until `now`. */
export function pausedMsAt(facts: Pick<ClockFacts, 'pausedMs' | 'pausedSince'>, now: Date): number {
  return facts.pausedMs + (facts.pausedSince ? Math.max(0, now.getTime() - Date.parse(facts.pausedSince)) : 0);
}

export function dueDates(facts: ClockFacts, now: Date): { firstDueAt: Date; dueAt: Date } {
  const received = new Date(facts.receivedAt);
  const paused = pausedMsAt(facts, now);
  const firstDueAt = new Date(calendarMonthsAfter(received, 1).getTime() + paused);
  const dueAt = facts.extendedAt ? new Date(calendarMonthsAfter(received, 3).getTime() + paused) : firstDueAt;
  return { firstDueAt, dueAt };
}

const days = (n: number) => `${n} jour${n > 1 ? 's' : ''}`;

export function requestClock(facts: ClockFacts, now: Date): RequestClock {
  const { firstDueAt, dueAt } = dueDates(facts, now);
  const paused = facts.status === 'identity_to_confirm';
  const pausedDays = Math.floor(pausedMsAt(facts, now) / DAY_MS);
  const answered = facts.answeredAt !== null;
  const reference = answered ? new Date(facts.answeredAt!) : now;
  const overdue = !paused && reference.getTime() > dueAt.getTime();
  const daysLeft = answered ? null : Math.ceil((dueAt.getTime() - now.getTime()) / DAY_MS);
  let label: string;
  if (answered) label = overdue ? 'répondu après l’échéance' : 'répondu dans le délai';
  else if (paused) label = 'délai suspendu : identité à confirmer';
  else if (overdue) label = `en retard de ${days(Math.max(1, Math.floor((now.getTime() - dueAt.getTime()) / DAY_MS)))}`;
  else label = `${days(Math.max(0, daysLeft!))} restant${daysLeft! > 1 ? 's' : ''}`;
  return {
    receivedAt: facts.receivedAt,
    firstDueAt: firstDueAt.toISOString(),
    dueAt: dueAt.toISOString(),
    extended: facts.extendedAt !== null,
    paused,
    pausedDays,
    daysLeft: daysLeft === null ? null : daysLeft === 0 ? 0 : daysLeft,
    overdue,
    label,
  };
}
