import type { Kysely } from 'kysely';
import { parseBody, type EventBody } from '../../src/ledger/index.ts';
import type { Schema } from '../../src/store/index.ts';

/**
 * A ledger event flattened the way assertions read it: who (account, actor, organisation,
 * address), what (person, purpose, case, operation, classes joined by commas) and the details,
 * all in `details`, with the stored body alongside.
 */
export interface FlatEvent {
  id: string;
  kind: string;
  at: string;
  seq: number | null;
  account_id: string | null;
  address: string | null;
  details: Record<string, unknown>;
  body: EventBody;
}

export function flatten(body: EventBody, seq: number | null = null): FlatEvent {
  const details: Record<string, unknown> = { ...body.details };
  const put = (key: string, value: unknown) => {
    if (value !== null && value !== undefined && !(key in details)) details[key] = value;
  };
  put('personId', body.person);
  put('purpose', body.purpose);
  put('caseReference', body.caseReference);
  put('operation', body.operation);
  if (body.classes.length) put('classes', body.classes.join(','));
  put('actorId', body.restricted.actor);
  put('organisationId', body.organisation);
  return {
    id: body.id,
    kind: body.kind,
    at: body.at,
    seq,
    account_id: body.restricted.account,
    address: body.restricted.address,
    details,
    body,
  };
}

/** Events of the ledger, oldest first, optionally of one kind. */
export async function ledgerEvents(db: Kysely<Schema>, kind?: string): Promise<FlatEvent[]> {
  let query = db.selectFrom('ledger_events').select(['body', 'seq']);
  if (kind) query = query.where('kind', '=', kind);
  const rows = await query.orderBy('at').orderBy('id').execute();
  return rows.map((row) => flatten(parseBody(row.body), row.seq === null ? null : Number(row.seq)));
}

/** Everything the ledger holds, as text: for "no secret in any event" assertions. */
export async function ledgerText(db: Kysely<Schema>): Promise<string> {
  const rows = await db.selectFrom('ledger_events').selectAll().execute();
  return JSON.stringify(rows);
}
