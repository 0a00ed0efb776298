import { Type } from 'typebox';
import { validate } from '../../domain/index.ts';
import type { Runtime } from '../../runtime/index.ts';

const EraseSchema = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

export async function runPersonErase(runtime: Runtime, raw: unknown): Promise<number> {
  const { id } = validate(EraseSchema, raw);
  const { shreddedKeys } = await runtime.persons.erase(id);
  process.stdout.write(`Dossier ${id} effacé : ${shreddedKeys} clés de données détruites ; ses valeurs ne pourront plus jamais être lues.\n`);
  return shreddedKeys;
}
