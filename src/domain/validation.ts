import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { ValidationError, type ValidationIssue } from './errors.ts';
import { FieldLabel, fieldLabel, FIELD_SENTENCES } from './field-labels.ts';
import { FORMAT_MESSAGES_FR, registerDomainFormats } from './formats.ts';

registerDomainFormats();

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

type Validator = ReturnType<typeof Compile>;
const compiled = new WeakMap<TSchema, Validator>();

function validatorFor(schema: TSchema): Validator {
  let validator = compiled.get(schema);
  if (!validator) {
    validator = Compile(schema);
    compiled.set(schema, validator);
  }
  return validator;
}

/** '/identity/firstNames/0' → 'identity.firstNames.0', prefixed by where the value came from. */
function fieldPath(prefix: string, instancePath: string, extra?: string): string {
  const parts = instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const all = [...(prefix ? [prefix] : []), ...parts, ...(extra !== undefined ? [extra] : [])];
  return all.join('.') || '(racine)';
}

function frenchMessage(error: SchemaError, field: string): { rule: string; message: string } {
  const { rule, message } = ruleMessage(error, field);
  // The empty field first: whatever its shape, it is missing.
  if ((rule === 'minLength' && Number(error.params.limit) <= 1) || rule === 'required')
    return { rule, message: `Saisissez ${fieldLabel(field)}.` };
  const last =
    field
      .split('.')
      .filter((p) => !/^\d+$/.test(p))
      .pop() ?? '';
  const specific = FIELD_SENTENCES[last];
  const sentence = specific?.[rule] ?? (rule.startsWith('format:') ? undefined : specific?.['*']);
  return { rule, message: sentence ?? message };
}

function ruleMessage(error: SchemaError, field: string): { rule: string; message: string } {
  const p = error.params;
  const Label = FieldLabel(field);
  switch (error.keyword) {
    case 'format': {
      const format = String(p.format);
      const message =
        (FORMAT_MESSAGES_FR as Record<string, string>)[format] ?? `${Label} n’a pas la forme attendue (${format}).`;
      return { rule: `format:${format}`, message };
    }
    case 'required':
      return { rule: 'required', message: `Saisissez ${fieldLabel(field)}.` };
    // TypeBox reports a property refused by `additionalProperties: false` as a false schema.
    case 'boolean':
    case 'additionalProperties':
      return {
        rule: 'additionalProperties',
        message: `Le champ « ${field.split('.').pop() ?? field} » n’est pas attendu ici.`,
      };
    case 'type':
      return { rule: `type:${String(p.type)}`, message: `${Label} n’a pas le type attendu (${String(p.type)}).` };
    case 'minLength':
      return { rule: 'minLength', message: `${Label} comporte au moins ${String(p.limit)} caractères.` };
    case 'maxLength':
      return { rule: 'maxLength', message: `${Label} comporte au plus ${String(p.limit)} caractères.` };
    case 'minItems':
      return {
        rule: 'minItems',
        message:
          Number(p.limit) <= 1
            ? `Choisissez ${fieldLabel(field)}.`
            : `Choisissez au moins ${String(p.limit)} éléments.`,
      };
    case 'maxItems':
      return { rule: 'maxItems', message: `${String(p.limit)} éléments au plus.` };
    case 'minimum':
    case 'maximum':
      return { rule: error.keyword, message: `${Label} doit être ${String(p.comparison)} ${String(p.limit)}.` };
    case 'minProperties':
      return { rule: 'minProperties', message: 'Remplissez au moins un champ.' };
    case 'pattern':
      return { rule: 'pattern', message: `${Label} n’a pas la forme attendue.` };
    case 'const':
    case 'anyOf':
    case 'enum':
      return { rule: 'enum', message: `Choisissez une des valeurs proposées pour ${fieldLabel(field)}.` };
    default:
      return { rule: error.keyword, message: error.message };
  }
}

/** Keyword noise that another, more precise error at the same place already explains. */
const NOISE = new Set(['const']);

/** Turn schema errors into one issue per field, French messages, rule codes stable for clients. */
export function schemaIssues(schema: TSchema, value: unknown, prefix = ''): ValidationIssue[] {
  const validator = validatorFor(schema);
  if (validator.Check(value)) return [];
  const errors = [...validator.Errors(value)] as unknown as SchemaError[];
  const byField = new Map<string, ValidationIssue>();
  const hasPrecise = new Set(errors.filter((e) => !NOISE.has(e.keyword)).map((e) => e.instancePath));
  for (const error of errors) {
    if (NOISE.has(error.keyword) && hasPrecise.has(error.instancePath)) continue;
    const extra =
      error.keyword === 'required'
        ? (error.params.requiredProperties as string[] | undefined)?.[0]
        : error.keyword === 'additionalProperties'
          ? (error.params.additionalProperties as string[] | undefined)?.[0]
          : undefined;
    const field = fieldPath(prefix, error.instancePath, extra);
    if (byField.has(field)) continue;
    byField.set(field, { field, ...frenchMessage(error, field) });
  }
  return [...byField.values()];
}

/** Validate or throw a ValidationError naming every broken field; returns the value typed. */
export function validate<S extends TSchema>(schema: S, value: unknown, prefix = ''): Static<S> {
  const issues = schemaIssues(schema, value, prefix);
  if (issues.length > 0) throw new ValidationError(issues);
  return value as Static<S>;
}
