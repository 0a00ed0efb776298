/**
 * Calendar days in Paris, where the network's deadlines fall (a rights request's month, the
 * monthly update's window): the day an instant falls on there, and the first and last
 * millisecond of a Paris day, summer time or not.
 */

const PARIS_DAY = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});
const PARIS_OFFSET = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Paris', timeZoneName: 'longOffset' });

export function parisDate(instant: Date): { y: number; m: number; d: number } {
  const [y, m, d] = PARIS_DAY.format(instant).split('-').map(Number);
  return { y: y!, m: m!, d: d! };
}

/** Paris's offset from UTC at this instant, in minutes (60 in winter, 120 in summer). */
function parisOffsetMinutes(instant: Date): number {
  const name = PARIS_OFFSET.formatToParts(instant).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

/** The last millisecond of this calendar day in Paris (month 1-based). */
export function endOfParisDay(y: number, m: number, d: number): Date {
  const nextMidnightUtc = Date.UTC(y, m - 1, d + 1);
  // Paris never changes its clock at midnight: the offset an hour before the wall-clock midnight is the one in force.
  const offset = parisOffsetMinutes(new Date(nextMidnightUtc - 60 * 60_000 - 120 * 60_000));
  return new Date(nextMidnightUtc - offset * 60_000 - 1);
}

/** The first millisecond of this calendar day in Paris (month 1-based). */
export function startOfParisDay(y: number, m: number, d: number): Date {
  return new Date(endOfParisDay(y, m, d - 1).getTime() + 1);
}
