import type { Faker } from '@faker-js/faker';
import type { PersonFile } from '../domain/index.ts';
// The guard's generator itself, not the guard's index: the sealing worker thread loads this
// module, and needs the generator without the rest of the guard (identity, policy, ledger).
import { syntheticPerson, type Draw } from '../guard/synthetic/person.ts';

export { frenchIban, NIR_CAPACITY } from '../guard/synthetic/person.ts';

/**
 * What the demo population is drawn with: Faker's French locale, a development dependency:
 * an installation without those (`npm ci --omit=dev`, the deployed artefact) has no demo
 * population and says so when one is asked for (`DEMO_GENERATOR_MISSING`); everything else runs
 * without it (the guard's decoys and canaries draw from its own generator, `guard/synthetic`).
 */
const fakerFR: Faker | undefined = await import('@faker-js/faker').then(
  (faker) => faker.fakerFR,
  (error: unknown) => {
    const missing =
      (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(error).includes('@faker-js/faker');
    if (missing) return undefined;
    throw error;
  },
);

export const DEMO_GENERATOR_MISSING =
  'Population de démonstration impossible : son générateur (@faker-js/faker) est une dépendance de développement, ' +
  'absente de cette installation (npm ci --omit=dev). Démarrez sans démonstration (rempart start, sans --demo), ' +
  'ou installez toutes les dépendances (npm install).';

/** Can this installation generate the demo population (is Faker installed)? */
export function demoGeneratorAvailable(): boolean {
  return fakerFR !== undefined;
}

/** Persons are generated in fixed chunks: each chunk reseeds the generator, so any chunk can be (re)made alone. */
export const CHUNK_SIZE = 100;

/** A generated person: its file and ties, by index. Its id is the store's (`secretUuid`), not the generator's. */
export interface SyntheticPerson {
  index: number;
  file: PersonFile;
  agency: number;
  age: number;
  referrals: Array<{
    organisation: 'mission-locale' | 'cap-emploi' | 'departement' | 'caf' | 'training-body' | 'call-centre' | 'region';
    reason: string;
  }>;
}

/** Faker's seeded generator, drawn in the order the person's fields ask: the same seed gives the same people. */
function fakerDraw(f: Faker): Draw {
  return {
    int: (min, max) => f.number.int({ min, max }),
    unit: () => f.number.float({ min: 0, max: 1 }),
    lastName: () => f.person.lastName(),
    firstName: (sex) => f.person.firstName(sex),
    streetAddress: () => f.location.streetAddress(),
  };
}

function chance(draw: Draw, p: number): boolean {
  return draw.unit() < p;
}

/** The guard's synthetic file (the decoys' and canaries' generator), and the demo network's ties: referrals. */
function generatePerson(draw: Draw, seed: number, index: number): SyntheticPerson {
  const { file, age, agency } = syntheticPerson(draw, seed, index);
  const rqth = file.health?.rqth === true;
  const referrals: SyntheticPerson['referrals'] = [];
  if (age <= 25 && chance(draw, 0.5))
    referrals.push({ organisation: 'mission-locale', reason: 'Accompagnement jeune' });
  if (rqth && chance(draw, 0.7))
    referrals.push({ organisation: 'cap-emploi', reason: 'Accompagnement spécialisé (RQTH)' });
  if (chance(draw, 0.08)) referrals.push({ organisation: 'departement', reason: 'Allocataire RSA' });
  if (chance(draw, 0.1)) referrals.push({ organisation: 'caf', reason: 'Vérification des droits' });
  if (chance(draw, 0.05)) referrals.push({ organisation: 'training-body', reason: 'Entrée en formation' });
  if (chance(draw, 0.04)) referrals.push({ organisation: 'region', reason: 'Projet de formation' });
  if (chance(draw, 0.05)) referrals.push({ organisation: 'call-centre', reason: 'Rappel usager' });

  return { index, file, agency, age, referrals };
}

/** Persons [chunk × CHUNK_SIZE, …) of the population of `seed`. */
export function generateChunk(seed: number, chunk: number, limit: number): SyntheticPerson[] {
  if (!fakerFR) throw new Error(DEMO_GENERATOR_MISSING);
  fakerFR.seed([seed, chunk]);
  const draw = fakerDraw(fakerFR);
  const out: SyntheticPerson[] = [];
  const first = chunk * CHUNK_SIZE;
  for (let index = first; index < Math.min(first + CHUNK_SIZE, limit); index++)
    out.push(generatePerson(draw, seed, index));
  return out;
}
