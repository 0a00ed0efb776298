import { Command, Help, Option } from 'commander';
import { ConfigError, loadConfig } from '../config.ts';
import { DecryptionError, KeyringError } from '../crypto/errors.ts';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts';
import type { Runtime } from '../runtime/index.ts';
import { asNumber } from './options.ts';

// The command tree is declared with nothing of the server loaded but the configuration and the
// error classes (modules without dependencies): each command loads its modules when it runs
// (`await import`), so that `rempart --help` or a mistyped option answers at once instead of
// after the whole server (Fastify, Kysely, the capabilities) has loaded.

/** Exit codes: 1 failure, 2 bad input, 3 keyring unusable. */
async function fail(error: unknown): Promise<never> {
  const { OperatorError } = await import('./commands/keys.ts');
  if (error instanceof ValidationError) {
    for (const issue of error.issues)
      process.stderr.write(`Entrée invalide — ${issue.field} : ${issue.message} (${issue.rule})\n`);
    process.exit(2);
  }
  if (error instanceof KeyringError) {
    process.stderr.write(`Trousseau de clés inutilisable : ${error.message}\n`);
    process.exit(3);
  }
  if (
    error instanceof ConfigError ||
    error instanceof OperatorError ||
    error instanceof NotFoundError ||
    error instanceof ConflictError
  ) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  if (error instanceof DecryptionError) {
    process.stderr.write(`Contrôle d'intégrité en échec : ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`Erreur : ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

async function withRuntime<T>(work: (runtime: Runtime) => Promise<T>, keepOpen = false): Promise<void> {
  let runtime: Runtime | undefined;
  try {
    const { openRuntime } = await import('../runtime/index.ts');
    runtime = await openRuntime(loadConfig());
    await work(runtime);
  } catch (error) {
    await runtime?.close().catch(() => undefined);
    await fail(error);
  }
  if (!keepOpen) await runtime?.close();
}

/** Commander's own words, in French: every command inherits them (they are set before any is declared). */
const HELP_TITLES: Record<string, string> = {
  'Usage:': 'Utilisation :',
  'Options:': 'Options :',
  'Commands:': 'Commandes :',
  'Arguments:': 'Arguments :',
  'Global Options:': 'Options générales :',
};

/** Commander's error messages, in French (the English ones are matched as commander words them). */
function frenchError(text: string): string {
  return text
    .replace(/^error: unknown command '([^']*)'/m, 'erreur : commande inconnue « $1 »')
    .replace(/^error: unknown option '([^']*)'/m, 'erreur : option inconnue « $1 »')
    .replace(/^error: missing required argument '([^']*)'/m, 'erreur : argument obligatoire manquant « $1 »')
    .replace(/^error: option '([^']*)' argument missing/m, 'erreur : l’option « $1 » attend une valeur')
    .replace(/^error: required option '([^']*)' not specified/m, 'erreur : l’option « $1 » est obligatoire')
    .replace(
      /^error: too many arguments(?: for '([^']*)')?\. Expected (\d+) arguments? but got (\d+)\./m,
      'erreur : trop d’arguments ($3 au lieu de $2)',
    )
    .replace(/^\(Did you mean ([^)]*)\?\)/m, '(Vouliez-vous dire $1 ?)')
    .replace(/^error: /m, 'erreur : ');
}

const program = new Command()
  .name('rempart')
  .description('Rempart — registre chiffré des données des demandeurs d’emploi')
  .configureHelp({
    styleTitle: (title) => HELP_TITLES[title] ?? title,
    commandUsage(cmd) {
      return Help.prototype.commandUsage.call(this, cmd).replace('[command]', '[commande]');
    },
  })
  .configureOutput({ outputError: (text, write) => write(frenchError(text)) })
  .helpOption('-h, --help', 'afficher l’aide de la commande')
  .helpCommand('help [commande]', 'afficher l’aide d’une commande')
  .showHelpAfterError('(rempart --help : l’aide)')
  .addHelpText(
    'after',
    `
Environnement :
  PORT                  port HTTP (3000)
  REMPART_DATA_DIR      dossier des données (./data)
  DATABASE_URL          postgres://… pour PostgreSQL ; sinon SQLite dans REMPART_DATA_DIR
  REMPART_KEYRING_FILE  trousseau des clés maîtresses (hors du dossier des données en production)
  REMPART_KEYRING       trousseau en JSON, à la place du fichier
  REMPART_DEMO_PERSONS  taille de la population de démonstration créée par start (2000)`,
  );

