import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildServer, createLogger } from '../../api/index.ts';
import { ensureBootstrapAdmin } from '../../identity/index.ts';
import { LedgerRollbackError } from '../../ledger/watch.ts';
import type { Runtime } from '../../runtime/index.ts';
import { backgroundJobs, jobRunnerFor } from '../../runtime/jobs.ts';
import { startMetricsListener } from '../../metrics/index.ts';
import { progressBar } from '../progress.ts';
import { OperatorError } from './keys.ts';

/**
 * Start the HTTP server and the fleet's background jobs. With `demo` (what `npm start` passes), a
 * fresh store is first given the synthetic demo population and its accounts, printed with their
 * password and the bootstrap administrator's token; without it, no secret is written to
 * standard output (the token goes to a file only the service can read).
 */
export async function runStart(runtime: Runtime, options: { port?: number; demo: boolean }): Promise<void> {
  const { config } = runtime;
  await checkLedgerAtStart(runtime);
  // The demo's generator (and its dependencies) is loaded only for the demo.
  const demo = options.demo ? await import('./demo.ts') : undefined;
  if (demo) await demo.seedDemoPopulation(runtime);
  if (await runtime.bank.indexMissing()) {
    const total = Number(
      (
        await runtime.database.db
          .selectFrom('persons')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    const bar = progressBar('Index des comptes bancaires et des foyers', total);
    await runtime.persons.reindex(['iban', 'household'], (done) => bar.update(done));
    bar.stop();
  }
  const admin = await ensureBootstrapAdmin(runtime.database.db);
  const demoAccounts = demo ? await demo.ensureDemoAccounts(runtime) : undefined;
  const tokenFile = join(config.dataDir, 'bootstrap-admin.token');
  // Outside the demo, a new token is kept in a file of the service's (0600), never printed.
  if (admin.token) writeFileSync(tokenFile, admin.token + '\n', { mode: 0o600 });

  const logger = createLogger(config.logLevel);
  const app = await buildServer(runtime, logger);
  const port = options.port ?? config.port;
  await app.listen({ port, host: config.host });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = printedAddress(config.host, actualPort);

  const jobs = backgroundJobs(runtime, (message) => logger.warn(message));
  const runner = await jobRunnerFor(runtime, jobs, {
    onError: (job, error) =>
      logger.error(
        { job, err: { message: error instanceof Error ? error.message : String(error) } },
        'background job failed',
      ),
    onRan: (job, slot, attempt, ms) =>
      logger.debug({ job, slot: slot.toISOString(), attempt, ms: Math.round(ms) }, 'background job ran'),
  });
  await runner.start();
  // Readiness and the metrics report on the queue this process works.
  runtime.jobs = runner;
  const metricsListener =
    config.metrics.port !== undefined
      ? await startMetricsListener(runtime.metrics, { host: config.metrics.host, port: config.metrics.port })
      : undefined;
  // The ledger verifies itself in the background and watches for a rollback (issue 20), in every process.
  runtime.ledgerWatch.start();

  const lines = [
    '',
    `Rempart écoute sur ${url}`,
    `  Espace demandeur d’emploi  ${url}/mon-espace`,
    `  Console conseiller et partenaire  ${url}/console`,
    `  Bureau sécurité et DPO     ${url}/bureau`,
    // A passkey belongs to one origin: the public address's (REMPART_PUBLIC_URL), not another name of the same machine.
    `  Clés d’accès (passkeys) : uniquement à l’adresse ${config.publicUrl} (REMPART_PUBLIC_URL)`,
    `  Santé        ${url}/api/health/live, ${url}/api/health/ready`,
    `  API (OpenAPI) ${url}/api/openapi.json — documentation ${url}/api/docs`,
    `  Magasin      ${runtime.database.description}`,
    `  Travaux de fond : ${runner.kind === 'pg-boss' ? 'file PostgreSQL (pg-boss), une fois par période pour toute la flotte' : 'dans ce processus (magasin embarqué)'} ; ${jobs.length} travaux`,
    `  Messages     ${runtime.messages.description()}`,
    metricsListener
      ? `  Métriques    http://${config.metrics.host}:${metricsListener.port}/metrics`
      : `  Métriques    ${config.metrics.token ? `${url}/api/metrics (jeton REMPART_METRICS_TOKEN)` : 'aucune (REMPART_METRICS_PORT ou REMPART_METRICS_TOKEN)'}`,
    // The operator sees at once whether client addresses come from the socket or from a proxy's header.
    config.trustProxy.length > 0
      ? `  Adresse des clients : X-Forwarded-For des mandataires de confiance ${config.trustProxy.join(', ')}`
      : '  Adresse des clients : celle de la connexion (aucun mandataire de confiance, REMPART_TRUST_PROXY)',
    `  Journal des accès, clé publique des points de contrôle (${url}/api/ledger/checkpoint) :`,
    `               ${runtime.ledger.verifierKey}`,
    '',
  ];
  const shownToken = demo
    ? (admin.token ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined))
    : undefined;
  if (shownToken) {
    lines.push('Administrateur d’amorçage (seul autorisé à lire et écrire les dossiers pour l’instant) :');
    lines.push(`  curl -H 'Authorization: Bearer ${shownToken}' ${url}/api/agency/persons/<id>`);
  } else if (admin.token) {
    lines.push(
      `Administrateur d’amorçage : jeton écrit dans ${tokenFile} (lisible par le service seul) ;`,
      '  conservez-le hors du serveur puis supprimez ce fichier ; `npx rempart admin token` en émet un nouveau.',
    );
  } else {
    lines.push('Administrateur d’amorçage : jeton déjà émis ; `npx rempart admin token` en émet un nouveau.');
  }
  if (demo && demoAccounts) lines.push(...demo.demoAccountLines(url, config.dataDir, demoAccounts));
  process.stdout.write(lines.join('\n') + '\n\n');

  // A rolling restart sends SIGTERM: requests in flight and jobs in hand finish, up to the
  // deadline; past it the process exits anyway (a job's slot then goes to another process).
  const deadlineMs = config.shutdownSeconds * 1000;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, deadlineSeconds: config.shutdownSeconds }, 'stopping');
    const forced = setTimeout(() => {
      logger.error({ deadlineSeconds: config.shutdownSeconds }, 'shutdown deadline passed: exiting');
      process.exit(1);
    }, deadlineMs + 2_000);
    forced.unref();
    const started = Date.now();
    const left = () => Math.max(0, deadlineMs - (Date.now() - started));
    await Promise.allSettled([app.close(), runner.stop(left()), metricsListener?.close()]);
    await runtime.ledgerWatch.stop();
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

