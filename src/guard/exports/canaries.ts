import { createHmac, hkdfSync, randomInt, randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { Keyring } from '../../crypto/index.ts';
import { nirControlKey, type PersonFile } from '../../domain/index.ts';
import { chunks, lookupDigest, type Executor } from '../../store/index.ts';
import { NIR_CAPACITY, syntheticPerson } from '../synthetic/person.ts';
import { randomDraw } from '../synthetic/random-draw.ts';

/**
 * Canary rows: synthetic persons generated for one export only and mixed into its file, never
 * in the persons table. Their identifiers are digested (HMAC under a key of the keyring) and
 * kept with the export, so that any row of a leaked file names the export it came from.
 */

export const CANARIES_PER_EXPORT = 3;

/** The identifiers of a canary row that are digested, by column of the file. */
const IDENTIFIER_COLUMNS = {
  id: 'id',
  nir: 'nir.nir',
  email: 'contact.email',
  france_travail_id: 'registration.franceTravailId',
} as const;
export type CanaryKind = keyof typeof IDENTIFIER_COLUMNS;

export interface CanaryRow {
  id: string;
  file: PersonFile;
}

function canaryKey(keyring: Keyring): Buffer {
  return Buffer.from(hkdfSync('sha256', keyring.guardKey(), Buffer.alloc(0), 'rempart/guard/export-canary/v1', 32));
}

/** One spelling whatever a spreadsheet did to the cell: case, spaces, dots, a stray apostrophe. */
function canonical(value: string): string {
  return value.normalize('NFC').replace(/^'/, '').replace(/[\s.]/g, '').toLowerCase();
}

export function canaryDigest(keyring: Keyring, value: string): Buffer {
  return createHmac('sha256', canaryKey(keyring)).update(canonical(value), 'utf8').digest();
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Is this identifier some real person's? (Checked through the blind indexes, nothing decrypted.) */
async function taken(
  db: Executor,
  keyring: Keyring,
  kind: 'nir' | 'email' | 'france_travail_id',
  value: string,
): Promise<boolean> {
  return (
    (await db
      .selectFrom('person_lookups')
      .select('person_id')
      .where('kind', '=', kind)
      .where('digest', '=', lookupDigest(keyring, kind, value))
      .executeTakeFirst()) !== undefined
  );
}

/**
 * A plausible file from the generator of the decoys and the demo's population (French names,
 * communes, careers), drawn from the system's randomness, with fresh identifiers: a NIR with a
 * valid key, a France Travail id (7 digits and a letter) and an address at demo.rempart.example,
 * none of them any real person's. The NIR's place of birth and the address's number are drawn
 * from the exported rows, so that a canary does not stand out among them.
 */
async function oneCanary(
  db: Executor,
  keyring: Keyring,
  templates: readonly PersonFile[],
  population: number,
): Promise<CanaryRow> {
  for (;;) {
    const seed = randomInt(1_000_000, 2 ** 31 - 1);
    const index = randomInt(0, NIR_CAPACITY);
    const { file } = syntheticPerson(randomDraw(), seed, index);
    const template = templates.length ? templates[randomInt(0, templates.length)] : undefined;
    const generatedNir = file.nir!.nir;
    const birth = file.identity!.birthDate;
    // Sex and birth year and month from the canary's identity; department and commune of birth from a real row.
    const place = template?.nir?.nir.slice(5, 10) ?? generatedNir.slice(5, 10);
    const body = `${generatedNir[0]}${birth.slice(2, 4)}${birth.slice(5, 7)}${place}${pad(randomInt(1, 1000), 3)}`;
    const nir = body + nirControlKey(body);
    if (template?.nir && template.identity?.birthPlace)
      file.identity = { ...file.identity!, birthPlace: template.identity.birthPlace };
    const local = file.contact!.email!.split('@')[0]!.replace(/\.\d+$/, '');
    const email = `${local}.${randomInt(0, Math.max(1, population))}@demo.rempart.example`;
    const franceTravailId = `${pad(randomInt(0, 10_000_000), 7)}${String.fromCharCode(65 + randomInt(0, 26))}`;
    if (
      (await taken(db, keyring, 'nir', nir)) ||
      (await taken(db, keyring, 'email', email)) ||
      (await taken(db, keyring, 'france_travail_id', franceTravailId))
    )
      continue;
    file.nir = { nir };
    file.contact = { ...file.contact!, email };
    file.registration = { ...file.registration!, franceTravailId };
    return { id: randomUUID(), file };
  }
}

/** `templates`: the exported rows, whose shape the canaries borrow. */
export async function generateCanaries(
  db: Executor,
  keyring: Keyring,
  templates: readonly PersonFile[],
  count = CANARIES_PER_EXPORT,
): Promise<CanaryRow[]> {
  const population = Number(
    (
      await db
        .selectFrom('persons')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  const out: CanaryRow[] = [];
  for (let i = 0; i < count; i++) out.push(await oneCanary(db, keyring, templates, population));
  return out;
}

/** The rows of `export_canaries` for these canaries: only the identifiers that the file shows. */
export function canaryDigestRows(
  keyring: Keyring,
  exportId: string,
  canaries: readonly CanaryRow[],
  columns: readonly string[],
) {
  const shown = new Set(columns);
  return canaries.flatMap((canary, n) =>
    (Object.entries(IDENTIFIER_COLUMNS) as Array<[CanaryKind, string]>)
      .filter(([, column]) => shown.has(column))
      .map(([kind]) => {
        const value =
          kind === 'id'
            ? canary.id
            : kind === 'nir'
              ? canary.file.nir!.nir
              : kind === 'email'
                ? canary.file.contact!.email!
                : canary.file.registration!.franceTravailId;
        return { export_id: exportId, canary: n, kind, digest: canaryDigest(keyring, value) };
      }),
  );
}

/** Every distinct cell of a CSV (comma, semicolon or tab separated), or of plain text when it does not parse. */
export function cellsOf(text: string): string[] {
  let rows: string[][];
  try {
    rows = parse(text, {
      delimiter: [',', ';', '\t'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      bom: true,
      trim: true,
    }) as string[][];
  } catch {
    rows = text.split(/\r?\n/).map((line) => line.split(/[,;\t]/));
  }
  const cells = new Set<string>();
  for (const row of rows) for (const value of row) if (value && value.length <= 254) cells.add(value.trim());
  return [...cells];
}

export interface CanaryMatch {
  exportId: string;
  /** Canary rows of that export found in the text. */
  canaries: number;
  /** Identifiers that matched (id, nir, email, france_travail_id). */
  kinds: string[];
}

/** The exports whose canary identifiers appear in `text`. */
export async function matchCanaries(db: Executor, keyring: Keyring, text: string): Promise<CanaryMatch[]> {
  const digests = [
    ...new Map(
      cellsOf(text).map((cell) => {
        const d = canaryDigest(keyring, cell);
        return [d.toString('hex'), d] as const;
      }),
    ).values(),
  ];
  const found = new Map<string, { canaries: Set<number>; kinds: Set<string> }>();
  for (const part of chunks(digests, 1, 1000)) {
    if (part.length === 0) continue;
    const rows = await db
      .selectFrom('export_canaries')
      .select(['export_id', 'canary', 'kind'])
      .where('digest', 'in', part)
      .execute();
    for (const row of rows) {
      const entry = found.get(row.export_id) ?? { canaries: new Set<number>(), kinds: new Set<string>() };
      entry.canaries.add(Number(row.canary));
      entry.kinds.add(row.kind);
      found.set(row.export_id, entry);
    }
  }
  return [...found.entries()].map(([exportId, m]) => ({
    exportId,
    canaries: m.canaries.size,
    kinds: [...m.kinds].sort(),
  }));
}