program
  .command('start')
  .description('démarrer le serveur HTTP et les travaux de fond (--demo : avec la population de démonstration)')
  .option('--port <port>', 'port HTTP', asNumber)
  .option('--demo', 'démonstration : population synthétique sur une base vide, comptes et jeton affichés (npm start)')
  .option('--no-demo', 'sans démonstration (par défaut) : aucun secret sur la sortie standard')
  .action(async (opts: { port?: number | string; demo: boolean }) => {
    await withRuntime(async (runtime) => {
      if (opts.port !== undefined && typeof opts.port !== 'number')
        throw new ValidationError([{ field: '--port', rule: 'type:integer', message: 'numéro de port attendu' }]);
      const { runStart } = await import('./commands/start.ts');
      await runStart(runtime, { demo: opts.demo === true, ...(opts.port !== undefined ? { port: opts.port } : {}) });
    }, true);
  });

program
  .command('seed')
  .description('créer une population synthétique déterministe (reprend là où elle s’est arrêtée)')
  .addOption(new Option('--persons <n>', 'nombre de personnes').argParser(asNumber).default(1000))
  .addOption(new Option('--seed <n>', 'graine').argParser(asNumber).default(1))
  .addOption(new Option('--batch <n>', 'personnes par transaction').argParser(asNumber).default(1000))
  .action(async (opts: Record<string, unknown>) =>
    withRuntime(async (runtime) => void (await (await import('./commands/seed.ts')).runSeed(runtime, opts))),
  );

const keys = program.command('keys').description('clés maîtresses');
keys
  .command('rotate')
  .description(
    'ajouter une version de clé et réemballer les clés de données (sans rechiffrer les valeurs ; reprend si interrompue)',
  )
  .option('--class <classe>', 'une seule classe de données')
  .action(async (opts: Record<string, unknown>) =>
    withRuntime(async (runtime) => (await import('./commands/keys.ts')).runKeysRotate(runtime, opts)),
  );
keys
  .command('status')
  .description('versions actives et clés restant à réemballer')
  .action(async () => withRuntime(async (runtime) => (await import('./commands/keys.ts')).runKeysStatus(runtime)));
keys
  .command('retire')
  .description(
    'retirer les versions de clé qu’aucune sauvegarde gardée n’utilise : une restauration ne peut plus ramener ce qui a été purgé',
  )
  .requiredOption('--oldest-backup <AAAA-MM-JJ>', 'date de la plus ancienne sauvegarde encore gardée')
  .addOption(new Option('--window-days <n>', 'durée de conservation des sauvegardes').argParser(asNumber).default(35))
  .addOption(new Option('--as-of <instant>', 'date du jour injectée (essais)').hideHelp())
  .action(async (opts: Record<string, unknown>) =>
    withRuntime(async (runtime) => void (await (await import('./commands/retention.ts')).runKeysRetire(runtime, opts))),
  );

const retentionCommand = program.command('retention').description('durées de conservation : règles, gels, purge');
retentionCommand
  .command('purge')
  .description('détruire ce qui a dépassé sa durée de conservation (avis 30 jours avant ; reprend si interrompue)')
  .option('--dry-run', 'compter seulement, ne rien écrire')
  .addOption(new Option('--batch <n>', 'dossiers par transaction').argParser(asNumber))
  .addOption(new Option('--as-of <instant>', 'date du jour injectée (essais)').hideHelp())
  .action(async (opts: Record<string, unknown>) =>
    withRuntime(
      async (runtime) => void (await (await import('./commands/retention.ts')).runRetentionPurge(runtime, opts)),
    ),
  );
