import { createHmac } from 'node:crypto';

/** What a search asked for, as the route saw it (in memory only: never stored). */
export type SearchCriterion =
  | { kind: 'nir'; value: string }
  | { kind: 'france_travail_id'; value: string }
  | { kind: 'name_birth'; lastName: string; firstName: string; birthDate: string }
  | { kind: 'email'; value: string }
  /** A caller check by the person's id: ids are random, they have no neighbourhood. */
  | { kind: 'person_id'; value: string };

/** What the guard keeps of a search: a keyed digest of its neighbourhood and, for names, a coarse rank. */
export interface SearchShape {
  bucket: string | null;
  rank: number | null;
}

const letters = (text: string) =>
  text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z]/g, '');

/**
 * A sweep walks consecutive identifiers: the neighbourhood of a NIR is its first ten digits (sex,
 * year and month, place of birth: a block of a thousand order numbers), that of a France Travail
 * identifier its first five digits (a block of a hundred). Names have no neighbourhood, but a
 * sweep reads them in alphabetical order: the rank of the first two letters (0–675) shows it.
 */
export function searchShape(key: Buffer, criterion: SearchCriterion): SearchShape {
  const digest = (text: string) => createHmac('sha256', key).update(text).digest('base64url').slice(0, 22);
  switch (criterion.kind) {
    case 'email':
    case 'person_id':
      return { bucket: null, rank: null };
    case 'nir': {
      const digits = criterion.value.replace(/\s/g, '').toUpperCase();
      return { bucket: digest(`nir:${digits.slice(0, 10)}`), rank: null };
    }
    case 'france_travail_id':
      return { bucket: digest(`ft:${criterion.value.trim().toUpperCase().slice(0, 5)}`), rank: null };
    case 'name_birth': {
      const name = letters(criterion.lastName).padEnd(2, 'A');
      return { bucket: null, rank: (name.charCodeAt(0) - 65) * 26 + (name.charCodeAt(1) - 65) };
    }
  }
}
