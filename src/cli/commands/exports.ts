import { readFileSync, writeFileSync } from 'node:fs';
import { Type } from 'typebox';
import { validate, ValidationError } from '../../domain/index.ts';
import { expireExports, openExportFile, traceLeak, type LeakTrace } from '../../guard/index.ts';
import type { Runtime } from '../../runtime/index.ts';

function readOption(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new ValidationError([{ field, rule: 'file.readable', message: 'fichier illisible ou introuvable' }]);
  }
}

/** Where a named field of the library becomes the option it came from. */
function asOption<T>(work: () => Promise<T>, fields: Record<string, string>): Promise<T> {
  return work().catch((error: unknown) => {
    if (error instanceof ValidationError)
      throw new ValidationError(error.issues.map((i) => ({ ...i, field: fields[i.field.split('.')[0]!] ?? i.field })));
    throw error;
  });
}

const OpenSchema = Type.Object(
  {
    file: Type.String({ minLength: 1 }),
    passphrase: Type.Optional(Type.String({ minLength: 1 })),
    out: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/**
 * `rempart exports open --file F --passphrase P [--out F]`: what the recipient runs on the
 * envelope it downloaded. Needs no database and no keyring. The passphrase can also come from
 * REMPART_EXPORT_PASSPHRASE, out of the process list.
 */
export async function runExportsOpen(raw: unknown): Promise<string> {
  const options = validate(OpenSchema, raw);
  const passphrase = options.passphrase ?? process.env.REMPART_EXPORT_PASSPHRASE;
  if (!passphrase)
    throw new ValidationError([
      {
        field: '--passphrase',
        rule: 'required',
        message: 'la phrase de passe reçue avec l’export est nécessaire (ou REMPART_EXPORT_PASSPHRASE)',
      },
    ]);
  const envelope = readOption(options.file, '--file');
  const csv = await asOption(() => openExportFile(envelope, passphrase), {
    file: '--file',
    passphrase: '--passphrase',
  });
  if (options.out) {
    writeFileSync(options.out, csv, { mode: 0o600 });
    process.stderr.write(
      `Export déchiffré dans ${options.out} (${csv.split('\n').filter(Boolean).length - 1} ligne(s)).\n`,
    );
  } else process.stdout.write(csv);
  return csv;
}

/** `rempart exports trace --file F`: which export a file found somewhere comes from. */
export async function runExportsTrace(runtime: Runtime, raw: unknown): Promise<LeakTrace[]> {
  const options = validate(Type.Object({ file: Type.String({ minLength: 1 }) }, { additionalProperties: false }), raw);
  const text = readOption(options.file, '--file');
  const traces = await traceLeak({ db: runtime.database.db, keyring: runtime.keyring }, text, null);
  if (traces.length === 0)
    process.stdout.write(
      'Aucune ligne témoin reconnue : ce fichier ne provient d’aucun export de Rempart (ou ses lignes témoins en ont été retirées).\n',
    );
  for (const t of traces) {
    process.stdout.write(
      [
        `Export ${t.exportId}`,
        `  destinataire : ${t.recipientName} (${t.recipientOrganisationId})`,
        `  finalité : ${t.purpose}`,
        `  demandé par ${t.requestedBy} le ${t.requestedAt}${t.approvedBy ? `, approuvé par ${t.approvedBy} le ${t.approvedAt}` : ''}`,
        `  lignes témoins retrouvées : ${t.canaryRows} (identifiants : ${t.identifiers.join(', ')})`,
      ].join('\n') + '\n',
    );
  }
  return traces;
}

/** `rempart exports expire`: delete the files past their date (downloads do it as well). */
export async function runExportsExpire(runtime: Runtime): Promise<string[]> {
  const expired = await expireExports(runtime.database.db, runtime.clock.now());
  process.stdout.write(`${expired.length} export(s) expiré(s) : fichier(s) supprimé(s).\n`);
  return expired;
}
