import { randomUUID } from 'node:crypto';
import type { Keyring } from '../crypto/index.ts';
import { NotFoundError, type Clock, type FieldClass, type PersonFile } from '../domain/index.ts';
import { appendEvents, ledgerSize, type EventKind } from '../ledger/index.ts';
import { maskAddress, type Notifier } from '../notify/index.ts';
import {
  chunks,
  inTransaction,
  type Executor,
  type IncidentNoticesTable,
  type IncidentsTable,
  type PersonStore,
} from '../store/index.ts';
import type { ScopeProgress } from './blast-radius.ts';
import { nextVersion, storeDocument } from './documents.ts';
import { frenchDate, noticeEmail, noticeLetter, postalBlock, type NoticeFacts } from './notice-text.ts';
import { renderLetters, type Letter } from './pdf.ts';

export interface NoticeDeps {
  db: Executor;
  keyring: () => Keyring;
  persons: PersonStore;
  notifier: Notifier;
  clock: Clock;
  /** The controller's name and the DPO's contact, as notices and the CNIL draft print them. */
  controller: string;
  dpoContact: string;
}

export type RecordStep = (
  trx: Executor,
  incidentId: string,
  kind: EventKind,
  accountId: string | null,
  summary: string,
  details: Record<string, string | number | boolean | null>,
  documentId?: string | null,
) => Promise<void>;

export interface NoticeRun {
  batches: number;
  emailsSent: number;
  lettersPrinted: number;
  noAddress: number;
  failed: number;
  /** Notices still to send (a run stopped by `maxBatches`, or by a fault). */
  remaining: number;
}

export interface NoticeStatus {
  planned: number;
  byStatus: Partial<Record<IncidentNoticesTable['status'], number>>;
  byChannel: Record<'email' | 'letter', Partial<Record<IncidentNoticesTable['status'], number>>>;
}

const SENDER = [
  'France Travail — Délégué à la protection des données',
  'Rempart, registre des violations de données',
  'TSA 00000 — 75000 PARIS',
];
const UNFINISHED: ReadonlyArray<IncidentNoticesTable['status']> = ['pending', 'sending'];

/**
 * Art. 34 notices: one per exposed person and channel (an email where the file has one, a
 * printable letter for everyone), planned once, then sent by a batch job that can stop and
 * resume at any point without sending twice: an email is marked `sending` before it goes and
 * carries its notice id as idempotency key (the gateway, or the outbox folder, drops a second
 * delivery of the same key); a batch of letters and the notices it prints commit together.
 */
export class NoticeBatch {
  readonly #deps: NoticeDeps;
  readonly #step: RecordStep;

  constructor(deps: NoticeDeps, step: RecordStep) {
    this.#deps = deps;
    this.#step = step;
  }

  /** One notice per real exposed person and channel; planning twice adds only the persons new to the scope. */
  async plan(row: IncidentsTable, by: { accountId: string | null }): Promise<{ planned: number; already: number }> {
    const db = this.#deps.db;
    const at = this.#deps.clock.now().toISOString();
    const persons = (
      await db
        .selectFrom('incident_exposures')
        .select('person_id')
        .where('incident_id', '=', row.id)
        .where('decoy', '=', 0)
        .orderBy('person_id')
        .execute()
    ).map((r) => r.person_id);
    const before = await this.#count(row.id);
    const added = await inTransaction(db, async (trx) => {
      const rows = persons.flatMap((personId) =>
        (['email', 'letter'] as const).map((channel) => ({
          id: randomUUID(),
          incident_id: row.id,
          person_id: personId,
          channel,
          status: 'pending' as const,
          attempts: 0,
          to_masked: null,
          document_id: null,
          page: null,
          error: null,
          planned_at: at,
          updated_at: at,
        })),
      );
      for (const part of chunks(rows, 12))
        await trx
          .insertInto('incident_notices')
          .values(part)
          .onConflict((oc) => oc.columns(['incident_id', 'person_id', 'channel']).doNothing())
          .execute();
      const inserted = (await this.#count(row.id, trx)) - before;
      await this.#step(
        trx,
        row.id,
        'incident_notices_planned',
        by.accountId,
        `Avis aux personnes planifiés : ${inserted / 2} personne(s) (courriel et courrier)`,
        { persons: inserted / 2, notices: inserted },
      );
      return inserted;
    });
    return { planned: added / 2, already: before / 2 };
  }

