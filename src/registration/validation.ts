import {
  canonicalNewPerson,
  schemaIssues,
  ValidationError,
  type PersonFile,
  type ValidationIssue,
} from '../domain/index.ts';
import { RegistrationInputSchema, type RegistrationChannelKind, type RegistrationInput } from './model.ts';

/** Job seekers are 16 or older (the end of compulsory schooling). */
const MINIMUM_AGE = 16;

/**
 * The whole registration checked at once: the schema, then the rules across fields (the NIR
 * against the identity, the hours of a reduced activity, dates in order, an age to work), then
 * what the channel needs. Every broken rule names its field in French; nothing is written on a
 * refusal (the caller has not started). Returns the input in canonical form.
 */
export function validateRegistration(
  raw: unknown,
  channel: RegistrationChannelKind,
  today: string,
  prefix = 'body',
): RegistrationInput {
  const at = (field: string) => (prefix ? `${prefix}.${field}` : field);
  const schema = schemaIssues(RegistrationInputSchema, raw, prefix);
  if (schema.length) throw new ValidationError(schema);
  const input = raw as RegistrationInput;
  const issues: ValidationIssue[] = [];

  // The NIR's rules against the identity are the person store's; its field is ours.
  let canonical: PersonFile = { identity: input.identity, contact: input.contact };
  try {
    canonical = canonicalNewPerson({ ...canonical, ...(input.nir ? { nir: { nir: input.nir } } : {}) });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues.map((i) => ({ ...i, field: at(i.field === 'nir.nir' ? 'nir' : i.field) })));
  }

  const birth = input.identity.birthDate;
  if (birth > today)
    issues.push({
      field: at('identity.birthDate'),
      rule: 'date.future',
      message: 'La date de naissance est dans le futur.',
    });
  else if (birth > shiftYears(today, -MINIMUM_AGE))
    issues.push({
      field: at('identity.birthDate'),
      rule: 'age.minimum',
      message: `L’inscription comme demandeur d’emploi est ouverte à partir de ${MINIMUM_AGE} ans.`,
    });
  else if (birth < '1900-01-01')
    issues.push({
      field: at('identity.birthDate'),
      rule: 'date.past',
      message: 'La date de naissance est trop ancienne.',
    });

  const { situation } = input;
  if (situation.kind === 'reduced_activity' && situation.hoursLastMonth === undefined)
    issues.push({
      field: at('situation.hoursLastMonth'),
      rule: 'required',
      message: 'Saisissez le nombre d’heures travaillées le mois dernier.',
    });
  if (situation.kind !== 'reduced_activity' && situation.hoursLastMonth !== undefined)
    issues.push({
      field: at('situation.hoursLastMonth'),
      rule: 'situation.hours_without_activity',
      message: 'Les heures travaillées ne se déclarent que pour une activité réduite.',
    });

  input.experience.forEach((e, i) => {
    if (e.from > today)
      issues.push({
        field: at(`experience.${i}.from`),
        rule: 'date.future',
        message: 'La date de début d’une expérience ne peut pas être dans le futur.',
      });
    if (e.to !== undefined && e.to < e.from)
      issues.push({
        field: at(`experience.${i}.to`),
        rule: 'date.order',
        message: 'La date de fin d’une expérience précède sa date de début.',
      });
  });

  if (channel === 'online') {
    if (input.nir === undefined)
      issues.push({
        field: at('nir'),
        rule: 'required',
        message: 'Saisissez votre numéro de sécurité sociale (sans NIR, inscrivez-vous auprès de votre agence).',
      });
    if (input.contact.email === undefined)
      issues.push({ field: at('contact.email'), rule: 'required', message: 'Saisissez l’adresse électronique.' });
  } else if (input.contact.email === undefined && input.contact.address === undefined)
    issues.push({
      field: at('contact'),
      rule: 'contact.reachable',
      message: 'Saisissez une adresse postale ou une adresse électronique : la personne doit pouvoir être jointe.',
    });

  if (issues.length) throw new ValidationError(issues);
  return {
    ...input,
    contact: canonical.contact ?? input.contact,
    ...(canonical.nir ? { nir: canonical.nir.nir } : {}),
  };
}

function shiftYears(day: string, years: number): string {
  const [y, rest] = [Number(day.slice(0, 4)), day.slice(4)];
  return `${String(y + years).padStart(4, '0')}${rest}`;
}
