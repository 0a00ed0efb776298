import cliProgress from 'cli-progress';

/** A progress bar on stderr; in a non-interactive run (CI, logs) it prints a line every few seconds. */
export function progressBar(
  label: string,
  total: number,
): { update(done: number): void; increment(n: number): void; stop(): void } {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | reste {eta_formatted}`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 3000,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let value = 0;
  bar.start(total, 0, { rate: '0' });
  const payload = () => ({
    rate: Math.round(value / Math.max(0.001, (Date.now() - started) / 1000)).toLocaleString('fr-FR'),
  });
  return {
    update(done) {
      value = done;
      bar.update(done, payload());
    },
    increment(n) {
      value += n;
      bar.update(value, payload());
    },
    stop() {
      bar.stop();
    },
  };
}
