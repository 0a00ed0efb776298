import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config.ts';
import { systemClock, type Clock } from '../domain/index.ts';
import { AccessPipeline } from '../access/index.ts';
import { createAlertSink, Guard, type AlertSink, type GuardAlert } from '../guard/index.ts';
import { BankDetails, DEFAULT_BANK_SETTINGS } from '../bank/index.ts';
import { Incidents } from '../incidents/index.ts';
import { CONTROLLER, PAPER_PURPOSE, PaperChannel, Rectifications, RightsRequests } from '../privacy/index.ts';
import { MonthlyUpdates } from '../updates/index.ts';
import { announceToPerson } from '../identity/index.ts';
import { Mandates } from '../mandates/index.ts';
import { OnlineRegistration, RegistrationIntake, Registrations } from '../registration/index.ts';
import { Keyring, KeyringError, KeyringHolder, readKeyring, writeKeyringFile } from '../crypto/index.ts';
import { Ledger, observeAppends, signerFromSeed } from '../ledger/index.ts';
import { Metrics, readOperationalFigures } from '../metrics/index.ts';
import type { JobRunner } from '../jobs/index.ts';

/** What readiness and the metrics ask of the job queue (a JobRunner answers it). */
type JobQueueReport = Pick<JobRunner, 'status'>;
import { ExternalWitness } from '../ledger/external-witness.ts';
import { describeLedgerProblem, LedgerWatch, type LedgerAlert, type LedgerIntegrityStatus } from '../ledger/watch.ts';
import { MessageQueue, transportsFrom, type Notifier } from '../notify/index.ts';
import {
  isStoreBoundToKeyring,
  migrateToLatest,
  openDatabase,
  EmployerCertificateStore,
  PersonStore,
  recordKeyring,
  verifyKeyring,
  type Database,
} from '../store/index.ts';

/** Everything a server process or a command needs, opened and checked once. */
export interface Runtime {
  readonly config: Config;
  readonly database: Database;
  /** The keyring in force; follows a rotation run by another process. */
  readonly keyring: Keyring;
  readonly persons: PersonStore;
  /**
   * Sends codes and alerts to people: queues each message in the store (in the caller's
   * transaction when there is one) and sends it after the commit, through the channel's transport.
   */
  readonly notifier: Notifier;
  /** The same queue, for the job that sends what is due and for readiness. */
  readonly messages: MessageQueue;
  /** The access ledger: integration into the Merkle tree, signed checkpoints, proofs. */
  readonly ledger: Ledger;
  /** The ledger's background verification and witnesses (started by `rempart start`). */
  readonly ledgerWatch: LedgerWatch;
  /** Where "now" comes from for the guard's windows: the system, or a simulation. */
  readonly clock: Clock;
  /** Budgets, signals, decoys and containment on every read path. */
  readonly guard: Guard;
  /** The access pipeline: decide, admit, record, then decrypt; how person data is read. */
  readonly access: AccessPipeline;
  /** Changes of bank details: checks, notices, cooling-off, holds. */
  readonly bank: BankDetails;
  /** Incidents: blast radius, CNIL draft, notices to people, remediation, the register. */
  readonly incidents: Incidents;
  /** Rights requests (GDPR Art. 12, 15–21): filed, worked by the DPO, answered, their deadlines watched. */
  readonly rightsRequests: RightsRequests;
  /** Rectifications (Art. 16) answering those requests, and their notices to the recipients (Art. 19). */
  readonly rectifications: Rectifications;
  /** The monthly update (actualisation): declarations in their window, registrations ended for a missed one. */
  readonly monthlyUpdates: MonthlyUpdates;
  /** The paper channel (issue 25 §5): the choice of paper for all correspondence, the letters queued, posted, returned. */
  readonly paper: PaperChannel;
  /** Mandates (issue 25 §4): a person's mandates to a France Services aidant, confirmed, withdrawn, ended. */
  readonly mandates: Mandates;
  /** Registration (issue 25 §1): one core for every channel, the duplicates held for an agent. */
  readonly registrations: Registrations;
  /** Registration by an agent (desk, paper form) and by a partner's import: consent, receipts, batches. */
  readonly intake: RegistrationIntake;
  /** The online registration in the espace: the proved address, the draft kept 15 days, the account. */
  readonly onlineRegistration: OnlineRegistration;
  /** Prometheus metrics of this runtime (a registry of its own): the pipeline, the guard and the ledger report to it. */
  readonly metrics: Metrics;
  /**
   * The job queue's account of itself, when one runs in this process: readiness
   * (`queue_backlog`) and the metrics (`rempart_jobs_*`) read it; absent, they say nothing of a queue.
   */
  jobs?: JobQueueReport;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL schema for isolated test runs. */
  pgSchema?: string;
  warn?: (message: string) => void;
  /** Injected time for the guard (the attack simulator runs days in seconds). */
  clock?: Clock;
  /** 'off' only for the attack simulator's worst case (no budgets, signals or decoys); never from configuration. */
  guard?: 'off';
}