retentionCommand
  .command('rules')
  .description('importer un fichier de règles de conservation (rempart.retention/v1)')
  .argument('<fichier>', 'fichier JSON')
  .action(async (file: string) =>
    withRuntime(async (runtime) => (await import('./commands/retention.ts')).runRetentionRulesImport(runtime, file)),
  );
retentionCommand
  .command('hold')
  .description('geler un dossier pour contentieux : aucune règle ne le touche')
  .argument('<id>', 'identifiant du dossier')
  .requiredOption('--reason <motif>', 'motif (référence du contentieux)')
  .action(async (id: string, opts: { reason: string }) =>
    withRuntime(async (runtime) =>
      (await import('./commands/retention.ts')).runRetentionHold(runtime, { personId: id, reason: opts.reason }),
    ),
  );
retentionCommand
  .command('lift')
  .description('lever un gel')
  .argument('<gel>', 'identifiant du gel')
  .action(async (hold: string) =>
    withRuntime(async (runtime) => (await import('./commands/retention.ts')).runRetentionLift(runtime, hold)),
  );
retentionCommand
  .command('stats')
  .description('statistiques de la purge : comptes par mois, règle et objet')
  .action(async () =>
    withRuntime(async (runtime) => (await import('./commands/retention.ts')).runRetentionStats(runtime)),
  );

const person = program.command('person').description('dossiers');
person
  .command('erase')
  .description('effacer un dossier par destruction de ses clés (crypto-effacement, irréversible)')
  .argument('<id>', 'identifiant du dossier')
  .action(async (id: string) =>
    withRuntime(async (runtime) => (await import('./commands/person.ts')).runPersonErase(runtime, { id })),
  );

const admin = program.command('admin').description('administration');
admin
  .command('token')
  .description("émettre un nouveau jeton pour l'administrateur d'amorçage (révoque les précédents)")
  .action(async () =>
    withRuntime(async (runtime) => {
      const { renewBootstrapToken } = await import('../identity/index.ts');
      const token = await renewBootstrapToken(runtime.database.db);
      process.stdout.write(`${token}\n`);
    }),
  );

const accounts = program.command('accounts').description('comptes');
accounts
  .command('disable-inactive')
  .description(
    // The number of days (INACTIVE_STAFF_DAYS) is the identity capability's, loaded when the command runs: it prints it.
    "désactiver les comptes d'agents inutilisés depuis trop longtemps (fait aussi chaque jour par le serveur)",
  )
  .action(async () =>
    withRuntime(async (runtime) => {
      const { disableInactiveStaffAccounts, INACTIVE_STAFF_DAYS } = await import('../identity/index.ts');
      const disabled = await disableInactiveStaffAccounts(runtime.database.db);
      process.stdout.write(
        `${disabled.length} compte(s) d'agent désactivé(s) pour inactivité (aucune connexion depuis ${INACTIVE_STAFF_DAYS} jours).\n`,
      );
    }),
  );

const clients = program
  .command('clients')
  .description('clients machines des systèmes d’information partenaires (OAuth 2, private_key_jwt)');
clients
  .command('register')
  .description('enregistrer un client machine pour une organisation, avec son jeu de clés publiques (JWKS)')
  .option('--organisation <id>', 'identifiant de l’organisation')
  .option('--name <nom>', 'nom du système d’information')
  .option('--jwks <fichier>', 'fichier JSON du jeu de clés publiques (EC P-256, RSA ≥ 2048 ou Ed25519)')
  .action(async (opts: Record<string, unknown>) =>
    withRuntime(async (runtime) => (await import('./commands/clients.ts')).runClientsRegister(runtime, opts)),
  );
