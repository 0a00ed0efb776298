import { Type } from 'typebox';
import { writeKeyringFile, type Keyring } from '../../crypto/index.ts';
import { FIELD_CLASSES, type FieldClass, validate } from '../../domain/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { countStaleDataKeys, recordKeyring, rewrapDataKeys } from '../../store/index.ts';
import { progressBar } from '../progress.ts';

const RotateOptionsSchema = Type.Object(
  { class: Type.Optional(Type.Enum(FIELD_CLASSES)) },
  { additionalProperties: false },
);

export class OperatorError extends Error {}

async function staleCounts(
  runtime: Runtime,
  keyring: Keyring,
  classes: readonly FieldClass[],
): Promise<Map<FieldClass, number>> {
  const counts = new Map<FieldClass, number>();
  for (const c of classes) counts.set(c, await countStaleDataKeys(runtime.database.db, keyring, c));
  return counts;
}

/**
 * Add a key version (per class) and rewrap every data key under it; values are not touched.
 * If a previous rotation was interrupted (stale keys remain under an older version), the
 * command resumes it instead of adding yet another version.
 */
export async function runKeysRotate(
  runtime: Runtime,
  raw: unknown,
): Promise<{ rewrapped: number; resumed: boolean; classes: FieldClass[] }> {
  const options = validate(RotateOptionsSchema, raw);
  const source = runtime.config.keyring;
  if (source.kind !== 'file') {
    throw new OperatorError(
      'Le trousseau vient de la variable REMPART_KEYRING : la rotation doit écrire un nouveau trousseau ; utilisez REMPART_KEYRING_FILE.',
    );
  }
  const classes: FieldClass[] = options.class ? [options.class] : [...FIELD_CLASSES];
  let keyring = runtime.keyring;
  let pending = await staleCounts(runtime, keyring, classes);
  const resumed = [...pending.values()].some((n) => n > 0);
  if (resumed) {
    process.stderr.write('Rotation interrompue détectée : reprise du réemballage sans nouvelle version.\n');
  } else {
    for (const c of classes) keyring = keyring.withNewVersion(c);
    // The new keyring is durable before any data key depends on it.
    writeKeyringFile(source.path, keyring);
    await recordKeyring(runtime.database.db, keyring);
    pending = await staleCounts(runtime, keyring, classes);
  }
  const total = [...pending.values()].reduce((a, b) => a + b, 0);
  const bar = progressBar('Réemballage des clés de données', total);
  let rewrapped = 0;
  for (const c of classes) {
    rewrapped += await rewrapDataKeys(runtime.database.db, keyring, c, { onBatch: (n) => bar.increment(n) });
  }
  bar.stop();
  // Versions no row uses any more, from now: `keys retire` drops them once no kept backup is older.
  await (await import('../../privacy/index.ts')).recordUnusedKeyVersions(runtime.database.db, keyring);
  for (const c of classes) process.stdout.write(`  ${c.padEnd(13)} version active ${keyring.activeVersion(c)}\n`);
  process.stdout.write(
    `${rewrapped} clés de données réemballées${resumed ? ' (reprise)' : ''} ; aucune valeur rechiffrée.\n`,
  );
  return { rewrapped, resumed, classes };
}

export async function runKeysStatus(runtime: Runtime): Promise<void> {
  const keyring = runtime.keyring;
  process.stdout.write(`Trousseau ${keyring.id}\n`);
  for (const c of FIELD_CLASSES) {
    const stale = await countStaleDataKeys(runtime.database.db, keyring, c);
    process.stdout.write(
      `  ${c.padEnd(13)} version active ${keyring.activeVersion(c)} (versions ${keyring.versions(c).join(', ')})${stale ? ` — ${stale} clés à réemballer` : ''}\n`,
    );
  }
}
