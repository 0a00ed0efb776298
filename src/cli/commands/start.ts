import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildServer, createLogger } from '../../api/index.ts';
import {
  disableInactiveStaffAccounts,
  ensureBootstrapAdmin,
  runRecertificationSchedule,
} from '../../identity/index.ts';
import { startLedgerSchedule } from '../../ledger/index.ts';
import { LedgerRollbackError } from '../../ledger/watch.ts';
import type { Runtime } from '../../runtime/index.ts';
import { maintainDecoys } from '../../guard/index.ts';
import { demoActors, freshDecoyFile } from '../../seed/index.ts';
import { DEMO_PASSWORD, ensureDemoAccounts } from './demo-accounts.ts';
import { runSeed } from './seed.ts';
import { progressBar } from '../progress.ts';
import { OperatorError } from './keys.ts';

export const DEMO_SEED = 1;

/** Start the HTTP server; on a fresh embedded store, create the demo population first. */
export async function runStart(runtime: Runtime, options: { port?: number; demo: boolean }): Promise<void> {
  const { config } = runtime;
  await checkLedgerAtStart(runtime);
  const empty = (await runtime.database.db.selectFrom('persons').select('id').limit(1).execute()).length === 0;
  if (options.demo && empty && config.demoPersons > 0) {
    process.stdout.write(
      `Base vide : création d'une population de démonstration (${config.demoPersons} personnes, graine ${DEMO_SEED}).\n`,
    );
    await runSeed(runtime, { persons: config.demoPersons, seed: DEMO_SEED, batch: 1000 });
  }
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
  const jobSeekers = options.demo ? await ensureDemoAccounts(runtime, DEMO_SEED) : [];
  const tokenFile = join(config.dataDir, 'bootstrap-admin.token');
  if (admin.token && config.devKeyring) writeFileSync(tokenFile, admin.token + '\n', { mode: 0o600 });

  const logger = createLogger(config.logLevel);
  const app = await buildServer(runtime, logger);
  const port = options.port ?? config.port;
  await app.listen({ port, host: config.host });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${actualPort}`;

  const lines = [
    '',
    `Rempart écoute sur ${url}`,
    `  Espace demandeur d’emploi  ${url}/mon-espace`,
    `  Console conseiller et partenaire  ${url}/console`,
    `  Bureau sécurité et DPO     ${url}/bureau`,
    `  Santé        ${url}/api/health`,
    `  API (OpenAPI) ${url}/api/openapi.json — documentation ${url}/api/docs`,
    `  Magasin      ${runtime.database.description}`,
    // The operator sees at once whether client addresses come from the socket or from a proxy's header.
    config.trustProxy.length > 0
      ? `  Adresse des clients : X-Forwarded-For des mandataires de confiance ${config.trustProxy.join(', ')}`
      : '  Adresse des clients : celle de la connexion (aucun mandataire de confiance, REMPART_TRUST_PROXY)',
    `  Journal des accès, clé publique des points de contrôle (${url}/api/ledger/checkpoint) :`,
    `               ${runtime.ledger.verifierKey}`,
    '',
  ];
  const shownToken =
    admin.token ?? (config.devKeyring && existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (shownToken) {
    lines.push('Administrateur d’amorçage (seul autorisé à lire et écrire les dossiers pour l’instant) :');
    lines.push(`  curl -H 'Authorization: Bearer ${shownToken}' ${url}/api/agency/persons/<id>`);
    if (admin.token && !config.devKeyring)
      lines.push('  (ce jeton ne sera plus affiché : conservez-le ; `npx rempart admin token` en émet un nouveau)');
  } else {
    lines.push('Administrateur d’amorçage : jeton déjà émis ; `npx rempart admin token` en émet un nouveau.');
  }
  if (options.demo) {
    lines.push(
      '',
      `Comptes de démonstration (graine ${DEMO_SEED}), mot de passe « ${DEMO_PASSWORD} » — POST /api/auth/login ;`,
    );
    lines.push('les comptes des agents enrôlent un second facteur (TOTP, ou clé d’accès) à leur première connexion ;');
    lines.push(
      `codes et alertes envoyés : dossier ${join(config.dataDir, 'outbox')} (tient lieu de serveur de messagerie) :`,
    );
    for (const a of demoActors(DEMO_SEED))
      lines.push(`  ${a.login.padEnd(40)} ${a.roles.join(',').padEnd(22)} ${a.organisation}`);
    for (const p of jobSeekers) lines.push(`  ${p.login.padEnd(40)} ${'demandeur d’emploi'.padEnd(22)} ${p.who}`);
  }
  process.stdout.write(lines.join('\n') + '\n\n');

  // Daily, and once now: forgotten staff accounts do not stay open; decoys past their time are
  // renewed and every organisation holds some.
  const sweep = () =>
    void disableInactiveStaffAccounts(runtime.database.db)
      .then(() =>
        runRecertificationSchedule({ db: runtime.database.db, keyring: runtime.keyring, notifier: runtime.notifier }),
      )
      .then(() => maintainDecoys(runtime.database.db, runtime.persons, freshDecoyFile))
      .catch((error: unknown) => logger.error({ err: { message: String(error) } }, 'account sweep failed'));
  sweep();
  const daily = setInterval(sweep, 86_400_000);
  daily.unref();

  // Bank-detail changes whose cooling-off is over take effect; notices lost in a crash go out first
  // (contact-change announcements too: an unannounced one still holds the bank change it touches).
  const settleBank = () =>
    void runtime.bank
      .resendMissingNotices()
      .then(() => runtime.bank.announceContactChanges())
      .then(() => runtime.bank.settleDue())
      .catch((error: unknown) =>
        logger.error({ err: { message: String(error) } }, 'bank-detail changes could not be settled'),
      );
  settleBank();
  const bankEveryMinute = setInterval(settleBank, 60_000);
  bankEveryMinute.unref();

  const ledgerSchedule = startLedgerSchedule(runtime.ledger, {
    integrateEveryMs: 500,
    checkpointEveryMs: config.checkpointSeconds * 1000,
    onError: (error) =>
      logger.error(
        { err: { message: error instanceof Error ? error.message : String(error) } },
        'ledger integration or checkpoint failed',
      ),
  });
  // The ledger verifies itself in the background and watches for a rollback (issue 20).
  runtime.ledgerWatch.start();

  const stop = async () => {
    clearInterval(daily);
    clearInterval(bankEveryMinute);
    await ledgerSchedule.stop();
    await runtime.ledgerWatch.stop();
    await app.close();
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
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
