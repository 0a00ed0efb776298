import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, createLogger } from '../api/index.ts';
import { loadConfig, type Config } from '../config.ts';
import { Keyring, writeKeyringFile } from '../crypto/index.ts';
import { openRuntime, type Runtime } from '../runtime/index.ts';
import { plantDecoys, seedDatabase } from '../seed/index.ts';
import { createPgSchema, dropPgSchema } from '../store/index.ts';
import { nextWorkingDay, parisDay, SimulatedClock, simulationStart } from './clock.ts';
import { Rng, type SimContext } from './context.ts';
import { reinstateOrganisations } from './measure.ts';
import { allGoalsMet, SCENARIOS, type ScenarioName, type ScenarioReport, type SimulationReport } from './report.ts';
import { admin, ADMIN_VARIANTS } from './scenarios/admin.ts';
import { exportLeak } from './scenarios/export.ts';
import { deskAccount } from './scenarios/desk-account.ts';
import { patientThief } from './scenarios/patient-thief.ts';
import { sessionLaundering } from './scenarios/session-laundering.ts';
import { staffChain } from './scenarios/staff-chain.ts';
import { sessionTheft, SESSION_THEFT_VARIANTS } from './scenarios/session-theft.ts';
import { takeover, TAKEOVER_VARIANTS } from './scenarios/takeover.ts';
import { workday } from './scenarios/workday.ts';

export { SimulatedClock, simulationStart } from './clock.ts';
export { takeover, TAKEOVER_VARIANTS, type TakeoverVariant } from './scenarios/takeover.ts';
export type { SimContext } from './context.ts';
export {
  GOALS,
  renderReport,
  SCENARIOS,
  type ScenarioName,
  type ScenarioReport,
  type SimulationReport,
} from './report.ts';

export interface SimulationOptions {
  scenarios?: readonly ScenarioName[];
  /** Size of the seeded population (default 5000). */
  persons?: number;
  /** Staff of the workday scenario (default 500). */
  staff?: number;
  seed?: number;
  /** A postgres:// URL: the simulation runs in a fresh schema there, dropped at the end. Otherwise SQLite in a temporary directory. */
  databaseUrl?: string;
  /** Seal the population on a worker thread (default: the seeder's own choice by size). */
  parallelSeed?: boolean;
  /** Lines of progress (the CLI writes them to stderr). */
  progress?: (message: string) => void;
  /** Seeding progress, for a progress bar. */
  seedProgress?: { start(total: number): void; update(done: number): void; stop(): void };
  /** 'off': no guard at all, the worst case an incident must then scope (the incident test). */
  guard?: 'off';
}

const METHOD = [
  'Le serveur réel (buildServer) écoute sur 127.0.0.1 et est attaqué en HTTP ; chaque acteur a son propre /24 dans 10.0.0.0/8 (X-Forwarded-For, le serveur ne faisant confiance qu’au mandataire 127.0.0.1) et son navigateur.',
  'Sessions ouvertes directement (createSession), mot de passe et second facteur réputés passés : la simulation mesure la garde, pas l’authentification.',
  'Exposition lue dans le journal (événements access_granted de l’attaquant, leurres exclus) ; confinement lu dans guard_containments (ou la révocation de la session volée).',
  'Temps simulé injecté dans la garde (horloge avancée par le simulateur) ; les sessions vivent en temps réel.',
];

/** A seeded network under attack: the real server on a fresh store, and the context scenarios play in. */
export interface Simulation {
  readonly ctx: SimContext;
  readonly clock: SimulatedClock;
  /** 'SQLite' or 'PostgreSQL (schéma …)'. */
  readonly backend: string;
  readonly persons: number;
  readonly decoys: number;
  /** Stop the server, close the store, drop the schema or the temporary folder. */
  close(): Promise<void>;
}

/**
 * Seed a fresh store and start the real server on it with a simulated clock. The caller plays
 * scenarios in `ctx` (the incident test reads the ledger of the same store afterwards) and closes.
 */
