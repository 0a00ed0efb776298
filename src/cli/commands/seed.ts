import { Type } from 'typebox';
import { validate } from '../../domain/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import {
  DEMO_GENERATOR_MISSING,
  demoGeneratorAvailable,
  plantDecoys,
  POPULATION_CAPACITY,
  seedDatabase,
  type SeedResult,
} from '../../seed/index.ts';
import { durationLabel, progressBar } from '../progress.ts';
import { OperatorError } from './keys.ts';

export const SeedOptionsSchema = Type.Object(
  {
    persons: Type.Integer({ minimum: 1, maximum: POPULATION_CAPACITY }),
    seed: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }),
    batch: Type.Integer({ minimum: 100, maximum: 20_000 }),
  },
  { additionalProperties: false },
);

/** A synthetic population needs the demo generator, which an installation without development dependencies lacks. */
export function requireDemoGenerator(): void {
  if (!demoGeneratorAvailable()) throw new OperatorError(DEMO_GENERATOR_MISSING);
}

export async function runSeed(runtime: Runtime, raw: unknown, quiet = false): Promise<SeedResult> {
  const options = validate(SeedOptionsSchema, raw);
  // Before anything is written: not a network without its population.
  requireDemoGenerator();
  let bar: ReturnType<typeof progressBar> | undefined;
  const started = Date.now();
  const result = await seedDatabase(runtime.database.db, runtime.persons, runtime.keyring, {
    persons: options.persons,
    seed: options.seed,
    batchSize: options.batch,
    onStart: ({ target, alreadyDone }) => {
      if (quiet || alreadyDone >= target) return;
      if (alreadyDone > 0) process.stderr.write(`Reprise du peuplement : ${alreadyDone} personnes déjà créées.\n`);
      bar = progressBar('Peuplement synthétique', target);
      bar.update(alreadyDone);
    },
    onProgress: (done) => bar?.update(done),
  });
  bar?.stop();
  // Honeytokens in every organisation's scope, in proportion to the population.
  const decoys = await plantDecoys(runtime.database.db, runtime.persons, {
    seed: options.seed,
    population: result.target,
  });
  const seconds = (Date.now() - started) / 1000;
  if (!quiet) {
    const rate = Math.round(result.inserted / Math.max(seconds, 0.001)).toLocaleString('fr-FR');
    process.stdout.write(
      `Peuplement (graine ${result.seed}) : ${result.inserted} personnes créées en ${durationLabel(seconds * 1000)} (${rate} personnes/s), ${result.target} au total ; ${decoys.total} leurres.\n`,
    );
  }
  return result;
}
