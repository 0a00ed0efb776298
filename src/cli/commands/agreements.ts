import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Type } from 'typebox';
import { validate } from '../../domain/index.ts';
import {
  findAgreementVersion,
  importAgreement,
  type AgreementFile,
  type ImportedAgreement,
} from '../../policy/index.ts';
import { regenerateRegister } from '../../privacy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { readJsonOption } from '../options.ts';

const ImportOptionsSchema = Type.Object({ file: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const ExportOptionsSchema = Type.Object(
  {
    reference: Type.String({ minLength: 2, maxLength: 64 }),
    version: Type.Optional(Type.Integer({ minimum: 1 })),
    output: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/** Who imported, as the security event names it: the operator's system account on this machine. */
function operator(): string {
  try {
    return `ligne de commande (${userInfo().username})`;
  } catch {
    return 'ligne de commande';
  }
}

export async function runAgreementsImport(runtime: Runtime, raw: unknown): Promise<ImportedAgreement> {
  const { file } = validate(ImportOptionsSchema, raw);
  const imported = await importAgreement(runtime.database.db, readJsonOption(file, 'file'), {
    by: operator(),
    // The Art. 30 register is regenerated and versioned in the import's transaction (issue 24).
    within: async (trx, done) => {
      await regenerateRegister(trx, `agreement:${done.reference}:v${done.version}`);
    },
  });
  process.stdout.write(
    `Convention ${imported.reference} version ${imported.version} importée et active (${imported.id})` +
      (imported.replaced !== null ? ` ; la version ${imported.replaced} prend fin.\n` : '.\n'),
  );
  return imported;
}

export async function runAgreementsExport(runtime: Runtime, raw: unknown): Promise<AgreementFile> {
  const options = validate(ExportOptionsSchema, raw);
  const found = await findAgreementVersion(runtime.database.db, options.reference, options.version);
  const text = `${JSON.stringify(found.file, null, 2)}\n`;
  if (options.output) {
    writeFileSync(options.output, text, { mode: 0o644 });
    process.stderr.write(
      `Convention ${found.file.reference} version ${found.file.version} (${found.status}) écrite dans ${options.output}.\n`,
    );
  } else {
    process.stdout.write(text);
  }
  return found.file;
}
