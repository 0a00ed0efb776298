import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Keyring } from '../../crypto/index.ts';
import { FIELD_CLASS_LABELS_FR, type FieldClass, type PersonFile } from '../../domain/index.ts';
import { retireBankChanges } from '../../bank/index.ts';
import { retireExports } from '../../guard/index.ts';
import { lastUseOfPersons, retireIdentityRecords } from '../../identity/index.ts';
import { retireIncidentDocuments } from '../../incidents/index.ts';
import { retireMandates } from '../../mandates/index.ts';
import { retireMonthlyUpdates } from '../../updates/index.ts';
import { retirePaperLetters } from '../paper/retention.ts';
import {
  appendEvents,
  countPrunableBodies,
  pruneLedger,
  type EventInput,
  type EventKind,
  type Ledger,
} from '../../ledger/index.ts';
import { retireMessageRecords, type Notifier } from '../../notify/index.ts';
import { referralRetentionDays } from '../../policy/index.ts';
import {
  archiveClasses,
  chunks,
  eraseEmptied,
  inTransaction,
  locksRows,
  shredClasses,
  yieldToEventLoop,
  type Executor,
  retentionTriggerDates,
  type PersonStore,
  type RetentionTriggerDates,
  retireArchive,
} from '../../store/index.ts';
import { heldPersons, heldPersonsInForce } from './holds.ts';
import {
  activeRetentionRules,
  defaultRetentionRules,
  periodEnd,
  type RetentionFile,
  type RetentionRule,
} from './rules.ts';

/**
 * The purge (issue 24 §2), run daily by the `retention.purge` job and by `rempart retention purge`.
 * Files are walked in id order, a batch per transaction: for each rule of a person's classes, the
 * trigger is read (the dates the store derives from the registration and judicial classes —
 * src/store/retention-triggers.ts, no value leaves it — and an account's last sign-in, asked of
 * identity), the period added, and a class past it is crypto-shredded (src/store/shred.ts)
 * with a ledger event per person and rule, unless a litigation hold stands. A person is told
 * `noticeDays` before (once per person and rule; the address read through the access pipeline,
 * an access event under `retention_notice`): nothing goes before the notice has had that long. The run's cursor and counts commit with each batch, so a run killed halfway resumes after
 * its last committed batch, with the instant it evaluated at. A rule whose outcome is `archive`
 * moves the classes to the intermediate archive instead (src/store/archive.ts: sealed as they
 * were, out of every purpose's reach but the DPO's archive read; a `retention_archived` event per
 * person and rule). Then the records (sessions, old security events, the message queue, the
 * ledger's bodies, ended referrals, closed incidents' documents, finished bank changes, finished
 * exports, and the archive's own end), each rule one transaction and one event; those tied to a
 * person spare anyone under a litigation hold. A dry run evaluates the same way and
 * writes nothing. The report is counts per rule and class, never a value nor a name.
 */

export interface RetentionCounts {
  /** Classes (persons × class) or records destroyed or anonymised. */
  purged: number;
  /** Classes a hold kept. */
  held: number;
  /** Classes past their period whose notice has not had its delay yet. */
  awaitingNotice: number;
  /** Notices sent (persons). */
  noticesSent: number;
}

export interface RetentionReportLine extends RetentionCounts {
  rule: string;
  /** A field class, or a record kind. */
  subject: string;
  outcome: string;
}

export interface RetentionReport {
  dryRun: boolean;
  runId: string | null;
  resumed: boolean;
  asOf: string;
  rulesVersion: number;
  /** Files examined by this invocation. */
  scanned: number;
  /** Distinct persons with at least one class destroyed by this run. */
  personsPurged: number;
  /** Files left with no class, turned into tombstones. */
  personsErased: number;
  lines: RetentionReportLine[];
}

export interface PurgeOptions {
  persons: PersonStore;
  /** The keyring in force (the trigger dates are read in the store with it). */
  keyring: () => Keyring;
  notifier: Notifier;
  /**
   * The identity and contact a notice is addressed to, read through the access pipeline (an
   * access event under the notice's purpose, as the DPO's letters are): the composition root
   * passes `access.readAddress`. Without it, notices are recorded as unreachable.
   */
  address?: (
    personId: string,
    details: Record<string, string>,
  ) => Promise<Pick<PersonFile, 'identity' | 'contact'> | undefined>;
  ledger?: Ledger;
  now?: Date;
  dryRun?: boolean;
  batchSize?: number;
  /** Called after each batch with the files done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Stop after this many batches (tests of an interrupted run). */
  maxBatches?: number;
}

