import { sql } from 'kysely';
import { disableInactiveStaffAccounts, runRecertificationSchedule } from '../identity/index.ts';
import { expireExports, freshDecoyFile, maintainDecoys } from '../guard/index.ts';
import {
  InProcessJobRunner,
  JOB_PERIODS,
  PgBossJobRunner,
  purgeRuns,
  type JobHooks,
  type JobName,
  type JobRunner,
  type JobSpec,
} from '../jobs/index.ts';
import { LedgerUpkeep } from '../ledger/index.ts';
import { purgeRetention } from '../privacy/index.ts';
import type { Runtime } from './index.ts';

const DAY_SECONDS = 86_400;

/** Runs of a job kept this long (they are the record of what background work did, and when). */
const KEEP_RUNS_DAYS = 7;
/** Sent messages' queue rows kept this long (their trace stays in `notifications`). */
const KEEP_SENT_MESSAGES_DAYS = 30;

/**
 * Every piece of the fleet's background work, as jobs run once per period across the processes
 * on the store. Each is idempotent (a slot may be retried): it works from the store's state
 * (what is due, what is pending), never from what a previous run said.
 */
export function backgroundJobs(runtime: Runtime, log: (message: string) => void): JobSpec[] {
  const { config, database, ledger, bank, messages } = runtime;
  const db = database.db;
  const period = (name: JobName) =>
    config.jobPeriods[name] ?? (name === 'ledger.checkpoint' ? config.checkpointSeconds : JOB_PERIODS[name]);
  // Integrity errors are logged once while they last, not at every run (the verifier has alerted).
  const upkeep = new LedgerUpkeep(ledger, (error) => log(error.message));
  return [
    {
      name: 'ledger.integrate',
      everySeconds: period('ledger.integrate'),
      // Bounded: under a steady stream of appends a run ends, and what is left waits for the next slot.
      run: () => upkeep.integrate(4),
    },
    {
      name: 'ledger.checkpoint',
      everySeconds: period('ledger.checkpoint'),
      // Half the period: a slot's run may start a little earlier in its period than the previous one did.
      run: () =>
        upkeep.sign(new Date(), { minIntervalMs: (period('ledger.checkpoint') * 1000) / 2, verifyBudgetMs: 2_000 }),
    },
    {
      name: 'ledger.partitions',
      everySeconds: period('ledger.partitions'),
      run: () => ledger.ensurePartitions(new Date()),
    },
    {
      // Notices lost in a crash go out first (contact-change announcements too: an unannounced
      // one still holds the bank change it touches), then the changes past their cooling-off.
      name: 'bank.settle',
      everySeconds: period('bank.settle'),
      run: async () => {
        await bank.resendMissingNotices();
        await bank.announceContactChanges();
        await bank.settleDue();
      },
    },
    {
      name: 'messages.deliver',
      everySeconds: period('messages.deliver'),
      run: async () => void (await messages.deliverDue()),
    },
    {
      name: 'exports.expire',
      everySeconds: period('exports.expire'),
      run: async () => void (await expireExports(db, new Date())),
    },
    {
      // Forgotten staff accounts do not stay open; account reviews open and close on time.
      name: 'accounts.sweep',
      everySeconds: period('accounts.sweep'),
      run: async () => {
        await disableInactiveStaffAccounts(db);
        await runRecertificationSchedule({ db, keyring: runtime.keyring, notifier: runtime.notifier });
      },
    },
    {
      // Decoys past their time are renewed and every organisation holds some.
      name: 'decoys.maintain',
      everySeconds: period('decoys.maintain'),
      run: async () => void (await maintainDecoys(db, runtime.persons, freshDecoyFile)),
    },
    {
      // Rights requests past their due date: the DPOs are told, once per request (GDPR Art. 12.3).
      name: 'rights.overdue',
      everySeconds: period('rights.overdue'),
      run: async () => void (await runtime.rightsRequests.alertOverdue()),
    },
    {
      // The monthly update: once its window has closed, registrations without a declaration end (issue 25 §2).
      name: 'updates.missed',
      everySeconds: period('updates.missed'),
      run: async () => void (await runtime.monthlyUpdates.checkMissed()),
    },
    {
      // The monthly update: three days before it closes, who has not declared is reminded, once (issue 25 §2, §5).
      name: 'updates.remind',
      everySeconds: period('updates.remind'),
      run: async () => void (await runtime.monthlyUpdates.remindDue()),
    },
    {
      // Mandates to an aidant: notices before and at their end, on the person's channels and on paper if chosen (issue 25 §4).
      name: 'mandates.expiry',
      everySeconds: period('mandates.expiry'),
      run: async () => void (await runtime.mandates.noticeExpiries()),
    },
    {
      name: 'jobs.purge',
      everySeconds: period('jobs.purge'),
      run: async () => {
        const now = Date.now();
        await purgeRuns(db, new Date(now - KEEP_RUNS_DAYS * DAY_SECONDS * 1000));
        await messages.purgeSent(new Date(now - KEEP_SENT_MESSAGES_DAYS * DAY_SECONDS * 1000));
      },
    },
    {
      // Retention (issue 24 §2): what is past its period goes, notices 30 days before; resumes an interrupted run.
      name: 'retention.purge',
      everySeconds: period('retention.purge'),
      timeoutSeconds: 6 * 3600,
      run: async () =>
        void (await purgeRetention(db, {
          persons: runtime.persons,
          keyring: () => runtime.keyring,
          notifier: runtime.notifier,
          ledger,
          // A notice's address is read through the pipeline: an access event under this purpose.
          address: (personId, details) => runtime.access.readAddress(null, personId, 'retention_notice', details),
        })),
    },
  ];
}

/**
 * The runner for this store: pg-boss on PostgreSQL (its tables in a schema of their own beside the
 * store's: `rempart_jobs`, or `<schema>_jobs` for a store in another schema), timers on SQLite.
 */
export async function jobRunnerFor(runtime: Runtime, jobs: readonly JobSpec[], hooks: JobHooks): Promise<JobRunner> {
  const { database, config } = runtime;
  if (database.flavour !== 'postgres') return new InProcessJobRunner(database.db, jobs, hooks);
  const current = (await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db)).rows[0]
    ?.schema;
  const schema = !current || current === 'public' ? 'rempart_jobs' : `${current}_jobs`;
  return new PgBossJobRunner(
    database.db,
    jobs,
    {
      connectionString: config.databaseUrl,
      schema,
      poolSize: config.jobsPoolSize,
      applicationName: `rempart-jobs${current && current !== 'public' ? `:${current}` : ''}`,
    },
    hooks,
  );
}
