import type { AdministrativeCategory, RegistrationInput, StatisticalCategory } from './model.ts';

/** Beyond 78 hours worked in the month, a reduced activity is « longue » (category C), up to it « courte » (B). */
export const REDUCED_ACTIVITY_SHORT_MAX_HOURS = 78;

/**
 * The two categories a registration gets from the declared situation and availability.
 *
 * - The statistical category (A–E, what the monthly figures count and what the monthly update
 *   asks of A, B and C): A without any work and immediately available; B and C in a reduced
 *   activity (up to 78 hours in the month, or more); D not immediately available and without
 *   work (training, sickness, another reason); E in work and looking for another job.
 * - The administrative registration category (1–5, arrêté du 5 février 1992): 1, 2, 3 immediately
 *   available, looking for a permanent full-time job (1), a permanent part-time job (2), a
 *   fixed-term, temporary or seasonal job (3); 4 not immediately available and without work; 5
 *   in work and looking for another job.
 */
export function categoriesOf(input: Pick<RegistrationInput, 'situation' | 'availability'>): {
  category: StatisticalCategory;
  administrativeCategory: AdministrativeCategory;
} {
  const { situation, availability } = input;
  switch (situation.kind) {
    case 'training':
    case 'sickness':
    case 'other_unavailable':
      return { category: 'D', administrativeCategory: 4 };
    case 'employed':
      return { category: 'E', administrativeCategory: 5 };
    case 'available':
    case 'reduced_activity': {
      const category: StatisticalCategory =
        situation.kind === 'available'
          ? 'A'
          : (situation.hoursLastMonth ?? 0) > REDUCED_ACTIVITY_SHORT_MAX_HOURS
            ? 'C'
            : 'B';
      const permanent = availability.contract === 'permanent' || availability.contract === 'any';
      const administrativeCategory: AdministrativeCategory = !permanent
        ? 3
        : availability.workingTime === 'part_time'
          ? 2
          : 1;
      return { category, administrativeCategory };
    }
  }
}
