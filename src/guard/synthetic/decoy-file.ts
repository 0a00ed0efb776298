import { randomInt } from 'node:crypto';
import type { PersonFile } from '../../domain/index.ts';
import { NIR_CAPACITY, syntheticPerson } from './person.ts';
import { randomDraw } from './random-draw.ts';

/**
 * A new decoy's file for the guard's coverage of every organisation (`maintainDecoys`): a
 * synthetic person drawn from the system's randomness (a random seed, a random index, a random
 * draw), so that no known seed and no public code reproduces it. The guard makes its own: the
 * server does not load the demo's seed (nor its generator's dependencies) to renew them.
 */
export function freshDecoyFile(): PersonFile {
  return syntheticPerson(randomDraw(), randomInt(1, 2 ** 31 - 1), randomInt(0, NIR_CAPACITY)).file;
}
