import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import {
  FIELD_CLASSES,
  schemaIssues,
  ValidationError,
  type FieldClass,
  type ValidationIssue,
} from '../../domain/index.ts';
import { appendEvent, canonicalJson, LEDGER_MIN_RETENTION_DAYS } from '../../ledger/index.ts';
import { inTransaction, type Executor } from '../../store/index.ts';

/**
 * Retention rules as data (issue 24 §2): one JSON file, `rempart.retention/v1`, validated like an
 * agreement file (typebox, every broken field named), imported as numbered versions; the highest
 * version imported is in force, and the file shipped beside this module (retention-rules.json,
 * the Code du travail's defaults) until one is. A rule says what it keeps (a person's classes or a
 * kind of record), from which event (the trigger), how long (days or months, like an agreement
 * purpose's `retentionDays`), what happens then (the outcome), on which legal ground, and how
 * long before a person's data goes they are told.
 */
export const RETENTION_FORMAT = 'rempart.retention/v1';

/**
 * What a rule keeps: a person's classes, or records of one kind. `archive` is the intermediate
 * archive itself (the classes a rule moved there): its rule says when they are destroyed.
 */
export const RETENTION_RECORDS = [
  'person',
  'sessions',
  'security_events',
  'notices',
  'letters',
  'ledger_bodies',
  'referrals',
  'incident_documents',
  'bank_changes',
  'exports',
  'archive',
  'paper_letters',
  'monthly_updates',
  'mandates',
] as const;
export type RetentionRecord = (typeof RETENTION_RECORDS)[number];

/**
 * The event a period runs from. With data in the store: `registration_end` (the registration
 * class says `deregistered` and since when), `release` (every justice measure of the judicial
 * class has ended: the latest end), `last_use` (a person never registered: their online account's
 * last sign-in, or its creation), `receipt` (a record's own date: for an incident's document, its
 * date and its incident's closing — an open incident keeps them all; for a bank change, the day it
 * was applied or rejected — one under way is kept; for an export, its expiry or refusal; for the
 * archive, the day the class was archived), `mandate_end` (the end of a
 * referral, the mandate a partner organisation holds to follow a person: for `referrals`; the end
 * of a mandate the person gave a France Services aidant — expired, withdrawn or never confirmed:
 * for `mandates`). Other mandates a person gives a third party (a representative, a guardian) are
 * not held, so `mandate_end` is refused for anything else.
 */
export const RETENTION_TRIGGERS = ['registration_end', 'release', 'last_use', 'receipt', 'mandate_end'] as const;
export type RetentionTrigger = (typeof RETENTION_TRIGGERS)[number];
const PERSON_TRIGGERS: ReadonlySet<RetentionTrigger> = new Set(['registration_end', 'release', 'last_use']);

/**
 * `delete`: a person's class is crypto-shredded (its row, which holds its own data key, is
 * destroyed), a record is deleted (the sealed ones — incident documents, bank changes, archived
 * classes — hold their own data key: crypto-shredded too). `anonymise`: a record loses what names
 * or locates someone and stays counted. `archive`: a person's class moves to the intermediate
 * archive (archivage intermédiaire) as it was sealed, out of every purpose's reach but the DPO's
 * archive read, until the rule of record `archive` destroys it.
 */
export const RETENTION_OUTCOMES = ['delete', 'anonymise', 'archive'] as const;
export type RetentionOutcome = (typeof RETENTION_OUTCOMES)[number];
const ANONYMISABLE: ReadonlySet<RetentionRecord> = new Set(['sessions', 'security_events', 'notices', 'letters']);

const Slug = Type.String({
  pattern: '^[a-z][a-z0-9_]{1,62}$',
  description: 'identifiant en minuscules, chiffres et _',
});