export const DEV_KEYRING_WARNING = [
  '',
  '!!! ATTENTION — TROUSSEAU DE DÉVELOPPEMENT !!!',
  '!!! Les clés maîtresses ont été créées dans le dossier des données, à côté des données qu’elles protègent.',
  '!!! C’est bon pour une démonstration seulement. En production, les clés vivent hors du dossier des données',
  '!!! et de ses sauvegardes : REMPART_KEYRING_FILE (un fichier lisible du seul service) ou REMPART_KEYRING.',
  '',
].join('\n');

async function loadOrCreateKeyring(config: Config, database: Database, warn: (m: string) => void): Promise<Keyring> {
  const source = config.keyring;
  if (source.kind === 'file' && !existsSync(source.path) && config.devKeyring) {
    if (await isStoreBoundToKeyring(database.db)) {
      throw new KeyringError(
        `keyring file not found: ${source.path}; this store was written with another keyring and cannot be read without it`,
      );
    }
    const keyring = Keyring.generate();
    mkdirSync(dirname(source.path), { recursive: true });
    writeKeyringFile(source.path, keyring);
    warn(DEV_KEYRING_WARNING);
    return keyring;
  }
  const keyring = readKeyring(source);
  if (config.devKeyring) warn(DEV_KEYRING_WARNING);
  return keyring;
}