clients
  .command('revoke')
  .description('révoquer un client machine : ses assertions et ses jetons sont refusés aussitôt')
  .argument('<clientId>', 'identifiant du client')
  .action(async (clientId: string) =>
    withRuntime(async (runtime) => (await import('./commands/clients.ts')).runClientsRevoke(runtime, { clientId })),
  );

const agreementsCommand = program
  .command('agreements')
  .description('conventions (habilitations) au format de fichier rempart.agreement/v1');
agreementsCommand
  .command('import')
  .description(
    'importer une convention : version 1 d’une nouvelle référence, ou exactement la version suivante (la précédente prend fin)',
  )
  .argument('<file>', 'fichier JSON au format rempart.agreement/v1')
  .action(async (file: string) =>
    withRuntime(async (runtime) => (await import('./commands/agreements.ts')).runAgreementsImport(runtime, { file })),
  );
agreementsCommand
  .command('export')
  .description('exporter une convention au format de fichier (la dernière version, ou celle demandée)')
  .argument('<reference>', 'référence de la convention')
  .addOption(new Option('--version <n>', 'numéro de version').argParser(asNumber))
  .option('--output <fichier>', 'écrire dans ce fichier plutôt que sur la sortie standard')
  .action(async (reference: string, opts: Record<string, unknown>) =>
    withRuntime(async (runtime) =>
      (await import('./commands/agreements.ts')).runAgreementsExport(runtime, { reference, ...opts }),
    ),
  );

const ledgerCommand = program
  .command('ledger')
  .description('journal des accès : vérification, points de contrôle signés, témoins');
ledgerCommand
  .command('verify')
  .description(
    'recalculer l’arbre depuis les événements et le comparer aux points de contrôle signés ; nomme le premier événement altéré',
  )
  .action(async () => withRuntime(async (runtime) => (await import('./commands/ledger.ts')).runLedgerVerify(runtime)));
ledgerCommand
  .command('checkpoint')
  .description('intégrer les événements en attente et signer un point de contrôle maintenant')
  .option('--output <fichier>', 'écrire la note signée dans ce fichier')
  .action(async (opts: Record<string, unknown>) =>
    withRuntime(async (runtime) => (await import('./commands/ledger.ts')).runLedgerCheckpoint(runtime, opts)),
  );
ledgerCommand
  .command('key')
  .description('afficher la clé publique du journal (à remettre aux témoins)')
  .action(async () =>
    withRuntime(async (runtime) => void (await import('./commands/ledger.ts')).runLedgerKey(runtime)),
  );
ledgerCommand
  .command('export')
  .description('exporter les points de contrôle signés et la clé publique pour un témoin externe')
  .requiredOption('--output <fichier>', 'fichier JSON à écrire')
  .addOption(new Option('--from <taille>', 'à partir de cette taille').argParser(asNumber))
  .action(async (opts: Record<string, unknown>) =>
    withRuntime(async (runtime) => (await import('./commands/ledger.ts')).runLedgerExport(runtime, opts)),
  );
ledgerCommand
  .command('prune')
  .description(
    'purger les événements plus anciens qu’une date (au moins 180 jours) : leurs empreintes restent, l’arbre se vérifie toujours',
  )
  .requiredOption('--before <AAAA-MM-JJ>', 'date limite')
  .action(async (opts: Record<string, unknown>) =>
    withRuntime(async (runtime) => (await import('./commands/ledger.ts')).runLedgerPrune(runtime, opts)),
  );
ledgerCommand
  .command('witness')
  .description('témoin : vérifier que deux points de contrôle signés sont cohérents (sans accès à la base)')
  .requiredOption('--key <clé>', 'clé publique du journal (rempart ledger key)')
  .requiredOption(
    '--older <fichier>',
    'point de contrôle le plus ancien (note signée, ou le fichier témoin ledger-witness.json)',
  )
  .option('--newer <fichier>', 'point de contrôle le plus récent (note signée) ; sans lui, le dernier que sert --url')
  .option('--proof <fichier>', 'preuve de cohérence (JSON { proof: [...] })')
  .option('--url <adresse>', 'ou : adresse du serveur Rempart qui la fournit')
  .action(async (opts: Record<string, unknown>) => {
    try {
      await (await import('./commands/ledger.ts')).runLedgerWitness(opts);
    } catch (error) {
      await fail(error);
    }
  });

