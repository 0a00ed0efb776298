import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
import { readKeyring, writeKeyringFile } from '../../crypto/index.ts';
import { validate, ValidationError } from '../../domain/index.ts';
import {
  importRetentionRules,
  liftRetentionHold,
  purgeRetention,
  retentionStatistics,
  retireKeyVersions,
  setRetentionHold,
  type RetentionReport,
} from '../../privacy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { progressBar } from '../progress.ts';
import { OperatorError } from './keys.ts';

/** The operator, as the ledger names the command line. */
const BY = 'cli';

/** The purpose a notice's address is read under (its access event names it). */
export const RETENTION_NOTICE_PURPOSE = 'retention_notice';

const PurgeOptionsSchema = Type.Object(
  {
    dryRun: Type.Optional(Type.Boolean()),
    /** Injected time (tests, a rehearsal): ISO 8601. */
    asOf: Type.Optional(Type.String({ format: 'date-time' })),
    batch: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  },
  { additionalProperties: false },
);

/** The report: counts per rule and class, never a value nor a name. */
export function printRetentionReport(report: RetentionReport, out: (line: string) => void): void {
  out(
    `${report.dryRun ? 'Simulation (rien n’est écrit)' : 'Purge'} au ${report.asOf.slice(0, 10)} — règles version ${report.rulesVersion}${report.resumed ? ' — reprise d’une purge interrompue' : ''}`,
  );
  out(
    `  dossiers examinés ${report.scanned} ; personnes concernées ${report.personsPurged} ; dossiers vidés ${report.personsErased}`,
  );
  out(
    `  ${'règle'.padEnd(34)} ${'objet'.padEnd(18)} ${'issue'.padEnd(10)} ${'détruit'.padStart(8)} ${'gelé'.padStart(6)} ${'en avis'.padStart(8)} ${'avis'.padStart(6)}`,
  );
  for (const l of report.lines)
    out(
      `  ${l.rule.padEnd(34)} ${(l.subject === '*' ? '(avis)' : l.subject).padEnd(18)} ${l.outcome.padEnd(10)} ${String(l.purged).padStart(8)} ${String(l.held).padStart(6)} ${String(l.awaitingNotice).padStart(8)} ${String(l.noticesSent).padStart(6)}`,
    );
}

export async function runRetentionPurge(runtime: Runtime, raw: unknown): Promise<RetentionReport> {
  const options = validate(PurgeOptionsSchema, raw);
  let bar: ReturnType<typeof progressBar> | undefined;
  const report = await purgeRetention(runtime.database.db, {
    persons: runtime.persons,
    keyring: () => runtime.keyring,
    notifier: runtime.notifier,
    address: (personId, details) => runtime.access.readAddress(null, personId, RETENTION_NOTICE_PURPOSE, details),
    ledger: runtime.ledger,
    dryRun: options.dryRun ?? false,
    ...(options.asOf ? { now: new Date(options.asOf) } : {}),
    ...(options.batch ? { batchSize: options.batch } : {}),
    onProgress: (done, total) => {
      bar ??= progressBar(options.dryRun ? 'Conservation : simulation' : 'Conservation : purge', total);
      bar.update(done);
    },
  });
  bar?.stop();
  printRetentionReport(report, (line) => process.stdout.write(`${line}\n`));
  return report;
}

export async function runRetentionRulesImport(runtime: Runtime, path: string): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new OperatorError(
      `Fichier de règles illisible (${path}) : ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const imported = await importRetentionRules(runtime.database.db, raw, { by: BY });
  process.stdout.write(`Règles de conservation version ${imported.version} en vigueur (${imported.rules} règles).\n`);
}

export async function runRetentionHold(runtime: Runtime, raw: { personId: string; reason: string }): Promise<void> {
  const hold = await setRetentionHold(runtime.database.db, raw, { who: BY });
  process.stdout.write(`Gel ${hold.id} posé : aucune règle de conservation ne touchera ce dossier jusqu’à sa levée.\n`);
}

export async function runRetentionLift(runtime: Runtime, holdId: string): Promise<void> {
  await liftRetentionHold(runtime.database.db, holdId, { who: BY });
  process.stdout.write(`Gel ${holdId} levé.\n`);
}

export async function runRetentionStats(runtime: Runtime): Promise<void> {
  for (const s of await retentionStatistics(runtime.database.db))
    process.stdout.write(
      `${s.month}  ${s.rule.padEnd(34)} ${s.subject.padEnd(18)} ${s.outcome.padEnd(10)} ${s.count}\n`,
    );
}

const RetireSchema = Type.Object(
  {
    oldestBackup: Type.String({ format: 'date' }),
    windowDays: Type.Integer({ minimum: 1, maximum: 3650 }),
    asOf: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

/** `keys retire`: drop the master key versions no kept backup needs (see src/privacy/retention/keys.ts). */
export async function runKeysRetire(runtime: Runtime, raw: unknown): Promise<number> {
  const options = validate(RetireSchema, raw);
  const source = runtime.config.keyring;
  if (source.kind !== 'file')
    throw new OperatorError(
      'Le trousseau vient de la variable REMPART_KEYRING : le retrait doit écrire un nouveau trousseau ; utilisez REMPART_KEYRING_FILE.',
    );
  const oldestBackup = new Date(`${options.oldestBackup}T00:00:00.000Z`);
  if (Number.isNaN(oldestBackup.getTime()))
    throw new ValidationError([{ field: 'oldestBackup', rule: 'date', message: 'date invalide' }]);
  // The keyring as it is on disk now (a rotation may have written a newer one than this process loaded).
  const outcome = await retireKeyVersions(runtime.database.db, readKeyring(source), {
    oldestBackup,
    windowDays: options.windowDays,
    by: BY,
    ...(options.asOf ? { now: new Date(options.asOf) } : {}),
  });
  if (outcome.retired.length) writeKeyringFile(source.path, outcome.keyring);
  for (const r of outcome.retired) process.stdout.write(`  ${r.fieldClass.padEnd(13)} version ${r.version} retirée\n`);
  for (const k of outcome.kept)
    process.stdout.write(
      `  ${k.fieldClass.padEnd(13)} version ${k.version} gardée : ${k.reason === 'in_use' ? 'encore utilisée (terminez keys rotate)' : 'une sauvegarde gardée en a besoin'}\n`,
    );
  process.stdout.write(
    `${outcome.retired.length} version(s) de clé retirée(s) ; une sauvegarde plus ancienne ne pourra plus être ouverte.\n`,
  );
  return outcome.retired.length;
}