export const RetentionRuleSchema = Type.Object(
  {
    id: Slug,
    label: Type.String({ minLength: 1, maxLength: 200 }),
    record: Type.Enum(RETENTION_RECORDS),
    classes: Type.Optional(
      Type.Array(Type.Enum(FIELD_CLASSES), { minItems: 1, maxItems: FIELD_CLASSES.length, description: 'classes' }),
    ),
    trigger: Type.Enum(RETENTION_TRIGGERS),
    period: Type.Object(
      {
        days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 * 50, description: 'jours, positif' })),
        months: Type.Optional(Type.Integer({ minimum: 1, maximum: 12 * 50, description: 'mois, positif' })),
        /**
         * The period the agreements already carry (for `referrals`): the organisation's agreements in
         * force say it, as the longest `retentionDays` of their purposes that work through referrals.
         */
        fromAgreement: Type.Optional(Type.Literal(true)),
      },
      { additionalProperties: false },
    ),
    outcome: Type.Enum(RETENTION_OUTCOMES),
    legalReference: Type.String({ minLength: 3, maxLength: 500 }),
    noticeDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 365 })),
  },
  { additionalProperties: false },
);

export const RetentionFileSchema = Type.Object(
  {
    format: Type.Literal(RETENTION_FORMAT),
    version: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    rules: Type.Array(RetentionRuleSchema, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);

export type RetentionFile = Static<typeof RetentionFileSchema>;
export type RetentionRule = Static<typeof RetentionRuleSchema>;

/** Rough length of a period in days, to compare two periods (never to compute a date). */
function approximateDays(period: RetentionRule['period']): number {
  return period.days ?? Math.round((period.months ?? 0) * 30.44);
}

/** When a period that runs from `from` ends: calendar months (the 31st to the last day of a shorter month) or days. */
export function periodEnd(from: Date, period: RetentionRule['period']): Date {
  if (period.days !== undefined) return new Date(from.getTime() + period.days * 86_400_000);
  const months = period.months ?? 0;
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const out = new Date(from.getTime());
  out.setUTCFullYear(y, m, Math.min(from.getUTCDate(), lastDay));
  return out;
}

/** The class whose value a person trigger is read from: a rule that destroys it must be the last of its trigger. */
const TRIGGER_SOURCE: Partial<Record<RetentionTrigger, FieldClass>> = {
  registration_end: 'registration',
  release: 'judicial',
};

function semanticIssues(file: RetentionFile, prefix: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (field: string, rule: string, message: string) =>
    issues.push({ field: prefix ? `${prefix}.${field}` : field, rule, message });
  const seen = new Set<string>();
  file.rules.forEach((rule, i) => {
    const p = `rules.${i}`;
    if (seen.has(rule.id)) at(`${p}.id`, 'unique', 'règle déjà déclarée dans ce fichier');
    seen.add(rule.id);
    const units = [rule.period.days, rule.period.months, rule.period.fromAgreement].filter(
      (v) => v !== undefined,
    ).length;
    if (units !== 1)
      at(
        `${p}.period`,
        'one_of:days,months,fromAgreement',
        'une durée, une seule : en jours (days), en mois (months) ou celle des conventions (fromAgreement)',
      );
    if (rule.period.fromAgreement && rule.record !== 'referrals')
      at(`${p}.period.fromAgreement`, 'referrals', 'la durée des conventions ne vaut que pour les orientations');
    if (rule.trigger === 'mandate_end' && rule.record !== 'referrals' && rule.record !== 'mandates')
      at(
        `${p}.trigger`,
        'data',
        'la base ne tient de mandats que les orientations vers un partenaire (referrals) et les mandats donnés à un aidant (mandates)',
      );
    if (rule.record === 'mandates' && rule.trigger !== 'mandate_end')
      at(`${p}.trigger`, 'mandates', 'un mandat se compte de sa fin : mandate_end');
    if (rule.record === 'referrals' && rule.trigger !== 'mandate_end')
      at(`${p}.trigger`, 'referrals', 'une orientation se compte de sa fin : mandate_end');
    if (rule.record === 'person') {
      if (!rule.classes) at(`${p}.classes`, 'required', 'les classes du dossier que la règle concerne');
      if (rule.trigger !== 'mandate_end' && !PERSON_TRIGGERS.has(rule.trigger))
        at(`${p}.trigger`, 'person', 'pour un dossier : registration_end, release ou last_use');
      if (rule.outcome === 'anonymise')
        at(
          `${p}.outcome`,
          'person',
          'une classe d’un dossier est détruite (delete) ou archivée (archive) ; anonymise vaut pour les enregistrements',
        );
    } else {
      if (rule.outcome === 'archive')
        at(
          `${p}.outcome`,
          'archive',
          'l’archivage intermédiaire vaut pour les classes d’un dossier (record: person) : delete',
        );
      if (rule.classes)
        at(`${p}.classes`, 'person_only', 'des classes ne se donnent que pour un dossier (record: person)');
      if (rule.record !== 'referrals' && rule.trigger !== 'receipt' && rule.trigger !== 'mandate_end')
        at(`${p}.trigger`, 'record', 'pour un enregistrement : receipt (sa date)');
      if (rule.outcome === 'anonymise' && !ANONYMISABLE.has(rule.record))
        at(`${p}.outcome`, 'anonymise', 'cet enregistrement ne s’anonymise pas : delete');
    }
    if (rule.record === 'ledger_bodies' && approximateDays(rule.period) < LEDGER_MIN_RETENTION_DAYS)
      at(
        `${p}.period`,
        `retention.min:${LEDGER_MIN_RETENTION_DAYS}d`,
        `le journal est conservé au moins ${LEDGER_MIN_RETENTION_DAYS} jours`,
      );
    rule.classes?.forEach((c, j) => {
      if (rule.classes!.indexOf(c) !== j) at(`${p}.classes.${j}`, 'unique', 'classe déjà présente dans la liste');
    });
  });
  // The trigger's own class must outlive the other classes of its trigger, or their period could no longer be read.
  file.rules.forEach((rule, i) => {
    const source = TRIGGER_SOURCE[rule.trigger];
    if (rule.record !== 'person' || !source || !rule.classes?.includes(source)) return;
    const longer = file.rules.find(
      (other) =>
        other !== rule &&
        other.record === 'person' &&
        other.trigger === rule.trigger &&
        approximateDays(other.period) > approximateDays(rule.period),
    );
    if (longer)
      at(
        `rules.${i}.period`,
        'trigger_source',
        `la classe ${source}, d’où se lit le déclencheur, doit être gardée aussi longtemps que la règle ${longer.id}`,
      );
  });
  return issues;
}

/** The file, checked field by field; a ValidationError names every broken field (`rules.0.period.days`). */
export function validateRetentionFile(raw: unknown, prefix = ''): RetentionFile {
  const issues = schemaIssues(RetentionFileSchema, raw, prefix);
  if (issues.length > 0) throw new ValidationError(issues);
  const file = raw as RetentionFile;
  const more = semanticIssues(file, prefix);
  if (more.length > 0) throw new ValidationError(more);
  return file;
}

let defaults: RetentionFile | undefined;

/** The rules shipped with Rempart (retention-rules.json), in force until a file is imported. */
export function defaultRetentionRules(): RetentionFile {
  defaults ??= validateRetentionFile(
    JSON.parse(readFileSync(new URL('./retention-rules.json', import.meta.url), 'utf8')) as unknown,
  );
  return defaults;
}

/** The rules in force and their version (0: the shipped defaults). */
export async function activeRetentionRules(db: Executor): Promise<{ version: number; file: RetentionFile }> {
  const row = await db
    .selectFrom('retention_rule_sets')
    .select(['version', 'file'])
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return { version: 0, file: defaultRetentionRules() };
  return { version: row.version, file: JSON.parse(row.file) as RetentionFile };
}

/**
 * Import a rules file: validated first (nothing written on a bad file), then exactly the next
 * version, in one transaction with its ledger event.
 */
export async function importRetentionRules(
  db: Executor,
  raw: unknown,
  options: { by: string; accountId?: string | null; now?: Date },
): Promise<{ version: number; rules: number }> {
  const file = validateRetentionFile(raw);
  const now = options.now ?? new Date();
  return inTransaction(db, async (trx) => {
    const latest = await trx
      .selectFrom('retention_rule_sets')
      .select('version')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    const expected = (latest?.version ?? 0) + 1;
    if (file.version !== expected)
      throw new ValidationError([
        {
          field: 'version',
          rule: 'sequence',
          message: `version ${expected} attendue (la dernière importée est la ${latest?.version ?? 0})`,
        },
      ]);
    await trx
      .insertInto('retention_rule_sets')
      .values({
        version: file.version,
        file: canonicalJson(file),
        imported_at: now.toISOString(),
        imported_by: options.by,
      })
      .execute();
    await appendEvent(trx, 'retention_rules_imported', {
      accountId: options.accountId ?? null,
      at: now,
      details: { version: file.version, rules: file.rules.length, by: options.by },
    });
    return { version: file.version, rules: file.rules.length };
  });
}
