import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureDemoAccounts } from '../../src/cli/commands/demo-accounts.ts';
import { BACKEND } from '../helpers/backend.ts';
import {
  browserSkip,
  checkPage,
  DEMO_PASSWORD,
  openPage,
  openWebWorld,
  signInEnrollingThroughPage,
  signInThroughPage,
  type WebWorld,
} from '../helpers/browser.ts';

describe(
  `web application: « Courrier papier pour toute correspondance » in the espace, a letter queued, in a real browser (${BACKEND})`,
  { skip: browserSkip, timeout: 300_000 },
  () => {
    let world: WebWorld;
    let seeker = '';
    let personId = '';
    const db = () => world.server.runtime.database.db;

    before(async () => {
      world = await openWebWorld({ persons: 40 });
      seeker = (await ensureDemoAccounts(world.server.runtime, 1))[0]!.login;
      personId = (
        await db().selectFrom('accounts').select('person_id').where('login', '=', seeker).executeTakeFirstOrThrow()
      ).person_id!;
    });
    after(async () => {
      await world?.close();
    });

    it('the person turns paper on in « Sécurité du compte »: a letter is queued, and shown', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      await signInThroughPage(page, world.origin, seeker, DEMO_PASSWORD);
      await page.waitForURL(`${world.origin}/mon-espace`);
      await page.getByRole('link', { name: 'Sécurité du compte' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Sécurité du compte' }).waitFor();
      await page.getByRole('heading', { level: 2, name: 'Courrier papier' }).waitFor();
      const toggle = page.getByLabel('Courrier papier pour toute correspondance');
      assert.equal(await toggle.isChecked(), false);
      assert.equal(
        (await db().selectFrom('paper_letters').select('id').where('person_id', '=', personId).execute()).length,
        0,
      );

      await toggle.check({ force: true });
      await page.getByText(/vos avis vous seront aussi envoyés par courrier/).waitFor();
      await page.getByRole('table', { name: 'Mes derniers courriers' }).waitFor();
      await page.getByRole('cell', { name: 'En attente d’impression' }).waitFor();
      assert.equal(await toggle.isChecked(), true);

      // The queue: one letter, queued, its text sealed; the choice recorded as the person's.
      const letters = await db().selectFrom('paper_letters').selectAll().where('person_id', '=', personId).execute();
      assert.equal(letters.length, 1);
      assert.equal(letters[0]!.status, 'queued');
      assert.equal(letters[0]!.kind, 'correspondence_preference_announcement');
      const preference = await db()
        .selectFrom('correspondence_preferences')
        .selectAll()
        .where('person_id', '=', personId)
        .executeTakeFirstOrThrow();
      assert.equal(Number(preference.paper), 1);
      assert.equal(preference.set_by, 'person');
      const queued = await db()
        .selectFrom('ledger_events')
        .select('id')
        .where('kind', '=', 'paper_letter_queued')
        .where('person_id', '=', personId)
        .execute();
      assert.equal(queued.length, 1);

      await checkPage(watched, 'espace-courrier-papier');
      await watched.context.close();
    });

    it('the security officer’s mail room: the letter listed, marked posted, then returned with its reason; a letter that reached nobody, joined by an agent', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      await signInEnrollingThroughPage(page, world.origin, 'rssi.na');
      await page.getByRole('link', { name: 'Courrier' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Courrier papier' }).waitFor();
      const table = page.getByRole('table', { name: /Courriers \(1\)/ });
      await table.waitFor();
      await table.getByText('Préférence de correspondance').waitFor();
      await checkPage(watched, 'bureau-courrier');

      await page.getByRole('button', { name: 'Marquer posté' }).click();
      await page.getByText('Courrier marqué « posté ».').waitFor();
      await page.getByLabel('Courriers affichés').selectOption('posted');
      await page
        .getByRole('table', { name: /Courriers \(1\)/ })
        .getByText(/Posté le/)
        .waitFor();
      await page.getByLabel('Motif du retour').selectOption('non_reclame');
      await page.getByRole('button', { name: 'Marquer revenu' }).click();
      await page.getByText(/L’avis a été envoyé à 1 moyen/).waitFor();

      const letter = await db()
        .selectFrom('paper_letters')
        .selectAll()
        .where('person_id', '=', personId)
        .executeTakeFirstOrThrow();
      assert.equal(letter.status, 'returned');
      assert.equal(letter.return_reason, 'non_reclame');
      assert.ok(letter.posted_at);
      await page.getByLabel('Courriers affichés').selectOption('returned');
      await page
        .getByRole('table', { name: /Courriers \(1\)/ })
        .getByText('Motif : Non réclamé')
        .waitFor();
      await checkPage(watched, 'bureau-courrier-revenu');

      // A letter back that reached the person nowhere else: the mail room records how an agent reached them.
      const { runtime } = world.server;
      const account = await db()
        .selectFrom('accounts')
        .select('id')
        .where('login', '=', seeker)
        .executeTakeFirstOrThrow();
      // No verified channel left: the notice of the letter that comes back reaches nobody.
      await db()
        .updateTable('account_channels')
        .set({ verified_at: null })
        .where('account_id', '=', account.id)
        .execute();
      await runtime.paper.queueNotice(
        { personId, accountId: account.id, kind: 'bank_alert', subject: 'Vos coordonnées bancaires', body: 'Avis.' },
        db(),
      );
      const flagged = await db()
        .selectFrom('paper_letters')
        .select('id')
        .where('person_id', '=', personId)
        .where('kind', '=', 'bank_alert')
        .executeTakeFirstOrThrow();
      const rssi = await db()
        .selectFrom('accounts')
        .select('id')
        .where('login', '=', 'rssi.na')
        .executeTakeFirstOrThrow();
      const back = await runtime.paper.markReturned(flagged.id, { reason: 'adresse_inconnue' }, { accountId: rssi.id });
      assert.equal(back.needsAgent, true);

      await page.getByLabel('Courriers affichés').selectOption('posted');
      await page.getByLabel('Courriers affichés').selectOption('returned');
      const returned = page.getByRole('table', { name: /Courriers \(2\)/ });
      await returned.getByText('À joindre par un agent').waitFor();
      await page.getByLabel('Comment la personne a été jointe').selectOption('agence');
      await page.getByRole('button', { name: 'Marquer jointe aujourd’hui' }).click();
      await page.getByText('Personne jointe (à l’agence) : le courrier n’attend plus d’agent.').waitFor();
      await returned.getByText(/Jointe par un agent le .* \(à l’agence\)/).waitFor();
      const row = await db()
        .selectFrom('paper_letters')
        .select(['needs_agent', 'reached_how', 'reached_by_account'])
        .where('id', '=', flagged.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(
        { needs: Number(row.needs_agent), how: row.reached_how, by: row.reached_by_account },
        { needs: 0, how: 'agence', by: rssi.id },
      );
      await checkPage(watched, 'bureau-courrier-joint');
      await watched.context.close();
    });
  },
);
