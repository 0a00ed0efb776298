import type { TSchema, Static } from 'typebox';
import { validate } from '../domain/index.ts';

/** Command-line values arrive as text: numbers are converted, anything else is left for the schema to reject. */
export function asNumber(value: string): number | string {
  return /^-?\d+$/.test(value.trim()) ? Number(value) : value;
}

export function checkOptions<S extends TSchema>(schema: S, values: unknown): Static<S> {
  return validate(schema, values);
}
