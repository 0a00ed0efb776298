import { randomUUID } from 'node:crypto';
import { openSecret, sealSecret, type Keyring } from '../crypto/index.ts';
import { ConflictError, NotFoundError } from '../domain/index.ts';
import { appendEvent, eventById, eventsByIds, parseBody, type EventBody } from '../ledger/index.ts';
import { inTransaction, type Executor } from '../store/index.ts';
import { organisationNames } from './activity.ts';
import { JOURNAL_KINDS } from './journal.ts';

const COMMENT_PURPOSE = 'access_report_comment';

export interface AccessReport {
  id: string;
  at: string;
  personId: string;
  eventId: string;
  status: string;
}

/**
 * "Signaler un accès suspect": the job seeker points at one event of their own journal; the
 * report (their words sealed like any personal value) and its ledger event commit together.
 * Reporting someone else's event is answered as if it did not exist; twice is a 409.
 */
export async function reportAccess(
  db: Executor,
  keyring: Keyring,
  input: { accountId: string; personId: string; eventId: string; comment?: string },
): Promise<{ report: AccessReport; event: EventBody }> {
  const row = await eventById(db, input.eventId);
  if (
    !row ||
    row.personId !== input.personId ||
    !(JOURNAL_KINDS as readonly string[]).includes(row.kind) ||
    row.kind === 'access_reported'
  ) {
    throw new NotFoundError('Aucun accès de votre journal ne porte cet identifiant.');
  }
  const id = randomUUID();
  const at = new Date().toISOString();
  const comment = input.comment?.trim()
    ? sealSecret(keyring, id, COMMENT_PURPOSE, Buffer.from(input.comment.trim(), 'utf8'))
    : undefined;
  return inTransaction(db, async (trx) => {
    const inserted = await trx
      .insertInto('access_reports')
      .values({
        id,
        at,
        person_id: input.personId,
        account_id: input.accountId,
        event_id: input.eventId,
        comment: comment ? Buffer.concat([Buffer.from([comment.version]), comment.sealed]) : null,
        status: 'open',
      })
      .onConflict((oc) => oc.columns(['account_id', 'event_id']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1)
      throw new ConflictError(
        'Vous avez déjà signalé cet accès ; le délégué à la protection des données l’examine.',
        'already_reported',
      );
    await appendEvent(trx, 'access_reported', {
      accountId: input.accountId,
      personId: input.personId,
      operation: 'report',
      details: { reportId: id, eventId: input.eventId },
    });
    return {
      report: { id, at, personId: input.personId, eventId: input.eventId, status: 'open' },
      event: parseBody(row.body),
    };
  });
}

export interface ReportForDpo extends AccessReport {
  comment: string | null;
  /** The whole reported event, who and from where included: the DPO investigates it. */
  event: EventBody | null;
  /** The name of the organisation the reported access was made for. */
  organisationName: string | null;
}

/** The DPO's queue of reports, newest first, with each reported event in full (one question to the log for all). */
export async function listAccessReports(
  db: Executor,
  keyring: Keyring,
  options: { limit?: number } = {},
): Promise<ReportForDpo[]> {
  const rows = await db
    .selectFrom('access_reports')
    .select(['id', 'at', 'person_id', 'event_id', 'status', 'comment'])
    .orderBy('at', 'desc')
    .limit(options.limit ?? 100)
    .execute();
  // The reported events are the log's, and the organisations' names the network's: asked for the whole page at once.
  const events = await eventsByIds(
    db,
    rows.map((r) => r.event_id),
  );
  const names = await organisationNames(
    db,
    [...events.values()].map((e) => e.organisationId),
  );
  return rows.map((row) => ({
    id: row.id,
    at: row.at,
    personId: row.person_id,
    eventId: row.event_id,
    status: row.status,
    comment: row.comment
      ? openSecret(keyring, row.id, COMMENT_PURPOSE, {
          version: row.comment[0]!,
          sealed: row.comment.subarray(1),
        }).toString('utf8')
      : null,
    event: events.has(row.event_id) ? parseBody(events.get(row.event_id)!.body) : null,
    organisationName: nameOf(names, events.get(row.event_id)?.organisationId),
  }));
}

function nameOf(names: ReadonlyMap<string, string>, organisationId: string | null | undefined): string | null {
  return organisationId ? (names.get(organisationId) ?? null) : null;
}