export async function openSimulation(options: SimulationOptions = {}): Promise<Simulation> {
  const persons = options.persons ?? 5000;
  const seed = options.seed ?? 1;
  const progress = options.progress ?? (() => undefined);
  const postgres = options.databaseUrl?.startsWith('postgres') ? options.databaseUrl : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'rempart-sim-'));
  const keyringPath = join(dir, 'keyring.json');
  writeKeyringFile(keyringPath, Keyring.generate());
  const pgSchema = postgres ? `sim_${randomBytes(6).toString('hex')}` : undefined;
  const config: Config = loadConfig({
    PORT: '0',
    REMPART_DATA_DIR: dir,
    DATABASE_URL: postgres ?? join(dir, 'rempart.sqlite'),
    REMPART_KEYRING_FILE: keyringPath,
    LOG_LEVEL: 'silent',
    REMPART_DEMO_PERSONS: '0',
    REMPART_PUBLIC_URL: 'http://localhost:3000',
  });
  const clock = new SimulatedClock(simulationStart(new Date()));
  const cleanup = async () => {
    if (postgres && pgSchema) await dropPgSchema(postgres, pgSchema).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  let runtime: Runtime | undefined;
  try {
    if (postgres && pgSchema) await createPgSchema(postgres, pgSchema);
    runtime = await openRuntime(config, {
      clock,
      ...(pgSchema ? { pgSchema } : {}),
      ...(options.guard === 'off' ? { guard: 'off' as const } : {}),
      warn: () => undefined,
    });
    progress(`Magasin : ${runtime.database.description}`);
    options.seedProgress?.start(persons);
    await seedDatabase(runtime.database.db, runtime.persons, runtime.keyring, {
      persons,
      seed,
      batchSize: 1000,
      ...(options.parallelSeed !== undefined ? { parallel: options.parallelSeed } : {}),
      onProgress: (done) => options.seedProgress?.update(done),
    });
    options.seedProgress?.stop();
    const planted = await plantDecoys(runtime.database.db, runtime.persons, { seed, population: persons });
    const decoys = new Set(
      (await runtime.database.db.selectFrom('guard_decoys').select('person_id').execute()).map((r) => r.person_id),
    );
    progress(`Population : ${persons} personnes, ${planted.total} leurres`);
    const app = await buildServer(runtime, createLogger('silent'), { trustProxy: '127.0.0.1' });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const opened = runtime;
    const ctx: SimContext = {
      runtime,
      db: runtime.database.db,
      clock,
      baseUrl: `http://127.0.0.1:${port}`,
      seed,
      rng: new Rng(seed * 7919 + 17),
      decoys,
      counters: { networks: 0 },
      received: new Map(),
      progress,
    };
    return {
      ctx,
      clock,
      backend: runtime.database.flavour === 'postgres' ? `PostgreSQL (schéma ${pgSchema})` : 'SQLite',
      persons,
      decoys: decoys.size,
      async close() {
        try {
          await app.close();
        } finally {
          try {
            await opened.close();
          } finally {
            await cleanup();
          }
        }
      },
    };
  } catch (error) {
    await runtime?.close().catch(() => undefined);
    await cleanup();
    throw error;
  }
}

/**
 * Seed a fresh store, start the real server on it with a simulated clock, play the attacks and
 * the workday over HTTP, and report what left the server and how fast the guard stopped it.
 */
export async function runSimulation(options: SimulationOptions = {}): Promise<SimulationReport> {
  const started = Date.now();
  const scenarios = options.scenarios ?? SCENARIOS;
  const staffSize = options.staff ?? 500;
  const progress = options.progress ?? (() => undefined);
  const simulation = await openSimulation(options);
  const { ctx, clock } = simulation;
  const simulatedFrom = clock.now();
  try {
    const reports: ScenarioReport[] = [];
    // Each variant two working days after the previous one: windows and the circuit breaker's day start afresh.
    const play = async (label: string, hour: number, run: () => Promise<ScenarioReport>) => {
      clock.set(nextWorkingDay(clock.now(), reports.length ? 2 : 0, hour, 0));
      progress(`Scénario ${label}…`);
      const report = await run();
      const reinstated = await reinstateOrganisations(ctx);
      if (reinstated)
        report.notes.push(
          `${reinstated} organisation(s) suspendue(s) par le disjoncteur, rétablie(s) avant le scénario suivant`,
        );
      reports.push(report);
      progress(
        `Scénario ${label} : ${report.available ? (report.attack ? `${report.personsExposed} personnes exposées, ${report.contained ? 'contenu' : 'non contenu'}` : `${report.falsePositives} faux positifs`) : 'non disponible'}`,
      );
    };
    for (const name of SCENARIOS) {
      if (!scenarios.includes(name)) continue;
      if (name === 'takeover')
        for (const v of TAKEOVER_VARIANTS) await play(`takeover/${v}`, 9, () => takeover(ctx, v));
      if (name === 'admin') for (const v of ADMIN_VARIANTS) await play(`admin/${v}`, 9, () => admin(ctx, v));
      if (name === 'session-theft')
        for (const v of SESSION_THEFT_VARIANTS) await play(`session-theft/${v}`, 9, () => sessionTheft(ctx, v));
      if (name === 'export') await play('export', 9, () => exportLeak(ctx));
      if (name === 'patient-thief') await play('patient-thief', 9, () => patientThief(ctx));
      if (name === 'staff-chain') await play('staff-chain', 9, () => staffChain(ctx));
      if (name === 'session-laundering') await play('session-laundering', 9, () => sessionLaundering(ctx));
      if (name === 'desk-account') await play('desk-account', 9, () => deskAccount(ctx));
      if (name === 'workday') await play('workday', 7, () => workday(ctx, staffSize));
    }
    return {
      backend: simulation.backend,
      seed: ctx.seed,
      persons: simulation.persons,
      decoys: simulation.decoys,
      staff: scenarios.includes('workday') ? staffSize : 0,
      simulatedFrom: parisDay(simulatedFrom),
      simulatedTo: parisDay(clock.now()),
      wallSeconds: (Date.now() - started) / 1000,
      method: METHOD,
      scenarios: reports,
      goalsMet: allGoalsMet(reports),
    };
  } finally {
    await simulation.close();
  }
}