  async #count(incidentId: string, executor: Executor = this.#deps.db): Promise<number> {
    const r = await executor
      .selectFrom('incident_notices')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('incident_id', '=', incidentId)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async status(incidentId: string): Promise<NoticeStatus> {
    const rows = await this.#deps.db
      .selectFrom('incident_notices')
      .select(['channel', 'status', (eb) => eb.fn.countAll<string | number>().as('n')])
      .where('incident_id', '=', incidentId)
      .groupBy(['channel', 'status'])
      .execute();
    const out: NoticeStatus = { planned: 0, byStatus: {}, byChannel: { email: {}, letter: {} } };
    for (const r of rows) {
      const n = Number(r.n);
      out.planned += n;
      out.byStatus[r.status] = (out.byStatus[r.status] ?? 0) + n;
      out.byChannel[r.channel][r.status] = n;
    }
    out.planned /= 2;
    return out;
  }

  /** Send what is left, a batch at a time; `maxBatches` stops early (the rest waits for the next run). */
  async run(
    row: IncidentsTable,
    by: { accountId: string | null },
    options: { batchSize?: number; maxBatches?: number; progress?: ScopeProgress } = {},
  ): Promise<NoticeRun> {
    const db = this.#deps.db;
    const batchSize = options.batchSize ?? 500;
    const left = async () =>
      Number(
        (
          await db
            .selectFrom('incident_notices')
            .select((eb) => eb.fn.countAll<string | number>().as('n'))
            .where('incident_id', '=', row.id)
            .where('status', 'in', UNFINISHED)
            .executeTakeFirst()
        )?.n ?? 0,
      );
    const total = await left();
    options.progress?.start(total);
    const result: NoticeRun = {
      batches: 0,
      emailsSent: 0,
      lettersPrinted: 0,
      noAddress: 0,
      failed: 0,
      remaining: total,
    };
    let done = 0;
    const measures = (
      await db
        .selectFrom('incident_steps')
        .select('summary')
        .where('incident_id', '=', row.id)
        .where('kind', '=', 'incident_action')
        .orderBy('position')
        .execute()
    ).map((s) => s.summary);
    try {
      while (options.maxBatches === undefined || result.batches < options.maxBatches) {
        const batch = await db
          .selectFrom('incident_notices')
          .selectAll()
          .where('incident_id', '=', row.id)
          .where('status', 'in', UNFINISHED)
          .orderBy('person_id')
          .orderBy('channel')
          .limit(batchSize)
          .execute();
        if (batch.length === 0) break;
        await this.#send(row, batch, measures, by, result);
        result.batches++;
        done += batch.length;
        options.progress?.update(done);
      }
    } finally {
      options.progress?.stop();
      result.remaining = await left();
    }
    return result;
  }