type Counts = Record<string, RetentionCounts & { outcome: string }>;

const key = (rule: string, subject: string) => `${rule}|${subject}`;

function bump(counts: Counts, rule: RetentionRule, subject: string, field: keyof RetentionCounts, n = 1): void {
  const k = key(rule.id, subject);
  counts[k] ??= { purged: 0, held: 0, awaitingNotice: 0, noticesSent: 0, outcome: rule.outcome };
  counts[k][field] += n;
}

/** When the person's trigger happened, or null when it has not (or the store cannot say). */
interface Triggers {
  registrationEnd: Date | null;
  release: Date | null;
  lastUse: Date | null;
}

function dateOf(day: string | undefined | null): Date | null {
  if (!day) return null;
  const d = new Date(day.length === 10 ? `${day}T00:00:00.000Z` : day);
  return Number.isNaN(d.getTime()) ? null : d;
}

function triggersOf(dates: RetentionTriggerDates | undefined, account: { last: string | null } | undefined): Triggers {
  return {
    registrationEnd: dateOf(dates?.registrationEnd),
    release: dateOf(dates?.release),
    lastUse: !dates?.registered && account ? dateOf(account.last) : null,
  };
}

function triggerDate(rule: RetentionRule, t: Triggers): Date | null {
  if (rule.trigger === 'registration_end') return t.registrationEnd;
  if (rule.trigger === 'release') return t.release;
  if (rule.trigger === 'last_use') return t.lastUse;
  return null;
}

/** The start of a period that ends at `end`: what is older than this is past it. */
function periodStart(end: Date, period: RetentionRule['period']): Date {
  if (period.days !== undefined) return new Date(end.getTime() - period.days * 86_400_000);
  return periodEnd(end, { months: -(period.months ?? 0) });
}

interface Planned {
  personId: string;
  rule: RetentionRule;
  classes: FieldClass[];
}

interface NoticeDue {
  personId: string;
  rule: RetentionRule;
  purgeOn: Date;
  /** The classes of the file the rule will destroy (their names go in the notice). */
  classes: FieldClass[];
}

/** The message that tells a person what is going and when; no value of their file, only the classes' names. */
function noticeText(
  rule: RetentionRule,
  classes: readonly FieldClass[],
  purgeOn: Date,
): { subject: string; body: string } {
  const day = purgeOn.toISOString().slice(0, 10).split('-').reverse().join('/');
  const archive = rule.outcome === 'archive';
  return {
    subject: archive ? 'Vos données seront bientôt archivées' : 'Vos données seront bientôt effacées',
    body: [
      'Madame, Monsieur,',
      '',
      `Les données suivantes de votre dossier arrivent au terme de leur durée de conservation : ${classes
        .map((c) => FIELD_CLASS_LABELS_FR[c])
        .join(', ')}.`,
      archive
        ? `À partir du ${day}, elles seront retirées de votre dossier et placées en archive intermédiaire, que seul le délégué à la protection des données peut consulter, avant leur effacement définitif (${rule.legalReference}).`
        : `Elles seront effacées définitivement à partir du ${day} (${rule.legalReference}).`,
      '',
      'Si votre situation a changé (une nouvelle inscription, une procédure en cours), ou pour toute question, écrivez avant cette date au délégué à la protection des données.',
    ].join('\n'),
  };
}

function postalTo(fields: PersonFile): string | undefined {
  const a = fields.contact?.address;
  if (!a) return undefined;
  const name = fields.identity ? `${fields.identity.firstNames[0] ?? ''} ${fields.identity.lastName}`.trim() : '';
  return [name, a.line1, a.line2, `${a.postalCode} ${a.commune}`].filter((l) => l).join('\n');
}

