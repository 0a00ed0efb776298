import { hash, verify, type Options } from '@node-rs/argon2';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnFr from '@zxcvbn-ts/language-fr';
import type { ValidationIssue } from '../domain/index.ts';

/**
 * argon2id at OWASP's first recommended setting (m = 19 MiB, t = 2, p = 1). Algorithm 2 is
 * Argon2id in @node-rs/argon2's const enum, which isolated modules cannot import by name.
 */
export const ARGON2_OPTIONS: Options = {
  algorithm: 2 as Options['algorithm'],
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export const PASSWORD_MIN_LENGTH = 12;
/** Hashing is deliberately costly: an unbounded password is a denial-of-service lever. */
export const PASSWORD_MAX_LENGTH = 128;
const MIN_SCORE = 3;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/**
 * Verify a password against a stored hash; with no hash (unknown account, no password set),
 * verify against a dummy so that the answer takes the same time either way.
 */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (!stored) {
    dummyHash ??= hashPassword('rempart dummy password for timing equality');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}

const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnFr.dictionary },
  graphs: zxcvbnCommon.adjacencyGraphs,
  translations: zxcvbnFr.translations,
});

/**
 * Length and estimated guessability, with a French dictionary and the account's own words
 * (name, email): no composition rules, which push people towards predictable patterns.
 */
export function passwordIssues(
  password: string,
  personalWords: readonly string[],
  field = 'password',
): ValidationIssue[] {
  if (password.length < PASSWORD_MIN_LENGTH)
    return [
      {
        field,
        rule: 'password.length',
        message: `au moins ${PASSWORD_MIN_LENGTH} caractères ; une phrase de passe de quelques mots est plus sûre et plus facile à retenir`,
      },
    ];
  if (password.length > PASSWORD_MAX_LENGTH)
    return [{ field, rule: 'password.length', message: `au plus ${PASSWORD_MAX_LENGTH} caractères` }];
  const plain = (text: string) =>
    text
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase();
  // A login or address counts word by word too: « camille.martin1990 » from camille.martin@exemple.fr.
  const words = personalWords.flatMap((w) => [w, plain(w), ...plain(w).split(/[^a-z0-9]+/)]).filter(Boolean);
  // zxcvbn discounts the holder's words but can still rate "elodiemarchand1990" fair: a
  // password made of nothing but them and digits or punctuation is refused outright.
  let rest = plain(password);
  for (const word of words
    .map(plain)
    .filter((w) => w.length >= 3)
    .sort((a, b) => b.length - a.length))
    rest = rest.split(word).join('');
  if (rest.replace(/[^a-z]/g, '').length < 4) {
    return [
      {
        field,
        rule: 'password.personal',
        message: 'mot de passe fait de vos nom, prénom, identifiant ou date : trop facile à deviner',
      },
    ];
  }
  const result = zxcvbn.check(password, words);
  if (result.score < MIN_SCORE) {
    const hint = result.feedback.warning || result.feedback.suggestions[0] || 'trop facile à deviner';
    return [{ field, rule: 'password.weak', message: `mot de passe trop facile à deviner : ${hint}` }];
  }
  return [];
}