/**
 * A store whose newest signed checkpoint is behind the one kept outside the database (the
 * witness file, the external witness) was rolled back: events, tree nodes and checkpoints
 * removed together, or an old backup restored. It verifies as a whole, so only this catches it,
 * and the server does not start on it (issue 20).
 */
export async function checkLedgerAtStart(runtime: Runtime): Promise<void> {
  try {
    await runtime.ledgerWatch.checkAtStart();
  } catch (error) {
    if (!(error instanceof LedgerRollbackError)) throw error;
    const file = runtime.config.ledgerWitnessFile;
    const sizes =
      error.witnessedSize !== null
        ? `Le magasin s'arrête à un point de contrôle de ${error.logSize} événements ; le témoin en détient un de ${error.witnessedSize}.`
        : `Le témoin du journal ne peut pas être lu ou n'est pas signé par la clé de ce journal.`;
    throw new OperatorError(
      [
        'DÉMARRAGE REFUSÉ — journal des accès : retour en arrière ou témoin invalide.',
        `  ${error.message}.`,
        `  ${sizes}`,
        `  Fichier témoin : ${file}${runtime.config.ledgerWitness ? ` ; témoin externe : ${runtime.config.ledgerWitness.url}` : ''}.`,
        '  Conservez le magasin et le fichier témoin en l’état pour l’enquête et ouvrez un incident. Pour constater :',
        '    npx rempart ledger verify',
        `    npx rempart ledger witness --key "$(npx rempart ledger key)" --older ${file} --url <adresse du serveur>`,
        '  Si la base a été restaurée volontairement (reprise après sinistre), déclarez-le : après l’avoir conservé,',
        '  déplacez le fichier témoin hors du dossier des données, puis redémarrez ; les points de contrôle perdus',
        '  restent, chez les témoins, la preuve de ce qui a été retiré.',
      ].join('\n'),
    );
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost', '0.0.0.0', '::']);

/**
 * The address the banner gives. On the loopback it is `localhost`, the demo's public address:
 * a browser treats http://127.0.0.1:3000 and http://localhost:3000 as two origins, and a passkey
 * registered for one does not work on the other (nor does registering on the address that is
 * not the relying party's).
 */
export function printedAddress(host: string, port: number): string {
  if (LOOPBACK_HOSTS.has(host)) return `http://localhost:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