async function runState(db: Executor, dryRun: boolean, now: Date) {
  if (!dryRun) {
    const running = await db
      .selectFrom('retention_runs')
      .selectAll()
      .where('state', '=', 'running')
      .orderBy('started_at')
      .limit(1)
      .executeTakeFirst();
    if (running) {
      const saved = JSON.parse(running.counts) as Counts & { __totals?: { persons: number; erased: number } };
      const { __totals, ...counts } = saved;
      const rules =
        running.rules_version === 0
          ? defaultRetentionRules()
          : (JSON.parse(
              (
                await db
                  .selectFrom('retention_rule_sets')
                  .select('file')
                  .where('version', '=', running.rules_version)
                  .executeTakeFirstOrThrow()
              ).file,
            ) as RetentionFile);
      return {
        runId: running.id,
        resumed: true,
        asOf: new Date(running.as_of),
        rulesVersion: running.rules_version,
        rules,
        cursor: running.cursor,
        counts: counts as Counts,
        totals: __totals,
      };
    }
  }
  const active = await activeRetentionRules(db);
  return {
    runId: dryRun ? null : randomUUID(),
    resumed: false,
    asOf: now,
    rulesVersion: active.version,
    rules: active.file,
    cursor: '',
    counts: {} as Counts,
    totals: undefined,
  };
}

function serializeCounts(counts: Counts, totals: { persons: number; erased: number }): string {
  return JSON.stringify({ ...counts, __totals: totals });
}