const incidentCommand = program
  .command('incident')
  .description('incidents : périmètre exposé, notification CNIL, avis aux personnes, mesures, registre');
const collect = (value: string, previous: string[] = []) => [...previous, value];
incidentCommand
  .command('list')
  .description('les incidents déclarés, avec le délai de 72 heures restant')
  .action(async () =>
    withRuntime(async (runtime) => (await import('./commands/incident.ts')).runIncidentList(runtime)),
  );
incidentCommand
  .command('declare')
  .description('déclarer un incident (identités compromises, fenêtre, vecteur, prise de connaissance)')
  .requiredOption('--title <texte>', 'intitulé')
  .requiredOption(
    '--vector <vecteur>',
    'account_takeover, session_theft, infostealer, insider, subcontractor, administrator_compromise, partner_system, guard_containment, other',
  )
  .option('--description <texte>', 'circonstances')
  .option('--actor <id>', 'acteur compromis (répétable)', collect)
  .option('--organisation <id>', 'organisation compromise (répétable)', collect)
  .option('--client <client_id>', 'client machine compromis (répétable)', collect)
  .option('--session <id>', 'session professionnelle volée, identifiant public (répétable)', collect)
  .requiredOption('--from <instant>', 'début de la fenêtre (ISO 8601)')
  .option('--to <instant>', 'fin de la fenêtre (maintenant par défaut)')
  .option('--aware-at <instant>', 'prise de connaissance (maintenant par défaut) : le délai de 72 heures part de là')
  .action(async (opts: Record<string, unknown>) =>
    withRuntime(
      async (runtime) => void (await (await import('./commands/incident.ts')).runIncidentDeclare(runtime, opts)),
    ),
  );
incidentCommand
  .command('scope <incident>')
  .description('calculer le périmètre exposé depuis le journal (barre de progression) ; --csv pour l’écrire')
  .option('--csv <fichier>', 'écrire le périmètre en CSV')
  .action(async (incident: string, opts: { csv?: string }) =>
    withRuntime(
      async (runtime) =>
        void (await (await import('./commands/incident.ts')).runIncidentScope(runtime, incident, opts)),
    ),
  );
incidentCommand
  .command('cnil <incident>')
  .description('produire le projet de notification à la CNIL (JSON et PDF)')
  .option('--out <dossier>', 'dossier où écrire les fichiers', '.')
  .action(async (incident: string, opts: { out?: string }) =>
    withRuntime(async (runtime) => (await import('./commands/incident.ts')).runIncidentCnil(runtime, incident, opts)),
  );
incidentCommand
  .command('notices <incident>')
  .description(
    'planifier et envoyer les avis aux personnes (courriel, courrier PDF) ; reprend un envoi interrompu sans doublon',
  )
  .addOption(new Option('--batch-size <n>', 'avis par lot').argParser(asNumber))
  .action(async (incident: string, opts: { batchSize?: number | string }) =>
    withRuntime(async (runtime) => {
      if (
        opts.batchSize !== undefined &&
        (typeof opts.batchSize !== 'number' || opts.batchSize < 10 || opts.batchSize > 2000)
      )
        throw new ValidationError([{ field: '--batch-size', rule: 'range', message: 'un nombre de 10 à 2000' }]);
      const { runIncidentNotices } = await import('./commands/incident.ts');
      await runIncidentNotices(
        runtime,
        incident,
        opts.batchSize !== undefined ? { batchSize: opts.batchSize as number } : {},
      );
    }),
  );
incidentCommand
  .command('act <incident> <action>')
  .description('mesure corrective : revoke_access, force_reenrolment, hold_bank_changes, check_decoys, check_exports')
  .action(async (incident: string, action: string) =>
    withRuntime(async (runtime) => (await import('./commands/incident.ts')).runIncidentAct(runtime, incident, action)),
  );
