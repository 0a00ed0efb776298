import { Type } from 'typebox';
import { validate, ValidationError } from '../../domain/index.ts';
import {
  renderReport,
  runSimulation,
  SCENARIOS,
  type ScenarioName,
  type SimulationReport,
} from '../../simulate/index.ts';
import { POPULATION_CAPACITY } from '../../seed/index.ts';
import { progressBar } from '../progress.ts';
import { requireDemoGenerator } from './seed.ts';

export const SimulateOptionsSchema = Type.Object(
  {
    scenario: Type.String({ minLength: 1, maxLength: 200 }),
    persons: Type.Integer({ minimum: 500, maximum: POPULATION_CAPACITY }),
    staff: Type.Integer({ minimum: 10, maximum: 5000 }),
    seed: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }),
    json: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** `takeover,admin` or `all` into scenario names, or bad input naming the unknown ones. */
export function scenariosOf(text: string): ScenarioName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.includes('all')) return [...SCENARIOS];
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown.length || names.length === 0)
    throw new ValidationError([
      {
        field: '--scenario',
        rule: 'enum',
        message: `scénario inconnu${unknown.length ? ` : ${unknown.join(', ')}` : ''} (attendu : ${SCENARIOS.join(', ')} ou all)`,
      },
    ]);
  return names as ScenarioName[];
}

/**
 * `rempart simulate`: a fresh store (a temporary SQLite file, or a new schema when DATABASE_URL
 * names PostgreSQL), the real server on it, the attacks and a workday over HTTP; the report on
 * stdout (French tables, or JSON), progress on stderr. Exit code 4 when a goal is missed.
 */
export async function runSimulate(raw: Record<string, unknown>): Promise<SimulationReport> {
  const options = validate(SimulateOptionsSchema, {
    scenario: 'all',
    persons: 5000,
    staff: 500,
    seed: 1,
    json: false,
    ...raw,
  });
  const scenarios = scenariosOf(options.scenario);
  requireDemoGenerator();
  let bar: ReturnType<typeof progressBar> | undefined;
  const report = await runSimulation({
    scenarios,
    persons: options.persons,
    staff: options.staff,
    seed: options.seed,
    ...(process.env.DATABASE_URL?.startsWith('postgres') ? { databaseUrl: process.env.DATABASE_URL } : {}),
    progress: (message) => process.stderr.write(`${message}\n`),
    seedProgress: {
      start: (total) => (bar = progressBar('Peuplement synthétique', total)),
      update: (done) => bar?.update(done),
      stop: () => bar?.stop(),
    },
  });
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  return report;
}
