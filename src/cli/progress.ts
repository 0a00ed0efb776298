/**
 * The progress of a long phase on standard error (seeding, re-indexing, re-wrapping keys,
 * verifying the ledger), one phase one bar.
 *
 * On a terminal it is a single line redrawn in place, at most ten times a second, never wider
 * than the terminal: a line that wraps cannot be redrawn by a carriage return, and each redraw
 * would leave a copy of the bar behind. Elsewhere (a log, CI, a test) it is a few plain lines: one
 * at each quarter of a phase that lasts more than a few seconds, and one when it ends.
 */
export interface Progress {
  update(done: number): void;
  increment(n: number): void;
  stop(): void;
}

/** What the bar writes to: process.stderr, or a stand-in in the tests. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Between two redraws on a terminal. */
const REDRAW_MS = 100;
/** A phase shorter than this prints only its last line outside a terminal. */
const QUIET_MS = 5_000;
const BAR_MAX = 30;
const BAR_MIN = 8;

const number = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('fr-FR', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** « 0,7 s », « 42 s », « 3 min 05 s », « 1 h 02 min ». */
export function durationLabel(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 10) return `${decimal.format(seconds)} s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export function progressBar(label: string, total: number, stream: ProgressStream = process.stderr): Progress {
  const terminal = stream.isTTY === true && process.env.TERM !== 'dumb';
  const started = Date.now();
  let value = 0;
  let drawn = 0;
  let quarter = 0;
  let stopped = false;

  const percent = () => (total > 0 ? Math.min(100, Math.floor((value / total) * 100)) : 100);
  const counts = (done = value) => `${number.format(done)}/${number.format(total)}`;

  /** The line on a terminal: the bar as wide as the terminal allows, or no bar at all. */
  const terminalLine = (final: boolean) => {
    const elapsed = Date.now() - started;
    const rest = value > 0 ? ` · reste ${durationLabel(((total - value) / value) * elapsed)}` : '';
    const tail = final
      ? ` ${percent()} % · ${counts()} · ${durationLabel(elapsed)}`
      : ` ${percent()} % · ${counts()}${rest}`;
    const room = Math.max(20, (stream.columns ?? 80) - 1);
    // The bar keeps one width for the whole phase: as wide as the longest line leaves room for.
    const widest = ` 100 % · ${counts(total)} · reste 00 min 00 s`;
    const width = Math.min(BAR_MAX, room - label.length - widest.length - 3);
    let line = `${label}${tail}`;
    if (width >= BAR_MIN) {
      const full = total > 0 ? Math.round((Math.min(value, total) / total) * width) : width;
      line = `${label} [${'█'.repeat(full)}${'░'.repeat(width - full)}]${tail}`;
    }
    return line.length > room ? `${line.slice(0, room - 1)}…` : line;
  };

  const plainLine = (final: boolean) => {
    const elapsed = Date.now() - started;
    if (final) return `${label} [${counts()}] ${percent()} % en ${durationLabel(elapsed)}\n`;
    const rest = value > 0 ? ((total - value) / value) * elapsed : 0;
    return `${label} [${counts()}] ${percent()} %, reste ${durationLabel(rest)}\n`;
  };

  const draw = (final: boolean) => {
    if (terminal) {
      const now = Date.now();
      if (!final && now - drawn < REDRAW_MS) return;
      drawn = now;
      stream.write(`\r${terminalLine(final)}\x1b[K${final ? '\n' : ''}`);
      return;
    }
    if (final) {
      stream.write(plainLine(true));
      return;
    }
    // Outside a terminal: the quarters crossed (one line for several at once), and only in a long phase.
    const reached = total > 0 ? Math.min(3, Math.floor((value / total) * 4)) : 0;
    if (reached <= quarter) return;
    quarter = reached;
    if (Date.now() - started >= QUIET_MS) stream.write(plainLine(false));
  };

  draw(false);
  return {
    update(done) {
      if (stopped) return;
      value = done;
      draw(false);
    },
    increment(n) {
      if (stopped) return;
      value += n;
      draw(false);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      draw(true);
    },
  };
}
