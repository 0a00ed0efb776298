// `npm run demo:access`: the purpose-bound access of issue 4, played against a fresh private
// store (a temporary folder, deleted afterwards) through the real HTTP application: a Cap
// emploi adviser reads a referred person's granted classes, is refused another person and a
// class outside the agreement; a mission locale adviser is refused health; and once the Cap
// emploi's security audit is more than 12 months old, everything is refused until a
// derogation covers it. Then the person whose file was read signs in and sees, in "Qui a
// consulté mon dossier", every access with its inclusion proof, checked here with the log's
// public key only; and the whole ledger is verified against its signed checkpoints.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { buildServer, createLogger } from '../src/api/index.ts';
import { loadConfig } from '../src/config.ts';
import { createAccount } from '../src/identity/index.ts';
import { parseBody, verifyEventInclusion, verifyLedger } from '../src/ledger/index.ts';
import { journalLeafHash, type JournalPage } from '../src/privacy/index.ts';
import { openRuntime } from '../src/runtime/index.ts';
import { seedDatabase } from '../src/seed/index.ts';

const PASSWORD = 'démonstration des accès finalisés 2026';
const FROM = { remoteAddress: '10.0.0.7', headers: { 'user-agent': 'demo', 'accept-language': 'fr-FR' } };
const dir = mkdtempSync(join(tmpdir(), 'rempart-demo-access-'));

function say(line: string): void {
  process.stdout.write(line + '\n');
}

