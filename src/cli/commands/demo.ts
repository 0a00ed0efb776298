import { join } from 'node:path';
import type { Runtime } from '../../runtime/index.ts';
import { demoActors, deterministicUuid, NETWORK } from '../../seed/index.ts';
import { ofName, roleLabel } from '../../domain/index.ts';
import { DEMO_PASSWORD, ensureDemoAccounts as ensureAccounts, type DemoJobSeeker } from './demo-accounts.ts';
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

export function ensureDemoAccounts(runtime: Runtime): Promise<DemoJobSeeker[]> {
  return ensureAccounts(runtime, DEMO_SEED);
}

/**
 * The demo's accounts and their one password, as `npm start` prints them: the job seekers first
 * (with the counsellor who follows them), then the staff with their roles in French, then a short
 * walk through a pair that belongs together.
 */
export function demoAccountLines(url: string, dataDir: string, jobSeekers: DemoJobSeeker[]): string[] {
  const lines = [
    '',
    `Comptes de démonstration (graine ${DEMO_SEED}), un seul mot de passe pour tous : « ${DEMO_PASSWORD} »`,
    '',
    'Demandeurs d’emploi (espace /mon-espace) :',
  ];
  for (const p of jobSeekers)
    lines.push(`  ${p.login.padEnd(44)} ${p.who}${p.counsellor ? `, suivi par ${p.counsellor}` : ''}`);
  lines.push('', 'Agents (console /console, bureau /bureau) — second facteur à activer à la première connexion :');
  for (const a of demoActors(DEMO_SEED))
    lines.push(`  ${a.login.padEnd(44)} ${a.roles.map(roleLabel).join(', ').padEnd(36)} ${a.organisation}`);
  lines.push(`Codes et alertes envoyés : dossier ${join(dataDir, 'outbox')} (il tient lieu de serveur de messagerie).`);
  // The network's employer sends certificates from its payroll system, a machine client: how to connect one.
  const employer = NETWORK.find((o) => o.kind === 'employer');
  if (employer)
    lines.push(
      '',
      `Employeur (attestations de fin de contrat, issue 25 §3) : ${employer.name}, organisation ${deterministicUuid(DEMO_SEED, 'organisation', employer.key)}`,
      `  son système de paie, client machine (private_key_jwt) : rempart clients register --organisation ${deterministicUuid(DEMO_SEED, 'organisation', employer.key)} --name "Paie ${employer.name}" --jwks <clé publique, JWKS>`,
      `  puis un jeton (${url}/api/oauth/token, portée attestation_employeur) et POST ${url}/api/employer/certificates : docs/employer-certificates.md`,
    );
  const pair = jobSeekers.find((p) => p.counsellor);
  if (pair)
    lines.push(
      '',
      'À essayer :',
      `  1. ${url}/console — connectez-vous comme ${pair.counsellor}, déclarez la finalité, ouvrez le dossier ${ofName(pair.who)} dans « Mon portefeuille ».`,
      `  2. ${url}/mon-espace/consultations — connectez-vous comme ${pair.login} : la lecture y figure, avec sa preuve vérifiée dans le navigateur.`,
    );
  return lines;
}
