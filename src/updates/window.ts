import { endOfParisDay, parisDate, startOfParisDay } from '../domain/index.ts';

/**
 * When the monthly update is open (issue 25 §2): the update for a month opens on the 28th of
 * that month at midnight in Paris and closes at the end of the 15th of the next; the person can
 * correct it until then. Between the 16th and the 27th nothing is open.
 */
export interface UpdateWindow {
  /** The month declared, YYYY-MM. */
  period: string;
  opensAt: Date;
  closesAt: Date;
}

export const OPENS_ON_DAY = 28;
export const CLOSES_ON_DAY = 15;

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isPeriod(value: string): boolean {
  return PERIOD.test(value);
}

/** The window of a month's update. */
export function windowOf(period: string): UpdateWindow {
  const match = PERIOD.exec(period);
  if (!match) throw new Error(`not a period: ${period}`);
  const y = Number(match[1]);
  const m = Number(match[2]);
  const next = m === 12 ? { y: y + 1, m: 1 } : { y, m: m + 1 };
  return {
    period,
    opensAt: startOfParisDay(y, m, OPENS_ON_DAY),
    closesAt: endOfParisDay(next.y, next.m, CLOSES_ON_DAY),
  };
}

function periodOf(y: number, m: number): string {
  return `${y}-${String(m).padStart(2, '0')}`;
}

/** The month whose update is open at this instant, or null between the 16th and the 27th. */
export function openWindowAt(now: Date): UpdateWindow | null {
  const { y, m, d } = parisDate(now);
  if (d >= OPENS_ON_DAY) return windowOf(periodOf(y, m));
  if (d <= CLOSES_ON_DAY) return windowOf(m === 1 ? periodOf(y - 1, 12) : periodOf(y, m - 1));
  return null;
}

/** The window that opens next after this instant (for « next opening on … »). */
export function nextWindowAfter(now: Date): UpdateWindow {
  const { y, m } = parisDate(now);
  const here = windowOf(periodOf(y, m));
  if (here.opensAt > now) return here;
  return windowOf(m === 12 ? periodOf(y + 1, 1) : periodOf(y, m + 1));
}

/** The last month whose window has closed at this instant (what the check of missed updates looks at). */
export function lastClosedWindowAt(now: Date): UpdateWindow {
  const { y, m } = parisDate(now);
  // This month's previous month closes on the 15th; before then, the month before it.
  const previous = m === 1 ? periodOf(y - 1, 12) : periodOf(y, m - 1);
  const candidate = windowOf(previous);
  if (candidate.closesAt < now) return candidate;
  const [py, pm] = previous.split('-').map(Number) as [number, number];
  return windowOf(pm === 1 ? periodOf(py - 1, 12) : periodOf(py, pm - 1));
}