try {
  const runtime = await openRuntime(loadConfig({ REMPART_DATA_DIR: dir, LOG_LEVEL: 'silent' }), {
    warn: () => undefined,
  });
  const db = runtime.database.db;
  await seedDatabase(db, runtime.persons, runtime.keyring, { persons: 150, seed: 3, batchSize: 150, parallel: false });
  const app = await buildServer(runtime, createLogger('silent'));

  async function signIn(login: string) {
    const actor = await db.selectFrom('actors').select('id').where('login', '=', login).executeTakeFirstOrThrow();
    await createAccount(db, { kind: 'staff', login, password: PASSWORD, actorId: actor.id });
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      ...FROM,
      payload: { login, password: PASSWORD },
    });
    let cookie = String(res.headers['set-cookie']).split(';')[0]!;
    let csrf = res.json().csrfToken as string;
    const begin = await app.inject({
      method: 'POST',
      url: '/api/auth/factors/totp',
      ...FROM,
      headers: { ...FROM.headers, cookie, 'x-csrf-token': csrf },
    });
    const code = new TOTP({ secret: Secret.fromBase32(begin.json().secret as string) }).generate();
    const confirm = await app.inject({
      method: 'POST',
      url: '/api/auth/factors/totp/confirm',
      ...FROM,
      headers: { ...FROM.headers, cookie, 'x-csrf-token': csrf },
      payload: { factorId: begin.json().factorId, code },
    });
    cookie = String(confirm.headers['set-cookie']).split(';')[0]!;
    csrf = confirm.json().csrfToken as string;
    return (purpose: string, url: string) =>
      app.inject({
        method: 'GET',
        url,
        ...FROM,
        headers: { ...FROM.headers, cookie, 'rempart-purpose': purpose, 'rempart-case-reference': 'DEMO-2026-001' },
      });
  }

  const show = (what: string, res: { statusCode: number; json(): Record<string, unknown> }) => {
    const body = res.json();
    say(
      `  ${what}\n    → ${res.statusCode} ${res.statusCode === 200 ? `classes lues : ${Object.keys(body.fields as object).join(', ')}` : `${String(body.error)} — ${String(body.message)}`}`,
    );
  };

  const cap = await db
    .selectFrom('organisations')
    .select(['id', 'security_posture'])
    .where('kind', '=', 'cap_emploi')
    .executeTakeFirstOrThrow();
  const referred = (
    await db
      .selectFrom('referrals')
      .select('person_id')
      .where('organisation_id', '=', cap.id)
      .where('status', '=', 'active')
      .executeTakeFirstOrThrow()
  ).person_id;
  const stranger = (
    await db
      .selectFrom('persons')
      .select('id')
      .where('id', 'not in', db.selectFrom('referrals').select('person_id').where('organisation_id', '=', cap.id))
      .executeTakeFirstOrThrow()
  ).id;

  say('Cap emploi Gironde, conseillère capemploi.gironde.1, finalité « accompagnement_handicap » :');
  const capRead = await signIn('capemploi.gironde.1');
  show(
    'un dossier orienté vers Cap emploi',
    await capRead('accompagnement_handicap', `/api/staff/persons/${referred}`),
  );
  show('un autre dossier, non orienté', await capRead('accompagnement_handicap', `/api/staff/persons/${stranger}`));
  show(
    'les coordonnées bancaires du dossier orienté',
    await capRead('accompagnement_handicap', `/api/staff/persons/${referred}?classes=bank`),
  );
  show('sans déclarer de finalité', await capRead('', `/api/staff/persons/${referred}`));

  say('\nMission locale de Bordeaux, finalité « accompagnement_jeunes » :');
  const ml = await db
    .selectFrom('organisations')
    .select('id')
    .where('kind', '=', 'mission_locale')
    .executeTakeFirstOrThrow();
  let young: string | undefined;
  for (const { person_id } of await db
    .selectFrom('referrals')
    .select('person_id')
    .where('organisation_id', '=', ml.id)
    .where('status', '=', 'active')
    .execute()) {
    const birth = (await runtime.persons.read(person_id, ['identity'])).fields.identity!.birthDate;
    if (Date.now() - Date.parse(birth) < 25 * 365.25 * 86_400_000) {
      young = person_id;
      break;
    }
  }
  const mlRead = await signIn('ml.bordeaux.1');
  if (young) {
    show(
      'un jeune orienté vers la mission locale',
      await mlRead('accompagnement_jeunes', `/api/staff/persons/${young}`),
    );
    show(
      'sa santé (RQTH), que la convention de la mission locale ne couvre pas',
      await mlRead('accompagnement_jeunes', `/api/staff/persons/${young}?classes=health`),
    );
  }

  say('\nLe dernier audit de sécurité de Cap emploi date maintenant de 13 mois, sans dérogation :');
  const posture = JSON.parse(cap.security_posture) as Record<string, unknown>;
  const old = new Date(Date.now() - 395 * 86_400_000).toISOString().slice(0, 10);
  await db
    .updateTable('organisations')
    .set({ security_posture: JSON.stringify({ ...posture, lastAudit: old }) })
    .where('id', '=', cap.id)
    .execute();
  show('le même dossier orienté', await capRead('accompagnement_handicap', `/api/staff/persons/${referred}`));

  const events = (
    await db
      .selectFrom('ledger_events')
      .select('body')
      .where('kind', 'in', ['access_granted', 'access_denied'])
      .execute()
  ).map((row) => parseBody(row.body));
  say(
    `\nJournal : ${events.length} décisions enregistrées (classes, finalité, dossier, motif de refus ; jamais de valeur).`,
  );

  say('\nLa personne dont le dossier a été lu ouvre « Qui a consulté mon dossier » :');
  await createAccount(db, {
    kind: 'job_seeker',
    login: 'personne.orientee@demo.rempart.example',
    password: PASSWORD,
    personId: referred,
  });
  const seeker = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    ...FROM,
    payload: { login: 'personne.orientee@demo.rempart.example', password: PASSWORD },
  });
  const seekerCookie = String(seeker.headers['set-cookie']).split(';')[0]!;
  // The server's schedule signs a checkpoint every few seconds; the journal itself never signs one (it shows entries not yet covered as pending).
  await runtime.ledger.checkpoint();
  const journal = (
    await app.inject({
      method: 'GET',
      url: '/api/me/journal',
      ...FROM,
      headers: { ...FROM.headers, cookie: seekerCookie },
    })
  ).json() as JournalPage & { verifierKey: string };
  for (const entry of journal.entries) {
    let proof = 'preuve vérifiée ✓';
    if (entry.pending) proof = 'en attente du prochain point de contrôle signé';
    else {
      try {
        verifyEventInclusion(
          journal.checkpoint!.note,
          journal.verifierKey,
          BigInt(entry.index),
          journalLeafHash(entry.event),
          entry.proof.map((p) => Buffer.from(p, 'base64')),
        );
      } catch (error) {
        proof = `preuve en échec ✗ (${error instanceof Error ? error.message : String(error)})`;
      }
    }
    const what =
      entry.event.kind === 'access_denied'
        ? `refusé (${String(entry.event.details.reason)})`
        : `lu : ${entry.event.classes.join(', ')}`;
    say(
      `  ${entry.event.at.slice(0, 19).replace('T', ' ')}  ${entry.organisation?.name ?? '—'}  finalité ${entry.event.purpose ?? '—'}  ${what}  — ${proof}`,
    );
  }
  const report = await verifyLedger(db, runtime.ledger);
  say(
    `\nVérification du journal : ${report.ok ? 'intègre' : 'ALTÉRÉ'} (${report.eventsChecked} événements recalculés, ${report.checkpointsChecked} point(s) de contrôle signé(s)).`,
  );
  await app.close();
  await runtime.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