export async function purgeRetention(db: Executor, options: PurgeOptions): Promise<RetentionReport> {
  const dryRun = options.dryRun ?? false;
  const state = await runState(db, dryRun, options.now ?? new Date());
  const { asOf, rules } = state;
  const counts: Counts = state.counts;
  const totals = state.totals ?? { persons: 0, erased: 0 };
  if (state.runId && !state.resumed) {
    await db
      .insertInto('retention_runs')
      .values({
        id: state.runId,
        started_at: new Date().toISOString(),
        as_of: asOf.toISOString(),
        state: 'running',
        rules_version: state.rulesVersion,
        cursor: '',
        counts: serializeCounts(counts, totals),
        finished_at: null,
      })
      .execute();
  }
  const personRules = rules.rules.filter((r) => r.record === 'person');
  const batchSize = options.batchSize ?? 1000;
  const month = asOf.toISOString().slice(0, 7);
  const total = Number(
    (
      await db
        .selectFrom('persons')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('status', '=', 'active')
        .where('id', '>', state.cursor)
        .executeTakeFirstOrThrow()
    ).n,
  );
  let cursor = state.cursor;
  let scanned = 0;
  let batches = 0;
  while (personRules.length > 0) {
    if (options.maxBatches !== undefined && batches >= options.maxBatches) break;
    const ids = (
      await db
        .selectFrom('persons')
        .select('id')
        .where('status', '=', 'active')
        .where('id', '>', cursor)
        .orderBy('id')
        .limit(batchSize)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) break;
    const last = ids[ids.length - 1]!;
    const { planned, notices } = await evaluate(db, options, ids, personRules, asOf, counts);
    // The addresses of the notices to send, through the access pipeline, before the batch's transaction.
    const addresses = new Map<string, Pick<PersonFile, 'identity' | 'contact'> | undefined>();
    if (!dryRun && options.address)
      for (const n of notices)
        if (!addresses.has(n.personId))
          addresses.set(n.personId, await options.address(n.personId, { rule: n.rule.id, run: state.runId! }));
    if (dryRun) {
      for (const p of planned) for (const c of p.classes) bump(counts, p.rule, c, 'purged');
      totals.persons += new Set(planned.map((p) => p.personId)).size;
      for (const n of notices) bump(counts, n.rule, '*', 'noticesSent');
    } else {
      await inTransaction(db, async (trx) => {
        // The files' rows locked (PostgreSQL), then the holds read again: a hold set meanwhile waits or is seen.
        if (locksRows(trx) && planned.length + notices.length > 0)
          await sql`SELECT id FROM persons WHERE id IN (${sql.join([...new Set([...planned, ...notices].map((p) => p.personId))])}) FOR UPDATE`.execute(
            trx,
          );
        const held = await heldPersons(trx, [...new Set([...planned, ...notices].map((p) => p.personId))]);
        const events: Array<{ kind: EventKind; input: EventInput }> = [];
        const touched = new Set<string>();
        // Destroy, rule by rule in the order they were decided: one statement per rule and batch.
        const byRule = new Map<RetentionRule, Planned[]>();
        for (const p of planned) {
          if (held.has(p.personId)) {
            for (const c of p.classes) bump(counts, p.rule, c, 'held');
            continue;
          }
          byRule.set(p.rule, [...(byRule.get(p.rule) ?? []), p]);
        }
        const gone = new Map<string, FieldClass[]>(); // `${person}|${rule}` → classes destroyed
        for (const rule of personRules) {
          const list = byRule.get(rule);
          if (!list) continue;
          const classes = [...new Set(list.flatMap((p) => p.classes))];
          const persons = list.map((p) => p.personId);
          const destroyed =
            rule.outcome === 'archive'
              ? await archiveClasses(trx, classes, persons, { ruleId: rule.id, at: asOf.toISOString() })
              : await shredClasses(trx, classes, persons);
          for (const d of destroyed) {
            // Every row deleted is recorded (one written since the batch was decided goes by the same rule).
            const k = `${d.personId}|${rule.id}`;
            gone.set(k, [...(gone.get(k) ?? []), d.fieldClass]);
            bump(counts, rule, d.fieldClass, 'purged');
            touched.add(d.personId);
          }
        }
        const stats = new Map<string, { rule: string; subject: string; outcome: string; count: number }>();
        for (const [k, classes] of gone) {
          const [personId, ruleId] = k.split('|') as [string, string];
          const rule = personRules.find((r) => r.id === ruleId)!;
          events.push({
            kind: rule.outcome === 'archive' ? 'retention_archived' : 'retention_purged',
            input: {
              personId,
              operation: rule.outcome === 'archive' ? 'archive' : 'purge',
              classes,
              details: { rule: rule.id, outcome: rule.outcome, run: state.runId, legalReference: rule.legalReference },
            },
          });
          for (const c of classes) {
            const s = stats.get(`${rule.id}|${c}`) ?? { rule: rule.id, subject: c, outcome: rule.outcome, count: 0 };
            s.count++;
            stats.set(`${rule.id}|${c}`, s);
          }
        }
        const emptied = await eraseEmptied(trx, [...touched], asOf.toISOString());
        totals.persons += touched.size;
        totals.erased += emptied.length;
        // Notices: once per person and rule (the primary key), sent with the batch's commit.
        const toNotify = notices.filter((n) => !held.has(n.personId));
        for (const n of toNotify) {
          const fields = addresses.get(n.personId) ?? {};
          const email = fields.contact?.email;
          const postal = postalTo(fields);
          const channel = email ? 'email' : postal ? 'letter' : 'none';
          const inserted = await trx
            .insertInto('retention_notices')
            .values({ person_id: n.personId, rule_id: n.rule.id, sent_at: asOf.toISOString(), channel })
            .onConflict((oc) => oc.columns(['person_id', 'rule_id']).doNothing())
            .executeTakeFirst();
          if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) continue;
          const classes = n.classes;
          if (channel !== 'none') {
            const text = noticeText(n.rule, classes, n.purgeOn);
            await options.notifier.deliver(
              {
                channel,
                to: (email ?? postal)!,
                ...text,
                idempotencyKey: `retention-notice-${n.personId}-${n.rule.id}`,
              },
              trx,
            );
            // A person who chose paper for all correspondence gets the e-mailed notice as a letter too.
            if (channel === 'email')
              await options.notifier.paper?.(
                { personId: n.personId, accountId: null, kind: 'retention_notice', ...text },
                trx,
              );
          }
          bump(counts, n.rule, '*', 'noticesSent');
          const s = stats.get(`${n.rule.id}|*notice`) ?? { rule: n.rule.id, subject: '*', outcome: 'notice', count: 0 };
          s.count++;
          stats.set(`${n.rule.id}|*notice`, s);
          events.push({
            kind: 'retention_notice_sent',
            input: {
              personId: n.personId,
              operation: 'notice',
              details: { rule: n.rule.id, channel, purgeOn: n.purgeOn.toISOString().slice(0, 10) },
            },
          });
        }
        for (const n of notices.filter((x) => held.has(x.personId))) bump(counts, n.rule, '*', 'held');
        await addStats(trx, month, [...stats.values()]);
        if (events.length) await appendEvents(trx, events);
        await trx
          .updateTable('retention_runs')
          .set({ cursor: last, counts: serializeCounts(counts, totals) })
          .where('id', '=', state.runId!)
          .execute();
      });
    }
    cursor = last;
    scanned += ids.length;
    batches++;
    options.onProgress?.(scanned, total);
    await yieldToEventLoop();
  }
  const interrupted = options.maxBatches !== undefined && batches >= options.maxBatches;
  if (!interrupted) await purgeRecords(db, rules, asOf, dryRun, counts, month, state.runId, options.ledger);
  if (!dryRun && !interrupted) {
    await inTransaction(db, async (trx) => {
      await trx
        .updateTable('retention_runs')
        .set({ state: 'done', finished_at: new Date().toISOString(), counts: serializeCounts(counts, totals) })
        .where('id', '=', state.runId!)
        .execute();
      await appendEvents(trx, [
        {
          kind: 'retention_run',
          input: {
            operation: 'purge',
            details: {
              run: state.runId,
              rulesVersion: state.rulesVersion,
              resumed: state.resumed,
              personsPurged: totals.persons,
              personsErased: totals.erased,
              classesPurged: Object.entries(counts)
                .filter(([k]) => personRules.some((r) => k.startsWith(`${r.id}|`)))
                .reduce((a, [, c]) => a + c.purged, 0),
            },
          },
        },
      ]);
    });
  }
  return {
    dryRun,
    runId: state.runId,
    resumed: state.resumed,
    asOf: asOf.toISOString(),
    rulesVersion: state.rulesVersion,
    scanned,
    personsPurged: totals.persons,
    personsErased: totals.erased,
    lines: Object.entries(counts)
      .map(([k, c]) => {
        const [rule, subject] = k.split('|') as [string, string];
        return {
          rule,
          subject,
          outcome: c.outcome,
          purged: c.purged,
          held: c.held,
          awaitingNotice: c.awaitingNotice,
          noticesSent: c.noticesSent,
        };
      })
      .sort((a, b) => (a.rule === b.rule ? a.subject.localeCompare(b.subject) : a.rule.localeCompare(b.rule))),
  };
}