  async #send(
    row: IncidentsTable,
    batch: readonly IncidentNoticesTable[],
    measures: readonly string[],
    by: { accountId: string | null },
    result: NoticeRun,
  ): Promise<void> {
    const db = this.#deps.db;
    const now = () => this.#deps.clock.now().toISOString();
    const personIds = [...new Set(batch.map((n) => n.person_id))];
    const exposures = new Map(
      (
        await db
          .selectFrom('incident_exposures')
          .select(['person_id', 'classes', 'first_at', 'last_at'])
          .where('incident_id', '=', row.id)
          .where('person_id', 'in', personIds)
          .execute()
      ).map((e) => [e.person_id, e]),
    );
    // Reading the persons' identity and contact to write to them is an access like any other: recorded first.
    await appendEvents(
      db,
      personIds.map((personId) => ({
        kind: 'access_granted' as const,
        input: {
          accountId: by.accountId,
          personId,
          purpose: 'incident_notification',
          operation: 'incident_notice',
          classes: ['identity', 'contact'],
          details: { incident: row.reference },
        },
      })),
    );
    const files = new Map<string, PersonFile | undefined>();
    for (const personId of personIds) {
      try {
        files.set(personId, (await this.#deps.persons.read(personId, ['identity', 'contact'])).fields);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        files.set(personId, undefined);
      }
    }
    const factsOf = (n: IncidentNoticesTable): NoticeFacts => {
      const e = exposures.get(n.person_id)!;
      return {
        reference: row.reference,
        controller: this.#deps.controller,
        dpoContact: this.#deps.dpoContact,
        period: `${frenchDate(e.first_at)} et le ${frenchDate(e.last_at)}`,
        classes: JSON.parse(e.classes) as FieldClass[],
        measures: measures.length ? [...measures] : ['Les accès du compte utilisé ont été coupés.'],
        date: frenchDate(n.planned_at),
      };
    };
    const mark = (ids: readonly string[], set: Partial<IncidentNoticesTable>, executor: Executor = db) =>
      ids.length
        ? executor
            .updateTable('incident_notices')
            .set({ ...set, updated_at: now() })
            .where('id', 'in', [...ids])
            .execute()
        : Promise.resolve([]);

    // Emails: marked as going out (attempt counted) before they go; each carries its notice id.
    const emails = batch.filter((n) => n.channel === 'email');
    const unreachable = emails.filter((n) => !files.get(n.person_id)?.contact?.email);
    await mark(
      unreachable.map((n) => n.id),
      { status: 'no_address' },
    );
    result.noAddress += unreachable.length;
    const sendable = emails.filter((n) => files.get(n.person_id)?.contact?.email);
    for (const part of chunks(sendable, 1, 500)) {
      await db
        .updateTable('incident_notices')
        .set((eb) => ({ status: 'sending', attempts: eb('attempts', '+', 1), updated_at: now() }))
        .where(
          'id',
          'in',
          part.map((n) => n.id),
        )
        .execute();
    }
    for (const n of sendable) {
      const file = files.get(n.person_id)!;
      const to = file.contact!.email!;
      const message = noticeEmail(factsOf(n), file.identity);
      await this.#deps.notifier.deliver({
        channel: 'email',
        to,
        subject: message.subject,
        body: message.body,
        idempotencyKey: `incident-notice:${n.id}`,
      });
      await mark([n.id], { status: 'sent', to_masked: maskAddress('email', to), error: null });
      result.emailsSent++;
    }

    // Letters: one PDF per batch, stored with the notices it prints in one transaction.
    const letters = batch.filter((n) => n.channel === 'letter');
    const printable: Array<{ notice: IncidentNoticesTable; letter: Letter; block: string[] }> = [];
    const noAddress: string[] = [];
    for (const n of letters) {
      const file = files.get(n.person_id);
      const block = file ? postalBlock(file.identity, file.contact) : undefined;
      if (!file || !block) noAddress.push(n.id);
      else printable.push({ notice: n, letter: noticeLetter(factsOf(n), file.identity, block), block });
    }
    await mark(noAddress, { status: 'no_address' });
    result.noAddress += noAddress.length;
    if (printable.length) {
      const asOf = new Date(printable[0]!.notice.planned_at);
      // Rendered before the transaction (no lock held meanwhile); the unique version stops a concurrent run's duplicate.
      const version = await nextVersion(db, row.id, 'letters_pdf');
      const rendered = await renderLetters(
        asOf,
        `Courriers ${row.reference} — lot ${version}`,
        SENDER,
        printable.map((p) => p.letter),
      );
      await inTransaction(db, async (trx) => {
        const size = await ledgerSize(trx);
        const doc = await storeDocument(trx, this.#deps.keyring(), {
          incidentId: row.id,
          kind: 'letters_pdf',
          version,
          title: `Courriers ${row.reference} — lot ${version} (${printable.length} lettres)`,
          mediaType: 'application/pdf',
          createdAt: now(),
          createdBy: by.accountId,
          ledgerSize: size,
          content: rendered.content,
        });
        for (const [i, p] of printable.entries()) {
          await trx
            .updateTable('incident_notices')
            .set({
              status: 'printed',
              attempts: p.notice.attempts + 1,
              document_id: doc.id,
              page: rendered.startPages[i]!,
              to_masked: maskAddress('letter', p.block.join('\n')),
              updated_at: now(),
            })
            .where('id', '=', p.notice.id)
            .execute();
        }
        await this.#step(
          trx,
          row.id,
          'incident_notice_sent',
          by.accountId,
          `Lot ${version} d’avis : ${sendable.length} courriel(s) envoyé(s), ${printable.length} courrier(s) imprimé(s) (${rendered.pages} pages)`,
          {
            emails: sendable.length,
            letters: printable.length,
            pages: rendered.pages,
            noAddress: unreachable.length + noAddress.length,
          },
          doc.id,
        );
      });
      result.lettersPrinted += printable.length;
    } else if (sendable.length || unreachable.length || noAddress.length) {
      await inTransaction(db, (trx) =>
        this.#step(
          trx,
          row.id,
          'incident_notice_sent',
          by.accountId,
          `Lot d’avis : ${sendable.length} courriel(s) envoyé(s), aucun courrier imprimable`,
          { emails: sendable.length, letters: 0, noAddress: unreachable.length + noAddress.length },
        ),
      );
    }
  }
}
