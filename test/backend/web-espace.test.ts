import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { appendEvents, JOURNAL_KINDS, parseBody } from '../../src/ledger/index.ts';
import { storedLeafHash } from '../../src/ledger/stored-leaf.ts';
import { demoPersons } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import {
  browserSkip,
  checkPage,
  DEMO_PASSWORD,
  openPage,
  openWebWorld,
  signInThroughPage,
  type WatchedPage,
  type WebWorld,
} from '../helpers/browser.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { as, cookieOf, signIn, totpCode, type Client } from '../helpers/sign-in.ts';
import { lastCodeSentTo, messagesTo } from '../helpers/outbox.ts';

const PURPOSE = 'accompagnement';
const CASE = 'DOSSIER-2026-0501';
/** The password « Mot de passe oublié ? » sets below, and the one « Changer mon mot de passe » sets after it. */
const RECOVERED_PASSWORD = 'girafe tambour lune verte 2026';
const CHANGED_PASSWORD = 'harpe comète sentier bleu 2027';

describe(
  `web application: the job seeker's space in a real browser (${BACKEND})`,
  { skip: browserSkip, timeout: 240_000 },
  () => {
    let world: WebWorld;
    const db = () => world.server.runtime.database.db;
    let seeker = '';
    let seekerPerson = '';
    let seekerAccount = '';
    let counsellor = '';
    let organisationName = '';
    let totpSecret = '';
    let watched: WatchedPage;
    /** The recovery codes shown at enrolment: each passes one step-up (a TOTP code works once per 30 s). */
    const recoveryCodes: string[] = [];

    /** When the page asks « Confirmez votre identité », answer with a recovery code. */
    async function passStepUpIfAsked(
      settled: ReturnType<WatchedPage['page']['getByText']>,
      name: string,
    ): Promise<boolean> {
      const { page } = watched;
      const stepUp = page.getByRole('heading', { name: 'Confirmez votre identité' });
      await settled.or(stepUp).first().waitFor();
      if (!(await stepUp.isVisible())) return false;
      await checkPage(watched, name);
      await page.getByLabel('Code à usage unique').fill(recoveryCodes.shift()!);
      await page.getByRole('button', { name: 'Confirmer' }).click();
      return true;
    }

    before(async () => {
      world = await openWebWorld();
      const accounts = new Set(
        (await db().selectFrom('accounts').select('login').where('kind', '=', 'job_seeker').execute()).map(
          (a) => a.login,
        ),
      );
      for (const person of await demoPersons(db(), 1, 10)) {
        if (!accounts.has(person.email)) continue;
        const followed = await db()
          .selectFrom('caseloads')
          .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
          .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
          .select(['actors.login', 'organisations.name'])
          .where('caseloads.person_id', '=', person.id)
          .executeTakeFirst();
        if (!followed) continue;
        seeker = person.email;
        seekerPerson = person.id;
        counsellor = followed.login;
        organisationName = followed.name;
        break;
      }
      assert.ok(seeker, 'a demo job seeker is in a counsellor’s caseload');
      seekerAccount = (
        await db().selectFrom('accounts').select('id').where('login', '=', seeker).executeTakeFirstOrThrow()
      ).id;
      watched = await openPage(world, { virtualAuthenticator: true });
    });
    after(async () => {
      await watched?.context.close();
      await world?.close();
    });

    it('shows « Mon dossier » class by class, and says plainly which classes the file does not hold', async () => {
      const { page } = watched;
      await signInThroughPage(page, world.origin, seeker, DEMO_PASSWORD);
      await page.waitForURL(`${world.origin}/mon-espace`);
      await page.getByRole('heading', { level: 1, name: 'Mon dossier' }).waitFor();
      await page.getByRole('heading', { level: 2, name: 'Identité', exact: true }).waitFor();
      const record = await world.server.runtime.persons.read(seekerPerson, ['identity']);
      await page.getByText(record.fields.identity!.lastName, { exact: true }).first().waitFor();
      const held = (await world.server.runtime.persons.heldClasses([seekerPerson])).get(seekerPerson)!;
      const missing = [
        'identity',
        'nir',
        'contact',
        'id_document',
        'registration',
        'career',
        'follow_up',
        'benefits',
        'bank',
        'health',
        'judicial',
      ].filter((c) => !held.has(c as never));
      assert.equal(await page.getByText('Aucune donnée dans cette catégorie.').count(), missing.length);
      assert.equal(await page.locator('main h2').count(), 11, 'every class has its section');
      // Reading one's own file is recorded, with the account, before the page shows it.
      const reads = (await ledgerEvents(db(), 'subject_access')).filter((e) => e.account_id === seekerAccount);
      assert.ok(reads.length >= 1);
      assert.ok(!page.url().includes(seekerPerson), 'the address carries no personal data');
      await checkPage(watched, 'espace-dossier');
    });

    it('enrols an authenticator app on « Sécurité du compte », then signs in again with password and code', async () => {
      const { page } = watched;
      await page.getByRole('link', { name: 'Sécurité du compte' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Sécurité du compte' }).waitFor();
      await page.getByText('Aucun second facteur n’est activé.').waitFor();
      await page.getByRole('button', { name: 'Ajouter une application d’authentification' }).click();
      totpSecret = (await page.getByTestId('totp-secret').textContent())!.trim();
      await checkPage(watched, 'espace-securite-enrolement');
      await page.getByLabel('Premier code').fill(totpCode(totpSecret));
      await page.getByRole('button', { name: 'Activer' }).click();
      await page.getByText('Application d’authentification activée.').waitFor();
      assert.equal(await page.locator('.rempart-codes li').count(), 10);
      recoveryCodes.push(...(await page.locator('.rempart-codes li code').allTextContents()).map((c) => c.trim()));
      await page.getByTestId('factors').getByText('Application d’authentification', { exact: true }).waitFor();
      const factor = await db()
        .selectFrom('account_factors')
        .select(['kind', 'status'])
        .where('account_id', '=', seekerAccount)
        .where('kind', '=', 'totp')
        .executeTakeFirstOrThrow();
      assert.equal(factor.status, 'active');
      await page.getByRole('button', { name: 'J’ai conservé mes codes' }).click();
      // The enrolment re-issued the session: without a reload, the list shows it as this one, and no other.
      await page.getByText('Cette session (cet appareil)').waitFor();
      await page.waitForFunction(
        () =>
          !(globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText.includes(
            'Autre session',
          ),
      );

      await page.getByRole('button', { name: 'Se déconnecter' }).click();
      await page.waitForURL(`${world.origin}/connexion`);
      await signInThroughPage(page, world.origin, seeker, DEMO_PASSWORD, () => totpCode(totpSecret, 1));
      await page.waitForURL(`${world.origin}/mon-espace`);
      const passed = (await ledgerEvents(db(), 'second_factor_succeeded')).filter(
        (e) => e.account_id === seekerAccount,
      );
      assert.equal(passed.length, 1, 'the sign-in passed the code');
    });

    it('shows sessions, recent security events and downloads the data on « Sécurité du compte »', async () => {
      const { page } = watched;
      await page.goto(`${world.origin}/mon-espace/securite`);
      await page.getByTestId('sessions').getByText('Cette session (cet appareil)').waitFor();
      await page.getByTestId('security-events').getByText('Second facteur activé').first().waitFor();
      await page
        .getByTestId('security-events')
        .getByText(/Connexion réussie/)
        .first()
        .waitFor();
      await checkPage(watched, 'espace-securite');
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Télécharger mes données' }).click(),
      ]);
      assert.match(file.suggestedFilename(), /^mes-donnees-rempart-\d{4}-\d{2}-\d{2}\.json$/);
      const data = JSON.parse(readFileSync((await file.path())!, 'utf8'));
      assert.equal(data.file.id, seekerPerson);
      assert.ok(!JSON.stringify(data).includes(totpSecret), 'no factor secret in the download');
      await page.getByText(/Vos données ont été téléchargées/).waitFor();
      const exports = (await ledgerEvents(db(), 'subject_access')).filter(
        (e) => e.account_id === seekerAccount && e.details.operation === 'export',
      );
      assert.equal(exports.length, 1);
    });

    it('closes another session, then all the others, from « Sécurité du compte »', async () => {
      const { page } = watched;
      const otherDevice = async (n: number) => {
        const client: Client = {
          remoteAddress: `192.168.1.${n}`,
          headers: { 'user-agent': 'Mozilla/5.0 Safari/17.0', 'accept-language': 'fr-FR' },
        };
        await signIn(world.server.app, client, seeker, DEMO_PASSWORD);
      };
      const open = async () =>
        db()
          .selectFrom('sessions')
          .select(['public_id'])
          .where('account_id', '=', seekerAccount)
          .where('revoked_at', 'is', null)
          .execute();
      await otherDevice(10);
      await page.reload();
      const others = page.getByTestId('sessions').getByRole('listitem').filter({ hasText: 'Autre session' });
      await others.first().waitFor();
      assert.equal(await others.count(), 1);
      assert.equal((await open()).length, 2);
      await others.first().getByRole('button', { name: 'Déconnecter' }).click();
      await page.getByText('Session déconnectée.').waitFor();
      assert.equal((await open()).length, 1, 'the other session is closed on the server');
      // The list reloads after the answer: wait for the line to go, never sample it once.
      await others.first().waitFor({ state: 'detached' });
      assert.equal(await others.count(), 0);

      await otherDevice(11);
      await otherDevice(12);
      await page.reload();
      await others.nth(1).waitFor();
      await page.getByRole('button', { name: 'Déconnecter toutes les autres sessions' }).click();
      await page.getByText('2 autres sessions déconnectées.').waitFor();
      assert.equal((await open()).length, 1, 'only this session is left');
      const revoked = (await ledgerEvents(db(), 'session_revoked')).filter((e) => e.account_id === seekerAccount);
      assert.equal(revoked.length, 2);
      await page.getByTestId('security-events').getByText('Session fermée').first().waitFor();
    });

    it('registers a passkey, then removes it after confirming identity (step-up) on « Sécurité du compte »', async () => {
      const { page } = watched;
      await page.getByRole('button', { name: 'Enregistrer une clé d’accès' }).click();
      await passStepUpIfAsked(page.getByText('Clé d’accès enregistrée.'), 'espace-securite-confirmation-ajout');
      await page.getByText('Clé d’accès enregistrée.').waitFor();
      await page
        .getByTestId('factors')
        .getByText(/Clé d’accès —/)
        .waitFor();
      const passkey = await db()
        .selectFrom('account_factors')
        .select(['id', 'status'])
        .where('account_id', '=', seekerAccount)
        .where('kind', '=', 'passkey')
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow();
      assert.equal(passkey.status, 'active');
      // The second factor of this session is now older than five minutes: removing a passkey asks again.
      await db()
        .updateTable('sessions')
        .set({ second_factor_at: new Date(Date.now() - 10 * 60_000).toISOString() })
        .where('account_id', '=', seekerAccount)
        .where('revoked_at', 'is', null)
        .execute();
      await page.getByRole('button', { name: 'Retirer cette clé d’accès' }).click();
      await page.getByRole('heading', { name: 'Confirmez votre identité' }).waitFor();
      assert.ok(watched.refusals.some((r) => r.startsWith(`403 DELETE /api/auth/passkeys/${passkey.id}`)));
      assert.equal(
        (
          await db()
            .selectFrom('account_factors')
            .select('revoked_at')
            .where('id', '=', passkey.id)
            .executeTakeFirstOrThrow()
        ).revoked_at,
        null,
        'nothing removed before the step-up',
      );
      assert.ok(await passStepUpIfAsked(page.getByText('Clé d’accès retirée.'), 'espace-securite-confirmation'));
      await page.getByText('Clé d’accès retirée.').waitFor();
      assert.equal(await page.getByRole('heading', { name: 'Confirmez votre identité' }).count(), 0);
      assert.notEqual(
        (
          await db()
            .selectFrom('account_factors')
            .select('revoked_at')
            .where('id', '=', passkey.id)
            .executeTakeFirstOrThrow()
        ).revoked_at,
        null,
        'the passkey is revoked',
      );
      // The factor list reloads after the removal: the passkey's line goes away.
      await page
        .getByTestId('factors')
        .getByText(/Clé d’accès —/)
        .waitFor({ state: 'detached' });
      assert.equal(await page.getByText(/Clé d’accès —/).count(), 0);
    });

    it('shows the counsellor’s read in « Qui a consulté mon dossier » with organisation, purpose, date and a verified proof, and reports it', async () => {
      const client: Client = {
        remoteAddress: '10.0.0.77',
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      const staff = await signIn(world.server.app, client, counsellor, DEMO_PASSWORD);
      const read = await world.server.app.inject({
        method: 'GET',
        url: `/api/staff/persons/${seekerPerson}?classes=identity,contact`,
        remoteAddress: client.remoteAddress,
        headers: {
          ...client.headers,
          cookie: staff.cookie,
          'rempart-purpose': PURPOSE,
          'rempart-case-reference': CASE,
        },
      });
      assert.equal(read.statusCode, 200, read.body);
      const granted = (await ledgerEvents(db(), 'access_granted')).filter(
        (e) => e.details.personId === seekerPerson && e.details.caseReference === CASE,
      );
      assert.equal(granted.length, 1);
      // The journal no longer signs a checkpoint per visit (issue 20): the server's schedule does, every few seconds.
      await world.server.runtime.ledger.checkpoint();

      const { page } = watched;
      await page.getByRole('link', { name: 'Qui a consulté mon dossier' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Qui a consulté mon dossier' }).waitFor();
      const entry = page.getByTestId('journal-entry').filter({ hasText: CASE });
      await entry.waitFor();
      await entry.getByRole('heading', { name: organisationName }).waitFor();
      // The purpose in words, from the agency's agreement (the event itself carries its id).
      await entry.getByText('Accompagnement vers l’emploi', { exact: true }).waitFor();
      await entry.getByText('Coordonnées', { exact: false }).first().waitFor();
      const day = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeZone: 'Europe/Paris' }).format(
        new Date(granted[0]!.at),
      );
      await entry.getByText(new RegExp(`le ${day}`)).waitFor();
      await entry.getByText('Preuve vérifiée').waitFor();
      assert.equal(await page.getByText('Preuve invalide').count(), 0, 'every entry of the page verifies');
      const status = await page.getByTestId('checkpoint-status').textContent();
      // Chromium checks Ed25519 itself (WebCrypto): the checkpoint's signature, not only its root.
      assert.match(status ?? '', /^Journal signé vérifié : [\d\s]+ événements/);
      await checkPage(watched, 'espace-consultations');

      await entry.getByRole('button', { name: 'Signaler cet accès' }).click();
      await entry.getByLabel(/Qu’est-ce qui vous paraît anormal/).fill('Je n’avais aucun rendez-vous ce jour-là.');
      await checkPage(watched, 'espace-consultations-signalement');
      await entry.getByRole('button', { name: 'Envoyer le signalement' }).click();
      await entry.getByText(/Votre signalement \(n° [0-9a-f]{8}\) a été transmis/).waitFor();
      assert.equal(await entry.getByRole('button', { name: 'Signaler cet accès' }).count(), 0);

      const reports = await db()
        .selectFrom('access_reports')
        .select(['event_id', 'status', 'person_id', 'comment'])
        .where('account_id', '=', seekerAccount)
        .execute();
      assert.equal(reports.length, 1);
      assert.equal(reports[0]!.event_id, granted[0]!.id);
      assert.equal(reports[0]!.person_id, seekerPerson);
      assert.equal(reports[0]!.status, 'open');
      assert.ok(
        reports[0]!.comment && !Buffer.from(reports[0]!.comment).toString('utf8').includes('rendez-vous'),
        'the comment is sealed',
      );
      const reported = (await ledgerEvents(db(), 'access_reported')).filter((e) => e.account_id === seekerAccount);
      assert.equal(reported.length, 1);
      assert.equal(reported[0]!.details.eventId, granted[0]!.id);
    });

    it('« Qui a consulté mon dossier » says the journal is complete, names an entry deleted from the store, and remembers the newest it saw', async () => {
      const { page } = watched;
      const rows = async () =>
        (
          await db()
            .selectFrom('ledger_events')
            .selectAll()
            .where('person_id', '=', seekerPerson)
            .where('kind', 'in', JOURNAL_KINDS)
            .where('seq', 'is not', null)
            .orderBy('seq')
            .execute()
        ).map((r) => ({ ...r, seq: Number(r.seq) }));
      const status = page.getByTestId('chain-status');
      // Two more accesses of the person's file, then every entry under a signed checkpoint, so that each shows its proof checked.
      const organisation = (
        await db().selectFrom('organisations').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow()
      ).id;
      await appendEvents(
        db(),
        ['DOSSIER-2026-0601', 'DOSSIER-2026-0602'].map((caseReference) => ({
          kind: 'access_granted' as const,
          input: {
            personId: seekerPerson,
            organisationId: organisation,
            purpose: PURPOSE,
            caseReference,
            operation: 'read',
            classes: ['identity'],
          },
        })),
      );
      await world.server.runtime.ledger.checkpoint();
      await page.goto(`${world.origin}/mon-espace/consultations`);
      await page.getByTestId('journal-entry').first().waitFor();
      const all = await rows();
      const head = all.length;
      assert.ok(head >= 2);
      await status.getByText(`Journal complet : ${head} entrées, chaînées.`).waitFor();

      // A row deleted from the store: every other entry still proves its inclusion, the chain does not close.
      const victim = all.at(-2)!;
      const n = parseBody(victim.body).chain!.n;
      await db().deleteFrom('ledger_events').where('id', '=', victim.id).execute();
      try {
        await page.reload();
        await status.getByText(`Journal incomplet : l’entrée n°${n} manque.`, { exact: false }).waitFor();
        assert.equal(await page.getByText('Preuve invalide').count(), 0, 'each entry left verifies on its own');
        assert.equal(await status.getAttribute('role'), 'alert');
        await checkPage(watched, 'espace-consultations-incomplet');
      } finally {
        await db().insertInto('ledger_events').values(victim).execute();
      }

      // The newest row deleted and the head rewound with it: only this browser's memory can tell.
      const last = all.at(-1)!;
      const previous = all.at(-2)!;
      const stored = await db()
        .selectFrom('ledger_person_heads')
        .selectAll()
        .where('person_id', '=', seekerPerson)
        .executeTakeFirstOrThrow();
      await db().deleteFrom('ledger_events').where('id', '=', last.id).execute();
      await db()
        .updateTable('ledger_person_heads')
        .set({ n: head - 1, seq: previous.seq, head: storedLeafHash(previous.body).toString('base64url') })
        .where('person_id', '=', seekerPerson)
        .execute();
      try {
        await page.reload();
        await status
          .getByText(
            `Journal incomplet : l’entrée n°${head} manque : votre navigateur l’avait vue lors d’une visite précédente.`,
            { exact: false },
          )
          .waitFor();
      } finally {
        await db().insertInto('ledger_events').values(last).execute();
        await db()
          .updateTable('ledger_person_heads')
          .set({ n: stored.n, seq: stored.seq, head: stored.head })
          .where('person_id', '=', seekerPerson)
          .execute();
      }
      await page.reload();
      await status.getByText(`Journal complet : ${head} entrées, chaînées.`).waitFor();
      assert.deepEqual(watched.problems, []);
    });

    it('« Coordonnées bancaires »: shows the current account, names the wrong field next to it, and a valid change goes through', async () => {
      const { page } = watched;
      await page.getByRole('link', { name: 'Coordonnées bancaires' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Coordonnées bancaires' }).waitFor();
      await page.getByRole('heading', { level: 2, name: 'Compte actuel' }).waitFor();
      await checkPage(watched, 'espace-banque');
      const before = (await ledgerEvents(db(), 'bank_change_requested')).length;
      const identity = (await world.server.runtime.persons.read(seekerPerson, ['identity'])).fields.identity!;
      const holder = `${identity.firstNames[0]} ${identity.lastName}`;
      // A wrong check digit: the IBAN field says so, the others stay quiet.
      await page.getByLabel('IBAN', { exact: false }).first().fill('FR76 3000 6000 0112 3456 7890 188');
      await page.getByLabel('BIC').fill('AGRIFRPP');
      await page.getByLabel('Titulaire du compte').fill(holder);
      await page.getByRole('button', { name: 'Demander le changement' }).click();
      // The session's second factor is old (see above): the page asks for it first, then submits.
      await passStepUpIfAsked(page.getByText('Modification refusée'), 'espace-banque-confirmation');
      await page.getByText('Modification refusée').waitFor();
      const ibanError = page.locator('.fr-input-group--error').filter({ has: page.locator('input[name="iban"]') });
      await ibanError.waitFor();
      assert.ok(
        ((await ibanError.locator('.fr-messages-group').textContent()) ?? '').length > 3,
        'the IBAN field says what is wrong',
      );
      assert.equal(await page.locator('.fr-input-group--error').count(), 1, 'only the IBAN is in error');
      await checkPage(watched, 'espace-banque-erreur');
      assert.equal((await ledgerEvents(db(), 'bank_change_requested')).length, before, 'bad input records nothing');
      assert.ok(watched.refusals.some((r) => r.startsWith('400 POST /api/me/bank-details/changes')));

      // A valid change: a second factor passed less than five minutes ago, or the step-up asked now.
      await page.getByLabel('IBAN', { exact: false }).first().fill('FR76 3000 6000 0112 3456 7890 189');
      await page.getByRole('button', { name: 'Demander le changement' }).click();
      const done = page.getByText(/Demande enregistrée pour le compte/);
      await passStepUpIfAsked(done, 'espace-banque-confirmation-2');
      await done.waitFor();
      await page.getByTestId('pending-change').waitFor();
      assert.equal(await page.locator('.fr-input-group--error').count(), 0);
      const requested = (await ledgerEvents(db(), 'bank_change_requested')).filter(
        (e) => e.details.personId === seekerPerson,
      );
      assert.equal(requested.length, 1);
      const change = await db()
        .selectFrom('bank_changes')
        .select(['status', 'requested_via'])
        .where('person_id', '=', seekerPerson)
        .executeTakeFirstOrThrow();
      assert.ok(['cooling_off', 'awaiting_verification'].includes(change.status));
      // A second request could only end in a 409: the page shows the change in progress instead of a form.
      await page.getByTestId('bank-change-in-progress').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Demander le changement' }).count(), 0);
      await checkPage(watched, 'espace-banque-en-cours');
    });

    it('keeps every space page free of personal data in its address and of script errors', async () => {
      const { page } = watched;
      for (const path of ['/mon-espace', '/mon-espace/consultations', '/mon-espace/securite', '/mon-espace/banque']) {
        await page.goto(`${world.origin}${path}`);
        await page.getByRole('heading', { level: 1 }).waitFor();
        assert.equal(new URL(page.url()).pathname, path);
        assert.equal(new URL(page.url()).search, '');
      }
      assert.deepEqual(watched.problems, []);
    });

    it('removes the authenticator app after confirming identity; with no factor left, the recovery codes go too', async () => {
      const { page } = watched;
      await page.goto(`${world.origin}/mon-espace/securite`);
      const app = await db()
        .selectFrom('account_factors')
        .select('id')
        .where('account_id', '=', seekerAccount)
        .where('kind', '=', 'totp')
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow();
      await db()
        .updateTable('sessions')
        .set({ second_factor_at: new Date(Date.now() - 10 * 60_000).toISOString() })
        .where('account_id', '=', seekerAccount)
        .where('revoked_at', 'is', null)
        .execute();
      await page.getByRole('button', { name: 'Retirer cette application' }).click();
      assert.ok(
        await passStepUpIfAsked(
          page.getByText('Application d’authentification retirée.'),
          'espace-securite-retrait-confirmation',
        ),
        'removing a factor asks for a fresh one',
      );
      await page.getByText('Application d’authentification retirée.').waitFor();
      await page.getByText('Aucun second facteur n’est activé.').waitFor();
      const left = await db()
        .selectFrom('account_factors')
        .select(['kind'])
        .where('account_id', '=', seekerAccount)
        .where('revoked_at', 'is', null)
        .execute();
      assert.deepEqual(left, [], 'neither the app nor the recovery codes remain');
      const revoked = (await ledgerEvents(db(), 'factor_revoked')).filter(
        (e) => e.account_id === seekerAccount && e.details.factor === app.id,
      );
      assert.equal(revoked.length, 1);
      assert.equal(revoked[0]!.details.recoveryCodesRevoked, true);
      await checkPage(watched, 'espace-securite-sans-facteur');
      // Without a second factor a bank change cannot succeed: the page asks for one first, and offers no form.
      await page.getByRole('link', { name: 'Coordonnées bancaires' }).first().click();
      await page.getByTestId('bank-needs-factor').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Demander le changement' }).count(), 0);
      await page.getByRole('link', { name: 'Activer un second facteur' }).waitFor();
      await checkPage(watched, 'espace-banque-sans-facteur');
    });

    it('« Ce n’est pas moi », from the notice’s link: the service’s own page (header, Marianne, footer), the code filled in, the change blocked', async () => {
      const notice = messagesTo(world.server.env.config.dataDir, seeker)
        .filter((m) => m.subject === 'Modification de vos coordonnées bancaires')
        .at(-1);
      assert.ok(notice, 'the bank-change notice was sent');
      const link = /(https?:\/\/\S+\/ce-n-est-pas-moi\?code=[0-9A-Z-]+)/.exec(notice.body)?.[1];
      assert.ok(link, notice.body);
      const code = new URL(link).searchParams.get('code')!;
      const visitor = await openPage(world);
      const { page } = visitor;
      await page.goto(`${world.origin}/ce-n-est-pas-moi?code=${code}`);
      await page.getByRole('heading', { level: 1, name: 'Ce n’est pas moi' }).waitFor();
      await page.locator('header .fr-header__logo').waitFor();
      await page.locator('footer .fr-footer__brand').waitFor();
      assert.equal(await page.getByLabel('Code reçu').inputValue(), code, 'the link fills the form, nothing more');
      const change = () =>
        db()
          .selectFrom('bank_changes')
          .select('status')
          .where('person_id', '=', seekerPerson)
          .executeTakeFirstOrThrow();
      assert.notEqual((await change()).status, 'frozen', 'following the link blocks nothing');
      await checkPage(visitor, 'ce-n-est-pas-moi');
      await page.getByRole('button', { name: 'Bloquer la modification' }).click();
      await page.getByRole('heading', { level: 1, name: 'Modification bloquée' }).waitFor();
      assert.equal((await change()).status, 'frozen');
      await checkPage(visitor, 'ce-n-est-pas-moi-bloquee');
      await visitor.context.close();
    });

    it('« Mot de passe oublié ? » from the sign-in page: a code to the verified address, a new password, and it signs in', async () => {
      const visitor = await openPage(world);
      const { page } = visitor;
      await page.goto(`${world.origin}/connexion`);
      await page.getByRole('link', { name: 'Mot de passe oublié ?' }).click();
      await page.getByRole('heading', { level: 1, name: 'Mot de passe oublié' }).waitFor();
      await checkPage(visitor, 'mot-de-passe-oublie');
      await page.getByLabel('Identifiant').fill(seeker);
      await page.getByRole('button', { name: 'Recevoir un code' }).click();
      await page.getByLabel('Code reçu').waitFor();
      const code = lastCodeSentTo(world.server.env.config.dataDir, seeker);
      // A password too short is named, and changes nothing.
      await page.getByLabel('Code reçu').fill(code);
      await page.getByLabel('Nouveau mot de passe').fill('court');
      await page.getByRole('button', { name: 'Changer le mot de passe' }).click();
      await page.getByText('Changement refusé').waitFor();
      const fresh = RECOVERED_PASSWORD;
      await page.getByLabel('Nouveau mot de passe').fill(fresh);
      await page.getByRole('button', { name: 'Changer le mot de passe' }).click();
      await page.getByText('Votre mot de passe est changé').waitFor();
      await checkPage(visitor, 'mot-de-passe-change');
      await signInThroughPage(page, world.origin, seeker, fresh);
      await page.waitForURL(`${world.origin}/mon-espace`);
      await visitor.context.close();
    });

    it('« Changer mon mot de passe » on « Sécurité du compte »: each refusal said next to its field, then changed, the other sessions closed, and it signs in with the new one', async () => {
      const app = world.server.app;
      // An authenticator app again (removed above), enrolled through the API: the form then asks for its code.
      const device: Client = {
        remoteAddress: '10.0.0.91',
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      const enrolling = as(app, device, await signIn(app, device, seeker, RECOVERED_PASSWORD));
      const begin = await enrolling('POST', '/api/auth/factors/totp');
      assert.equal(begin.statusCode, 200, begin.body);
      const secret = begin.json().secret as string;
      const confirmed = await enrolling('POST', '/api/auth/factors/totp/confirm', {
        factorId: begin.json().factorId,
        code: totpCode(secret),
      });
      assert.equal(confirmed.statusCode, 200, confirmed.body);
      const codes = (confirmed.json().recoveryCodes as string[]).slice();
      const deviceSession = { cookie: cookieOf(confirmed), csrf: confirmed.json().csrfToken as string };
      const open = async () =>
        (
          await db()
            .selectFrom('sessions')
            .select('public_id')
            .where('account_id', '=', seekerAccount)
            .where('revoked_at', 'is', null)
            .execute()
        ).length;

      const visitor = await openPage(world);
      const { page } = visitor;
      await signInThroughPage(page, world.origin, seeker, RECOVERED_PASSWORD, () => codes.shift()!);
      await page.waitForURL(`${world.origin}/mon-espace`);
      await page.getByRole('link', { name: 'Sécurité du compte' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Sécurité du compte' }).waitFor();
      // The sessions' advice leads to the form.
      await page.getByRole('link', { name: 'changez votre mot de passe' }).click();
      await page.waitForURL(/#mot-de-passe$/);
      const form = page.getByTestId('password-change');
      await page.getByRole('heading', { level: 2, name: 'Changer mon mot de passe' }).waitFor();
      // The account has an app: its code is asked for (the field comes once the factors are read).
      const code = form.getByLabel('Code de votre second facteur');
      await code.waitFor();
      await checkPage(visitor, 'espace-securite-mot-de-passe');
      // The sign-in's factor is older than five minutes: only the form's code can prove it now.
      await db()
        .updateTable('sessions')
        .set({ second_factor_at: new Date(Date.now() - 10 * 60_000).toISOString() })
        .where('account_id', '=', seekerAccount)
        .where('revoked_at', 'is', null)
        .execute();
      const hashBefore = (
        await db()
          .selectFrom('accounts')
          .select('password_hash')
          .where('id', '=', seekerAccount)
          .executeTakeFirstOrThrow()
      ).password_hash;
      const fieldInError = (name: string) =>
        form.locator('.fr-input-group--error').filter({ has: page.locator(`input[name="${name}"]`) });
      const submit = () => form.getByRole('button', { name: 'Changer mon mot de passe' }).click();

      // A wrong current password: said next to it, and only there.
      await form.getByLabel('Mot de passe actuel').fill('pas le bon mot de passe');
      await form.getByLabel('Nouveau mot de passe').fill(CHANGED_PASSWORD);
      await submit();
      await fieldInError('currentPassword').getByText('Le mot de passe actuel est incorrect.').waitFor();
      assert.equal(await form.locator('.fr-input-group--error').count(), 1);
      await page.getByText('Changement refusé').waitFor();
      await checkPage(visitor, 'espace-securite-mot-de-passe-refus');

      // A password too short: said next to the new one, in recovery's words, as a sentence.
      await form.getByLabel('Mot de passe actuel').fill(RECOVERED_PASSWORD);
      await form.getByLabel('Nouveau mot de passe').fill('court');
      await submit();
      await fieldInError('newPassword')
        .getByText(/^Au moins 12 caractères ; .*\.$/)
        .waitFor();
      await fieldInError('currentPassword').waitFor({ state: 'detached' });
      assert.equal(await form.locator('.fr-input-group--error').count(), 1);

      // No code, and no factor passed lately: the code field says it is needed.
      await form.getByLabel('Nouveau mot de passe').fill(CHANGED_PASSWORD);
      await submit();
      await fieldInError('secondFactorCode')
        .getByText(/^Votre compte a un second facteur/)
        .waitFor();
      assert.equal(await form.locator('.fr-input-group--error').count(), 1);
      assert.equal(
        (
          await db()
            .selectFrom('accounts')
            .select('password_hash')
            .where('id', '=', seekerAccount)
            .executeTakeFirstOrThrow()
        ).password_hash,
        hashBefore,
        'no refusal changed the password',
      );
      assert.ok(visitor.refusals.includes('400 POST /api/auth/password'));
      assert.ok(visitor.refusals.includes('403 POST /api/auth/password'));

      // The code of the app: changed, the other sessions closed, this one kept.
      assert.ok((await open()) >= 2, 'another device is signed in');
      await code.fill(totpCode(secret, 1));
      await submit();
      await page.getByText(/^Votre mot de passe a été changé\./).waitFor();
      await form.locator('.fr-input-group--error').first().waitFor({ state: 'detached' });
      assert.equal(await form.getByLabel('Mot de passe actuel').inputValue(), '', 'the fields are emptied');
      assert.equal(await open(), 1, 'only this session is left');
      assert.equal((await as(app, device, deviceSession)('GET', '/api/auth/session')).statusCode, 401);
      const notice = messagesTo(world.server.env.config.dataDir, seeker).at(-1)!;
      assert.equal(notice.subject, 'Rempart : votre mot de passe a été changé');
      assert.ok(notice.body.includes(`${world.origin}/mot-de-passe-oublie`), notice.body);
      await checkPage(visitor, 'espace-securite-mot-de-passe-change');
      // The re-issued session is this page's: a reload keeps it, « Cette session » among the sessions, and the change in the activity.
      await page.reload();
      await page.getByTestId('sessions').getByText('Cette session (cet appareil)').waitFor();
      await page.getByTestId('security-events').getByText('Mot de passe modifié').first().waitFor();
      const changed = (await ledgerEvents(db(), 'password_changed')).filter(
        (e) => e.account_id === seekerAccount && e.details.via === 'change',
      );
      assert.equal(changed.length, 1);

      await page.getByRole('button', { name: 'Se déconnecter' }).click();
      await page.waitForURL(`${world.origin}/connexion`);
      await signInThroughPage(page, world.origin, seeker, CHANGED_PASSWORD, () => codes.shift()!);
      await page.waitForURL(`${world.origin}/mon-espace`);
      assert.deepEqual(visitor.problems, []);
      await visitor.context.close();
    });
  },
);
