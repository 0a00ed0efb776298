import type { Clock } from '../domain/index.ts';

/** The guard's time in a simulation: it stands still until the simulator moves it, so days run in seconds. */
export class SimulatedClock implements Clock {
  #ms: number;

  constructor(start: Date) {
    this.#ms = start.getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  /** Move to this instant; never backwards (the guard's windows assume time goes on). */
  set(at: Date): void {
    this.#ms = Math.max(this.#ms, at.getTime());
  }

  advance(ms: number): Date {
    this.#ms += Math.max(0, ms);
    return this.now();
  }
}

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

const PARIS = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  weekday: 'short',
});

function parisParts(at: Date): {
  y: number;
  m: number;
  d: number;
  hh: number;
  mm: number;
  ss: number;
  weekday: string;
} {
  const parts = Object.fromEntries(PARIS.formatToParts(at).map((p) => [p.type, p.value]));
  return {
    y: Number(parts.year),
    m: Number(parts.month),
    d: Number(parts.day),
    hh: Number(parts.hour),
    mm: Number(parts.minute),
    ss: Number(parts.second),
    weekday: String(parts.weekday),
  };
}

/** The instant it is `hh:mm` in Paris on the Paris day of `day`. */
export function parisTime(day: Date, hh: number, mm = 0): Date {
  const { y, m, d } = parisParts(day);
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  // Paris is UTC+1 or UTC+2: correct the guess by the offset the formatter shows there.
  const shown = parisParts(new Date(guess));
  const offset = Date.UTC(shown.y, shown.m - 1, shown.d, shown.hh, shown.mm) - guess;
  return new Date(guess - offset);
}

/** Monday to Friday in Paris. */
export function isWeekday(at: Date): boolean {
  const { weekday } = parisParts(at);
  return weekday !== 'Sat' && weekday !== 'Sun';
}

/** The Paris calendar day (YYYY-MM-DD) of an instant. */
export function parisDay(at: Date): string {
  const { y, m, d } = parisParts(at);
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * Where a simulation starts: a Monday, 08:00 in Paris, at least `daysBack` days before now. The
 * simulated weeks then lie in the past of the wall clock, so an account created for real during
 * the run (by the administrators' approval) is as new to the guard as it is in fact.
 */
export function simulationStart(now: Date, daysBack = 70): Date {
  let day = new Date(now.getTime() - daysBack * DAY_MS);
  while (parisParts(day).weekday !== 'Mon') day = new Date(day.getTime() - DAY_MS);
  return parisTime(day, 8, 0);
}

/** The next weekday at `hh:mm` Paris time, on or after `from`'s day plus `days`. */
export function nextWorkingDay(from: Date, days: number, hh: number, mm = 0): Date {
  let day = new Date(from.getTime() + days * DAY_MS);
  while (!isWeekday(day)) day = new Date(day.getTime() + DAY_MS);
  return parisTime(day, hh, mm);
}
