import { readFileSync } from 'node:fs';
// The error class alone (the domain's index loads its validators): `rempart --help` loads this module.
import { ValidationError } from '../domain/errors.ts';

/** Command-line values arrive as text: numbers are converted, anything else is left for the schema to reject. */
export function asNumber(value: string): number | string {
  return /^-?\d+$/.test(value.trim()) ? Number(value) : value;
}

/** A JSON file named by an option: an unreadable file or bad JSON is bad input, named after the option like any other. */
export function readJsonOption(path: string, field: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ValidationError([{ field, rule: 'file.readable', message: 'fichier illisible ou introuvable' }]);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError([{ field, rule: 'json', message: 'le fichier n’est pas un JSON valide' }]);
  }
}