/** Decide, for one batch of files, which classes go and who is told; nothing written. */
async function evaluate(
  db: Executor,
  options: Pick<PurgeOptions, 'persons' | 'keyring'>,
  ids: readonly string[],
  rules: readonly RetentionRule[],
  asOf: Date,
  counts: Counts,
): Promise<{ planned: Planned[]; notices: NoticeDue[] }> {
  const heldClasses = await options.persons.heldClasses(ids, db);
  const dates = rules.some((r) => r.trigger !== 'receipt')
    ? await retentionTriggerDates(db, options.keyring, ids)
    : new Map<string, RetentionTriggerDates>();
  const accounts = new Map<string, { last: string | null }>();
  if (rules.some((r) => r.trigger === 'last_use'))
    for (const [id, last] of await lastUseOfPersons(db, ids)) accounts.set(id, { last });
  const noticesFor = new Set<string>();
  for (const part of chunks([...ids], 1, 5_000)) {
    const rows = await db
      .selectFrom('retention_notices')
      .select(['person_id', 'rule_id', 'sent_at'])
      .where('person_id', 'in', part)
      .execute();
    for (const r of rows) noticesFor.add(`${r.person_id}|${r.rule_id}|${r.sent_at}`);
  }
  const noticeOf = (personId: string, ruleId: string): Date | null => {
    for (const k of noticesFor) {
      const [p, r, at] = k.split('|');
      if (p === personId && r === ruleId) return new Date(at!);
    }
    return null;
  };
  const held = await heldPersons(db, ids);
  const planned: Planned[] = [];
  const notices: NoticeDue[] = [];
  for (const id of ids) {
    const has = heldClasses.get(id) ?? new Set<FieldClass>();
    if (has.size === 0) continue;
    const triggers = triggersOf(dates.get(id), accounts.get(id));
    const taken = new Set<FieldClass>();
    for (const rule of rules) {
      const from = triggerDate(rule, triggers);
      if (!from) continue;
      const classes = (rule.classes ?? []).filter((c) => has.has(c) && !taken.has(c));
      if (classes.length === 0) continue;
      const expiry = periodEnd(from, rule.period);
      const noticeDays = rule.noticeDays ?? 0;
      const noticeAt = new Date(expiry.getTime() - noticeDays * 86_400_000);
      if (asOf < noticeAt) continue;
      if (held.has(id)) {
        for (const c of classes) bump(counts, rule, c, 'held');
        continue;
      }
      const told = noticeDays > 0 ? noticeOf(id, rule.id) : null;
      if (noticeDays > 0 && !told) {
        // Told now; the class goes once the notice has had its delay, and not before its period ends.
        const purgeOn = new Date(Math.max(expiry.getTime(), asOf.getTime() + noticeDays * 86_400_000));
        notices.push({ personId: id, rule, purgeOn, classes });
        if (asOf >= expiry) for (const c of classes) bump(counts, rule, c, 'awaitingNotice');
        continue;
      }
      if (asOf < expiry) continue;
      if (told && asOf.getTime() < told.getTime() + noticeDays * 86_400_000) {
        for (const c of classes) bump(counts, rule, c, 'awaitingNotice');
        continue;
      }
      planned.push({ personId: id, rule, classes });
      for (const c of classes) taken.add(c);
    }
  }
  return { planned, notices };
}