export async function openRuntime(config: Config, options: OpenOptions = {}): Promise<Runtime> {
  const warn = options.warn ?? ((m: string) => process.stderr.write(m + '\n'));
  const database = await openDatabase({
    url: config.databaseUrl,
    poolSize: config.pgPoolSize,
    ...(options.pgSchema ? { pgSchema: options.pgSchema } : {}),
  });
  try {
    await migrateToLatest(database);
    const keyring = await loadOrCreateKeyring(config, database, warn);
    await verifyKeyring(database.db, keyring);
    await recordKeyring(database.db, keyring);
    const holder = new KeyringHolder(keyring, config.keyring);
    const ledger = await Ledger.open(
      database.db,
      database.flavour,
      (origin) => signerFromSeed(origin, keyring.ledgerSigningSeed()),
      ledgerOrigin(config),
    );
    // The latest checkpoint is kept outside the database too: a store rolled back behind it is caught (issue 20).
    ledger.attachWitnessFile(config.ledgerWitnessFile);
    // Decisions, the guard's words and ledger appends are counted here (issue 22); served by the API or a listener.
    const metrics = new Metrics();
    observeAppends(database.db, metrics);
    // Mail and SMS through their gateways when configured; letters, and everything in the demo, to the outbox folder.
    const transports = transportsFrom(config.notify, join(config.dataDir, 'outbox'));
    const messages = new MessageQueue({
      db: database.db,
      keyring: () => holder.current,
      transports,
      onError: (error, about) =>
        warn(
          `message ${about.id} (${about.channel}) not sent, attempt ${about.attempts}${about.givenUp ? ', given up' : ', will be retried'}: ${(error as Error).message}`,
        ),
    });
    // The paper channel is plugged into the notifier: a notice announced to an account whose holder
    // chose paper is also queued as a letter (issue 25 §5). Bound once the channel exists, below.
    const paperChannel: { current?: PaperChannel } = {};
    const notifier: Notifier = {
      deliver: (message, db) => messages.deliver(message, db),
      paper: (notice, db) => paperChannel.current?.queueNotice(notice, db) ?? Promise.resolve(false),
    };
    const clock = options.clock ?? systemClock;
    const persons = new PersonStore(database.db, holder);
    const bank = new BankDetails({
      db: database.db,
      keyring: () => holder.current,
      persons,
      notifier,
      clock,
      settings: { ...DEFAULT_BANK_SETTINGS, coolingOffHours: config.bankCoolingOffHours },
      freezeUrl: `${config.publicUrl}/ce-n-est-pas-moi`,
    });
    const incidents = new Incidents({
      db: database.db,
      keyring: () => holder.current,
      persons,
      notifier,
      clock,
      ledger,
      controller: config.controller,
      dpoContact: config.dpoContact,
      placeBankHold: (personId, hold, event) => bank.placeIncidentHold(personId, hold, event),
    });
    const sink = createAlertSink({
      db: database.db,
      keyring: () => holder.current,
      notifier,
      ...(config.guardWebhook ? { webhook: config.guardWebhook } : {}),
      warn,
    });
    const alerts: AlertSink = {
      // A containment also opens an incident, for the security officer to qualify.
      async deliver(delivered) {
        await sink.deliver(delivered);
        for (const alert of delivered) {
          const containment = String(alert.figures.containment ?? '');
          if ((alert.kind !== 'containment' && alert.kind !== 'organisation_suspended') || !containment) continue;
          await incidents
            .openFromContainment({
              id: containment,
              actorId: alert.kind === 'containment' ? alert.actorId : null,
              organisationId: alert.organisationId,
              signal: alert.signal,
              at: alert.at,
            })
            .catch((error: unknown) =>
              warn(`incident not opened for containment ${containment}: ${(error as Error).message}`),
            );
        }
      },
    };
    const ledgerWatch = new LedgerWatch({
      db: database.db,
      ledger,
      // The guard's way to the security officers (mail, and the SOC's webhook).
      alert: (alert) => sink.deliver([ledgerAlert(alert)]),
      ...(config.ledgerWitness ? { external: new ExternalWitness(config.ledgerWitness) } : {}),
      incrementalEveryMs: config.ledgerVerify.incrementalSeconds * 1000,
      fullEveryMs: config.ledgerVerify.fullSeconds * 1000,
      // The first whole-log pass soon after the start, then one per interval.
      firstFullAfterMs: Math.min(5_000, config.ledgerVerify.fullSeconds * 1000),
      fullCpuShare: config.ledgerVerify.cpuShare,
      warn,
    });
    const guard = new Guard({
      db: database.db,
      flavour: database.flavour,
      clock,
      key: () => holder.current.guardKey(),
      alerts,
      enforce: options.guard !== 'off',
      observe: metrics,
    });
    const mandates = new Mandates({ db: database.db, keyring: () => holder.current, notifier, clock });
    const access = new AccessPipeline({
      // An aidant's tie to a person: their mandate, confirmed and in force on the runtime's clock.
      mandateTie: (actor, personId, scope) => mandates.tie(actor, personId, scope, clock.now()),
      db: database.db,
      persons,
      certificates: new EmployerCertificateStore(database.db, holder),
      guard,
      clock,
      settleBank: (personId) => bank.settleDue(personId),
      observe: metrics,
      // Employers' certificates filed, corrected or disputed for the person are told to them (paper too).
      notifyPerson: (db, personId, kind, subject, body) =>
        announceToPerson({ db, keyring: holder.current, notifier }, personId, kind, subject, body),
    });
    const rightsRequests = new RightsRequests({
      db: database.db,
      keyring: () => holder.current,
      notifier,
      clock,
      dpoContact: config.dpoContact,
      // The State's letterhead and the controller's and DPO's footer, as the paper channel prints them.
      letterLayout: { controller: [config.controller, CONTROLLER.address], dpoContact: config.dpoContact },
      // Writing to the person reads their identity and contact, recorded first (the pipeline's).
      readAddress: (personId, by, reference) =>
        access.readAddress(by.accountId, personId, 'rights_request_answer', { request: reference }),
      // The copy of the data a granted access request sends by letter (Art. 15.3): the whole file, recorded first.
      readCopy: (personId, by, reference) =>
        access.readCopyForPerson(by.accountId, personId, 'rights_request_answer', { request: reference }),
    });
    const rectifications = new Rectifications({ db: database.db, persons, notifier, clock });
    const monthlyUpdates = new MonthlyUpdates({
      db: database.db,
      keyring: () => holder.current,
      notifier,
      clock,
      persons,
      // The declared figures reach `benefits` through the pipeline, in the declaration's transaction.
      recordFigures: (trx, by, personId, month) => access.recordDeclaredMonth(trx, by, personId, month),
    });
    const paper = new PaperChannel({
      db: database.db,
      keyring: () => holder.current,
      notifier,
      clock,
      // Printing a letter reads the person's identity and address, recorded first (the pipeline's).
      readAddress: (personId, by, letterId) =>
        access.readAddress(by.accountId, personId, PAPER_PURPOSE, { letter: letterId }),
      layout: { controller: [config.controller, CONTROLLER.address], dpoContact: config.dpoContact },
    });
    paperChannel.current = paper;
    const registrations = new Registrations({ db: database.db, keyring: () => holder.current, persons, clock });
    // Its hooks join the core's: the account, its proved address and the confirmation of each online registration.
    const onlineRegistration = new OnlineRegistration({
      db: database.db,
      persons,
      keyring: () => holder.current,
      notifier,
      clock,
      registrations,
      choosePaper: async (personId, accountId) => {
        await paper.setPreference(personId, true, { accountId, as: 'person' });
      },
    });
    // Its hooks join the core's: a receipt or a notice once each desk, paper or imported file exists.
    const intake = new RegistrationIntake({
      db: database.db,
      keyring: () => holder.current,
      clock,
      registrations,
      queueLetter: (notice, db) => paper.queueLetter(notice, db),
      layout: { controller: [config.controller, CONTROLLER.address], dpoContact: config.dpoContact },
    });
    const runtime: Runtime = {
      metrics,
      config,
      database,
      get keyring() {
        return holder.current;
      },
      persons,
      notifier,
      messages,
      ledger,
      ledgerWatch,
      clock,
      guard,
      access,
      bank,
      incidents,
      rightsRequests,
      rectifications,
      monthlyUpdates,
      paper,
      mandates,
      registrations,
      intake,
      onlineRegistration,
      async close() {
        await ledgerWatch.stop();
        ledgerWatch.close();
        await transports.close();
        await database.close();
      },
    };
    // The gauges read at scrape time: the ledger's backlog, and the job queue once one is attached.
    metrics.collectFrom(() => readOperationalFigures(runtime));
    return runtime;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** The checkpoints' origin line (C2SP: a schema-less URL naming the log), from the public address. */
export function ledgerOrigin(config: Config): string {
  return `${new URL(config.publicUrl).host}/rempart/ledger`;
}

export interface Health {
  ok: boolean;
  store: 'ok' | 'unavailable';
  keyring: 'ok' | 'mismatch' | 'unknown';
  flavour: string;
  /** The ledger's integrity as this process knows it (issue 20): `altered` or `rollback` hold signing back and make the process not ready. */
  ledger: LedgerIntegrityStatus['status'];
}

/** Usable means: the store answers and the keyring in memory is still the one it was written with. */
export async function checkHealth(runtime: Runtime): Promise<Health> {
  const flavour = runtime.database.flavour;
  const ledger = runtime.ledgerWatch.status().status;
  try {
    // Fingerprints only: the per-class version probes ran at start.
    await verifyKeyring(runtime.database.db, runtime.keyring, { usedVersions: false });
    return { ok: true, store: 'ok', keyring: 'ok', flavour, ledger };
  } catch (error) {
    if (error instanceof KeyringError) return { ok: false, store: 'ok', keyring: 'mismatch', flavour, ledger };
    return { ok: false, store: 'unavailable', keyring: 'unknown', flavour, ledger };
  }
}

/** A ledger problem as the guard's alert sink carries it to the security officers. */
function ledgerAlert(alert: LedgerAlert): GuardAlert {
  return {
    id: randomUUID(),
    at: new Date().toISOString(),
    kind: 'alert',
    signal: alert.signal,
    actorId: null,
    actorLogin: null,
    organisationId: 'rempart',
    organisationName:
      alert.signal === 'ledger_rollback' ? 'Journal des accès — retour en arrière' : 'Journal des accès — altération',
    figures: describeLedgerProblem(alert.problem),
    personsRead: [],
  };
}