incidentCommand
  .command('show <incident>')
  .description('l’incident et son registre (étapes, documents)')
  .action(async (incident: string) =>
    withRuntime(async (runtime) => (await import('./commands/incident.ts')).runIncidentShow(runtime, incident)),
  );

const exportsCommand = program
  .command('exports')
  .description('exports de fichiers pour un partenaire : ouverture, traçage d’une fuite, expiration');
exportsCommand
  .command('open')
  .description(
    'déchiffrer un export téléchargé avec la phrase de passe reçue par un autre canal (sans base ni trousseau)',
  )
  .requiredOption('--file <fichier>', 'enveloppe téléchargée (rempart-export/1)')
  .option('--passphrase <phrase>', 'phrase de passe (ou REMPART_EXPORT_PASSPHRASE)')
  .option('--out <fichier>', 'écrire le CSV dans ce fichier plutôt que sur la sortie standard')
  .action(async (opts: Record<string, unknown>) => {
    try {
      await (await import('./commands/exports.ts')).runExportsOpen(opts);
    } catch (error) {
      await fail(error);
    }
  });
exportsCommand
  .command('trace')
  .description('retrouver l’export dont provient un fichier trouvé, par ses lignes témoins')
  .requiredOption('--file <fichier>', 'fichier trouvé (CSV ou texte)')
  .action(async (opts: Record<string, unknown>) =>
    withRuntime(async (runtime) => void (await (await import('./commands/exports.ts')).runExportsTrace(runtime, opts))),
  );
exportsCommand
  .command('expire')
  .description('supprimer les fichiers d’export arrivés à expiration')
  .action(async () =>
    withRuntime(async (runtime) => void (await (await import('./commands/exports.ts')).runExportsExpire(runtime))),
  );

program
  .command('simulate')
  .description(
    'simuler des attaques (compte pris, administrateur piraté, session volée, export divulgué) et une journée de travail contre un serveur neuf, et mesurer la garde',
  )
  .addOption(new Option('--scenario <liste>', 'takeover,admin,session-theft,export,workday ou all').default('all'))
  .addOption(new Option('--persons <n>', 'taille de la population').argParser(asNumber).default(5000))
  .addOption(new Option('--staff <n>', 'agents de la journée de travail').argParser(asNumber).default(500))
  .addOption(new Option('--seed <n>', 'graine').argParser(asNumber).default(1))
  .option('--json', 'rapport en JSON', false)
  .addHelpText(
    'after',
    '\nMagasin neuf : SQLite dans un dossier temporaire, ou un schéma PostgreSQL neuf si DATABASE_URL nomme PostgreSQL ; tout est supprimé à la fin.\nCode de sortie 4 si un objectif n’est pas atteint.',
  )
  .action(async (opts: Record<string, unknown>) => {
    try {
      const { runSimulate } = await import('./commands/simulate.ts');
      const report = await runSimulate(opts);
      if (!report.goalsMet) process.exitCode = 4;
    } catch (error) {
      await fail(error);
    }
  });

program
  .command('migrate')
  .description('appliquer les migrations du schéma (faites aussi à chaque démarrage)')
  .action(async () => withRuntime(async () => process.stdout.write('Schéma à jour.\n')));

/** Every leaf command with its description, so that `rempart --help` shows the nested ones too. */
function allCommands(command: Command, prefix = ''): string[] {
  return command.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    return c.commands.length
      ? allCommands(c, `${name} `)
      : [
          `  ${`${name} ${c.registeredArguments.map((a) => `<${a.name()}>`).join(' ')}`.trim().padEnd(22)}${c.description()}`,
        ];
  });
}
program.addHelpText(
  'after',
  `\nToutes les commandes (npx rempart <commande> --help pour leurs options) :\n${allCommands(program).join('\n')}`,
);

await program.parseAsync(process.argv);