async function addStats(
  trx: Executor,
  month: string,
  rows: ReadonlyArray<{ rule: string; subject: string; outcome: string; count: number }>,
): Promise<void> {
  for (const r of rows) {
    if (r.count === 0) continue;
    await trx
      .insertInto('retention_stats')
      .values({ month, rule_id: r.rule, subject: r.subject, outcome: r.outcome, count: r.count })
      .onConflict((oc) =>
        oc
          .columns(['month', 'rule_id', 'subject', 'outcome'])
          .doUpdateSet((eb) => ({ count: eb('retention_stats.count', '+', eb.ref('excluded.count')) })),
      )
      .execute();
  }
}

/** The records' rules: each one a statement (or the ledger's own pruning), counted, with one event per rule. */
async function purgeRecords(
  db: Executor,
  rules: RetentionFile,
  asOf: Date,
  dryRun: boolean,
  counts: Counts,
  month: string,
  runId: string | null,
  ledger: Ledger | undefined,
): Promise<void> {
  for (const rule of rules.rules) {
    if (rule.record === 'person') continue;
    // A period from the agreements has no single cutoff: each organisation's is computed with its referrals.
    const cutoff = rule.period.fromAgreement ? asOf.toISOString() : periodStart(asOf, rule.period).toISOString();
    let n = 0;
    if (rule.record === 'ledger_bodies') {
      if (!ledger) continue;
      n = await countPrunableBodies(db, new Date(cutoff));
      // Pruning signs a checkpoint first: only when there is something to prune.
      if (!dryRun && n > 0) n = (await pruneLedger(db, ledger, new Date(cutoff), asOf)).pruned;
      bump(counts, rule, rule.record, 'purged', n);
      if (!dryRun && n > 0)
        await addStats(db, month, [{ rule: rule.id, subject: rule.record, outcome: rule.outcome, count: n }]);
      continue;
    }
    await inTransaction(db, async (trx) => {
      // The archive's rows are a person's classes: each person's destruction is an event of their journal.
      let archived: Array<{ personId: string; fieldClass: FieldClass }> = [];
      if (rule.record === 'referrals') n = await retireReferrals(trx, rule, asOf, dryRun);
      else if (rule.record === 'archive') {
        const keep = await heldPersonsInForce(trx, { lock: !dryRun });
        archived = await retireArchive(trx, { cutoff, keep, dryRun });
        n = archived.length;
      } else n = await recordStep(trx, rule, cutoff, dryRun);
      bump(counts, rule, rule.record, 'purged', n);
      if (dryRun || n === 0) return;
      await addStats(trx, month, [{ rule: rule.id, subject: rule.record, outcome: rule.outcome, count: n }]);
      const byPerson = new Map<string, FieldClass[]>();
      for (const a of archived) byPerson.set(a.personId, [...(byPerson.get(a.personId) ?? []), a.fieldClass]);
      await appendEvents(trx, [
        {
          kind: 'retention_records_purged',
          input: {
            operation: rule.outcome,
            details: { rule: rule.id, record: rule.record, count: n, before: cutoff, run: runId },
          },
        },
        ...[...byPerson].map(([personId, classes]) => ({
          kind: 'retention_purged' as const,
          input: {
            personId,
            operation: 'purge',
            classes: [...new Set(classes)],
            details: {
              rule: rule.id,
              outcome: rule.outcome,
              record: 'archive',
              run: runId,
              legalReference: rule.legalReference,
            },
          },
        })),
      ]);
    });
  }
}

