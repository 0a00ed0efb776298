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
  signInThroughPage,
  type WebWorld,
} from '../helpers/browser.ts';

/** 10 March 2026 in Paris: February's update is open until the end of the 15th. */
let now = new Date('2026-03-10T10:00:00.000Z');

describe(
  `web application: « M’actualiser », the monthly update, in a real browser (${BACKEND})`,
  { skip: browserSkip, timeout: 300_000 },
  () => {
    let world: WebWorld;
    let seeker = '';
    let personId = '';
    const db = () => world.server.runtime.database.db;

    before(async () => {
      world = await openWebWorld({ persons: 20, clock: { now: () => now } });
      seeker = (await ensureDemoAccounts(world.server.runtime, 1))[0]!.login;
      personId = (
        await db().selectFrom('accounts').select('person_id').where('login', '=', seeker).executeTakeFirstOrThrow()
      ).person_id!;
      const persons = world.server.runtime.persons;
      const registration = (await persons.read(personId, ['registration'])).fields.registration!;
      await persons.update(personId, {
        registration: { ...registration, category: 'A', status: 'registered', registeredOn: '2025-06-02' },
      });
    });
    after(async () => {
      await world?.close();
    });

    it('the person declares their month on their honour, then corrects it; the form refuses what is not sworn', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      await signInThroughPage(page, world.origin, seeker, DEMO_PASSWORD);
      await page.waitForURL(`${world.origin}/mon-espace`);
      await page.getByRole('link', { name: 'M’actualiser' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'M’actualiser' }).waitFor();
      await page.getByRole('heading', { level: 2, name: 'Votre situation en février 2026' }).waitFor();
      await page
        .getByRole('group', { name: 'Êtes-vous toujours à la recherche d’un emploi ?' })
        .getByLabel('Oui')
        .check({ force: true });
      await page
        .getByRole('group', { name: 'Avez-vous travaillé ce mois-ci ?' })
        .getByLabel('Oui')
        .check({ force: true });
      await page.getByLabel('Employeur (contrat 1)').fill('Boulangerie Dupré');
      await page.getByLabel('Heures travaillées (contrat 1)').fill('35');
      await page.getByLabel('Salaire brut en euros (contrat 1)').fill('423,50');
      await checkPage(watched, 'espace-actualisation');
      // Not sworn: refused by the server, said, nothing written.
      await page.getByRole('button', { name: 'M’actualiser' }).click();
      await page.getByText('Actualisation non enregistrée').waitFor();
      assert.equal((await db().selectFrom('monthly_updates').select('id').execute()).length, 0);
      await page.getByLabel('Je déclare sur l’honneur l’exactitude de ces informations').check({ force: true });
      await page.getByRole('button', { name: 'M’actualiser' }).click();
      await page.getByText('Votre actualisation de février 2026 est enregistrée.').waitFor();
      const table = page.getByRole('table', { name: 'Mes actualisations' });
      await table.getByText('Boulangerie Dupré : 35 h, 423,50 € brut').waitFor();
      // A correction until the 15th.
      await page
        .getByRole('group', { name: 'Avez-vous travaillé ce mois-ci ?' })
        .getByLabel('Non')
        .check({ force: true });
      await page.getByLabel('Je déclare sur l’honneur l’exactitude de ces informations').check({ force: true });
      await page.getByRole('button', { name: 'Corriger mon actualisation' }).click();
      await page.getByText('Votre actualisation de février 2026 est corrigée.').waitFor();
      await table.getByText('février 2026 (correction 1)').waitFor();
      const rows = await db()
        .selectFrom('monthly_updates')
        .select('version')
        .where('person_id', '=', personId)
        .execute();
      assert.deepEqual(rows.map((r) => r.version).sort(), [1, 2]);
      await checkPage(watched, 'espace-actualisation-faite');
      await watched.context.close();
    });

    it('between the 16th and the 27th, says when the next update opens', async () => {
      now = new Date('2026-03-20T10:00:00.000Z');
      const watched = await openPage(world);
      const { page } = watched;
      await signInThroughPage(page, world.origin, seeker, DEMO_PASSWORD);
      await page.waitForURL(`${world.origin}/mon-espace`);
      await page.goto(`${world.origin}/mon-espace/actualisation`);
      await page.getByText('L’actualisation n’est pas ouverte : la prochaine ouvre le 28 mars 2026.').waitFor();
      await watched.context.close();
    });
  },
);
