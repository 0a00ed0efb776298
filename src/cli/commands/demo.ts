import { join } from 'node:path';
import type { Runtime } from '../../runtime/index.ts';
import { demoActors } from '../../seed/index.ts';
import { DEMO_PASSWORD, ensureDemoAccounts as ensureAccounts } from './demo-accounts.ts';
import { runSeed } from './seed.ts';

/** The demo's seed: the same people, agencies and accounts at every fresh start. */
export const DEMO_SEED = 1;

/** On an empty store, the synthetic population of the demo (REMPART_DEMO_PERSONS people). */
export async function seedDemoPopulation(runtime: Runtime): Promise<void> {
  const { config } = runtime;
  const empty = (await runtime.database.db.selectFrom('persons').select('id').limit(1).execute()).length === 0;
  if (!empty || config.demoPersons === 0) return;
  process.stdout.write(
    `Base vide : création d'une population de démonstration (${config.demoPersons} personnes, graine ${DEMO_SEED}).\n`,
  );
  await runSeed(runtime, { persons: config.demoPersons, seed: DEMO_SEED, batch: 1000 });
}

export function ensureDemoAccounts(runtime: Runtime): Promise<Array<{ login: string; who: string }>> {
  return ensureAccounts(runtime, DEMO_SEED);
}

/** The demo's accounts and their one password, as `npm start` prints them. */
export function demoAccountLines(dataDir: string, jobSeekers: Array<{ login: string; who: string }>): string[] {
  const lines = [
    '',
    `Comptes de démonstration (graine ${DEMO_SEED}), mot de passe « ${DEMO_PASSWORD} » — POST /api/auth/login ;`,
    'les comptes des agents enrôlent un second facteur (TOTP, ou clé d’accès) à leur première connexion ;',
    `codes et alertes envoyés : dossier ${join(dataDir, 'outbox')} (tient lieu de serveur de messagerie) :`,
  ];
  for (const a of demoActors(DEMO_SEED))
    lines.push(`  ${a.login.padEnd(40)} ${a.roles.join(',').padEnd(22)} ${a.organisation}`);
  for (const p of jobSeekers) lines.push(`  ${p.login.padEnd(40)} ${'demandeur d’emploi'.padEnd(22)} ${p.who}`);
  return lines;
}