/**
 * Referrals ended longer ago than the period: their rows go (the record that an organisation was
 * mandated to follow the person). With `fromAgreement`, each organisation's period is the one its
 * agreements in force give their referral purposes (`retentionDays`); an organisation without one
 * keeps its referrals (no agreement says how long).
 */
async function retireReferrals(trx: Executor, rule: RetentionRule, asOf: Date, dryRun: boolean): Promise<number> {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const cutoffs: Array<{ organisation: string | null; before: string }> = rule.period.fromAgreement
    ? [...(await referralRetentionDays(trx))].map(([organisation, days]) => ({
        organisation,
        before: day(new Date(asOf.getTime() - days * 86_400_000)),
      }))
    : [{ organisation: null, before: day(periodStart(asOf, rule.period)) }];
  let n = 0;
  for (const c of cutoffs) {
    let q = trx.selectFrom('referrals').where('status', '=', 'ended').where('ends_on', '<', c.before);
    if (c.organisation) q = q.where('organisation_id', '=', c.organisation);
    if (dryRun) {
      n += Number((await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      continue;
    }
    let d = trx.deleteFrom('referrals').where('status', '=', 'ended').where('ends_on', '<', c.before);
    if (c.organisation) d = d.where('organisation_id', '=', c.organisation);
    n += Number((await d.executeTakeFirst()).numDeletedRows);
  }
  return n;
}

async function recordStep(trx: Executor, rule: RetentionRule, cutoff: string, dryRun: boolean): Promise<number> {
  const anonymise = rule.outcome === 'anonymise';
  switch (rule.record) {
    case 'sessions':
    case 'security_events':
      return retireIdentityRecords(trx, { record: rule.record, cutoff, anonymise, dryRun });
    case 'notices':
    case 'letters':
      return retireMessageRecords(trx, {
        channels: rule.record === 'letters' ? ['letter'] : ['email', 'sms'],
        cutoff,
        anonymise,
        dryRun,
      });
    // Records tied to persons: none of a person under a litigation hold (the holds locked until the commit).
    case 'incident_documents':
      return retireIncidentDocuments(trx, { cutoff, keep: await heldPersonsInForce(trx, { lock: !dryRun }), dryRun });
    case 'bank_changes':
      return retireBankChanges(trx, { cutoff, keep: await heldPersonsInForce(trx, { lock: !dryRun }), dryRun });
    case 'exports':
      return retireExports(trx, { cutoff, dryRun });
    case 'paper_letters':
      return retirePaperLetters(trx, { cutoff, keep: await heldPersonsInForce(trx, { lock: !dryRun }), dryRun });
    case 'monthly_updates':
      return retireMonthlyUpdates(trx, { cutoff, keep: await heldPersonsInForce(trx, { lock: !dryRun }), dryRun });
    case 'mandates':
      return retireMandates(trx, { cutoff, keep: await heldPersonsInForce(trx, { lock: !dryRun }), dryRun });
    default:
      return 0;
  }
}

/** The statistics: counts per year-month, rule, subject and outcome, nothing finer. */
export async function retentionStatistics(
  db: Executor,
): Promise<Array<{ month: string; rule: string; subject: string; outcome: string; count: number }>> {
  const rows = await db
    .selectFrom('retention_stats')
    .selectAll()
    .orderBy('month')
    .orderBy('rule_id')
    .orderBy('subject')
    .execute();
  return rows.map((r) => ({
    month: r.month,
    rule: r.rule_id,
    subject: r.subject,
    outcome: r.outcome,
    count: Number(r.count),
  }));
}
