import { Type } from 'typebox';
import { validate } from '../../domain/index.ts';
import { appendEvent } from '../../ledger/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { inTransaction } from '../../store/index.ts';

const EraseSchema = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

export async function runPersonErase(runtime: Runtime, raw: unknown): Promise<number> {
  const { id } = validate(EraseSchema, raw);
  const { shreddedKeys } = await inTransaction(runtime.database.db, async (trx) => {
    const erased = await runtime.persons.erase(id, trx);
    await appendEvent(trx, 'person_erased', {
      personId: id,
      operation: 'erase',
      details: { shreddedKeys: erased.shreddedKeys, via: 'cli' },
    });
    return erased;
  });
  process.stdout.write(
    `Dossier ${id} effacé : ${shreddedKeys} clés de données détruites ; ses valeurs ne pourront plus jamais être lues.\n`,
  );
  return shreddedKeys;
}
