import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
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

describe(
  `web application: rights requests, « Exercer mes droits » and the DPO's desk, in a real browser (${BACKEND})`,
  { skip: browserSkip, timeout: 300_000 },
  () => {
    let world: WebWorld;
    let seeker = '';
    let seekerPerson = '';
    let reference = '';
    /** An access request received by letter, answered later: granted, with the copy of the data. */
    let lateAccess = '';
    const db = () => world.server.runtime.database.db;

    before(async () => {
      world = await openWebWorld({ persons: 40 });
      seeker = (await ensureDemoAccounts(world.server.runtime, 1))[0]!.login;
      seekerPerson = (
        await db().selectFrom('accounts').select('person_id').where('login', '=', seeker).executeTakeFirstOrThrow()
      ).person_id!;
    });
    after(async () => {
      await world?.close();
    });

    it('the person asks for the erasure of their data from « Exercer mes droits »', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      await signInThroughPage(page, world.origin, seeker, DEMO_PASSWORD);
      await page.waitForURL(`${world.origin}/mon-espace`);
      await page.getByRole('link', { name: 'Exercer mes droits' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Exercer mes droits sur mes données' }).waitFor();
      await page.getByText('Vous n’avez fait aucune demande.').waitFor();
      await page.getByLabel('Faire effacer mes données').check({ force: true });
      await page
        .getByLabel('Précisez votre demande (facultatif)')
        .fill('Je ne suis plus inscrit : effacez mon dossier.');
      await page.getByRole('button', { name: 'Envoyer ma demande' }).click();
      const notice = page.getByText(/Votre demande DDR-\d{4}-[0-9A-F]{8} est enregistrée/);
      await notice.waitFor();
      reference = /DDR-\d{4}-[0-9A-F]{8}/.exec((await notice.textContent())!)![0];
      await page.getByRole('heading', { level: 3, name: new RegExp(reference) }).waitFor();
      await page.getByText('reçue', { exact: true }).waitFor();
      await checkPage(watched, 'espace-droits');
      await watched.context.close();
    });

    it('the DPO sees the queue with its clocks, overdue in words, and refuses the erasure with its legal reference', async () => {
      // A request received by letter 40 days ago, never answered: overdue.
      const late = await world.server.runtime.rightsRequests.file(
        {
          personId: seekerPerson,
          kind: 'access',
          channel: 'letter',
          verification: { method: 'identity_document_copy' },
        },
        { accountId: null },
      );
      lateAccess = late.id;
      await db()
        .updateTable('rights_requests')
        .set({ received_at: new Date(Date.now() - 40 * 86_400_000).toISOString() })
        .where('id', '=', late.id)
        .execute();

      const watched: WatchedPage = await openPage(world);
      const { page } = watched;
      await signInThroughPage(page, world.origin, 'dpo.na', DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Utiliser une application d’authentification' }).click();
      const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
      await page.getByLabel('Premier code').fill(new TOTP({ secret: Secret.fromBase32(secret) }).generate());
      await page.getByRole('button', { name: 'Activer' }).click();
      await page.getByRole('heading', { name: 'Vos codes de secours' }).waitFor();
      await page.getByRole('button', { name: /J’ai conservé mes codes/ }).click();
      await page.waitForURL((url) => url.pathname !== '/connexion');

      await page.getByRole('link', { name: 'Demandes d’exercice des droits' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Demandes d’exercice des droits' }).waitFor();
      const table = page.getByRole('table', { name: /Demandes, les échéances les plus proches d’abord/ });
      await table.getByText(/En retard : en retard de \d+ jours/).waitFor();
      await table.getByText(/jours restants/).waitFor();
      await page.getByText('2 demandes en cours, dont 1 en retard.').waitFor();
      await checkPage(watched, 'bureau-droits');

      await table.getByRole('link', { name: reference }).click();
      await page.getByRole('heading', { level: 1, name: `Demande ${reference}` }).waitFor();
      await page.getByText('Je ne suis plus inscrit : effacez mon dossier.').waitFor();
      await page.getByRole('button', { name: 'Commencer le traitement' }).click();
      await page.getByText('Commencer le traitement : fait.').waitFor();
      await page.getByLabel('Refusée').check({ force: true });
      await page.getByLabel('Motif du refus').selectOption('legal_obligation');
      await page
        .getByLabel('Message à la personne (ce qui a été fait, ce qui est joint)')
        .fill('Votre dossier est conservé pour la durée fixée par la loi.');
      await page.getByRole('button', { name: 'Envoyer la réponse' }).click();
      await page.getByText('Réponse envoyée.').waitFor();
      // The reason in words with its reference, never its code.
      await page
        .getByText(
          /^Motif : Ces données sont conservées pour respecter une obligation légale.*\(RGPD art\. 17\.3\.b\)$/,
        )
        .waitFor();
      assert.ok(!(await page.locator('main').textContent())!.includes('legal_obligation'));
      await page.getByRole('table', { name: 'Étapes de la demande' }).getByText('Réponse envoyée').waitFor();
      await page.getByRole('button', { name: 'Clore la demande' }).waitFor();
      await checkPage(watched, 'bureau-droits-demande');

      // A restriction request: granted from the form, with the classes restricted.
      const restriction = await world.server.runtime.rightsRequests.file(
        {
          personId: seekerPerson,
          kind: 'restriction',
          channel: 'letter',
          verification: { method: 'identity_document_copy' },
        },
        { accountId: null },
      );
      await page.goto(`${world.origin}/bureau/droits/${restriction.id}`);
      await page.getByRole('heading', { level: 1, name: `Demande ${restriction.reference}` }).waitFor();
      await page.getByRole('button', { name: 'Commencer le traitement' }).click();
      await page.getByText('Commencer le traitement : fait.').waitFor();
      await page.getByLabel('Demande satisfaite').check({ force: true });
      await page.getByRole('group', { name: /Données dont le traitement est limité/ }).waitFor();
      await page.getByLabel('Coordonnées', { exact: true }).check({ force: true });
      await checkPage(watched, 'bureau-droits-limitation');
      await page.getByRole('button', { name: 'Envoyer la réponse' }).click();
      await page.getByText('Réponse envoyée.').waitFor();
      await page.getByText('Traitement limité (RGPD art. 18) : Coordonnées').waitFor();
      const restricted = await db()
        .selectFrom('person_restrictions')
        .select(['class', 'rights_request_id'])
        .where('person_id', '=', seekerPerson)
        .execute();
      assert.deepEqual(restricted, [{ class: 'contact', rights_request_id: restriction.id }]);

      // More requests than a page: the queue is paged, the pages linked.
      for (let i = 0; i < 20; i++)
        await world.server.runtime.rightsRequests.file(
          { personId: seekerPerson, kind: 'access', channel: 'phone' },
          { accountId: null },
        );
      await page.goto(`${world.origin}/bureau/droits`);
      await page.getByText(/21 demandes en cours, dont 1 en retard\. Page 1 sur 2 \(23 demandes\)\./).waitFor();
      const rows = page
        .getByRole('table', { name: /Demandes, les échéances les plus proches d’abord/ })
        .locator('tbody tr');
      assert.equal(await rows.count(), 20);
      await page
        .getByRole('navigation', { name: /pagination/i })
        .getByRole('link', { name: '2', exact: true })
        .click();
      await page.waitForURL(`${world.origin}/bureau/droits?page=2`);
      await page.getByText(/Page 2 sur 2/).waitFor();
      await rows.nth(3).waitFor({ state: 'detached' });
      assert.equal(await rows.count(), 3);
      await checkPage(watched, 'bureau-droits-page-2');
      await watched.context.close();
    });

    it('the person reads the answer in their espace, with the CNIL, and downloads the copy an access granted gives', async () => {
      const requests = world.server.runtime.rightsRequests;
      await requests.start(lateAccess, { accountId: null });
      await requests.answer(lateAccess, { outcome: 'granted', channel: 'espace' }, { accountId: null });
      const watched = await openPage(world);
      const { page } = watched;
      await signInThroughPage(page, world.origin, seeker, DEMO_PASSWORD);
      await page.waitForURL(`${world.origin}/mon-espace`);
      await page.goto(`${world.origin}/mon-espace/droits`);
      await page.getByText(/Notre réponse du .* : demande refusée/).waitFor();
      const text = await page.locator('main').textContent();
      assert.ok(text!.includes('RGPD art. 17.3.b'));
      assert.ok(text!.includes('CNIL'));
      assert.ok(text!.includes('Le traitement des données suivantes de votre dossier est limité : Coordonnées.'));
      const granted = page
        .locator('.fr-callout', { hasText: 'demande satisfaite' })
        .filter({ hasText: 'Copie de vos données' });
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        granted.getByRole('button', { name: 'Télécharger mes données' }).click(),
      ]);
      assert.match(file.suggestedFilename(), /^mes-donnees-rempart-\d{4}-\d{2}-\d{2}\.json$/);
      const data = JSON.parse(readFileSync((await file.path())!, 'utf8')) as { file: { id: string } };
      assert.equal(data.file.id, seekerPerson);
      await page.getByText(/Vos données ont été téléchargées/).waitFor();
      await checkPage(watched, 'espace-droits-reponse');
      await watched.context.close();
    });
  },
);
