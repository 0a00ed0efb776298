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

/** 10 March 2026 in Paris: February's monthly update is open. */
const now = new Date('2026-03-10T10:00:00.000Z');

describe(
  `web application: a mandate to a France Services aidant, given by code and revoked, in a real browser (${BACKEND})`,
  { skip: browserSkip, timeout: 300_000 },
  () => {
    let world: WebWorld;
    let seeker = '';
    let franceTravailId = '';
    const db = () => world.server.runtime.database.db;

    before(async () => {
      world = await openWebWorld({ persons: 20, clock: { now: () => now } });
      seeker = (await ensureDemoAccounts(world.server.runtime, 1))[0]!.login;
      const personId = (
        await db().selectFrom('accounts').select('person_id').where('login', '=', seeker).executeTakeFirstOrThrow()
      ).person_id!;
      const persons = world.server.runtime.persons;
      const registration = (await persons.read(personId, ['registration'])).fields.registration!;
      franceTravailId = registration.franceTravailId;
      await persons.update(personId, {
        registration: { ...registration, category: 'A', status: 'registered', registeredOn: '2025-06-02' },
      });
    });
    after(async () => {
      await world?.close();
    });

    it('the aidant prepares it, the person confirms it, the aidant acts, the person reads it in their journal, revokes it, and the aidant is refused', async () => {
      const aidant = await openPage(world);
      await signInEnrollingThroughPage(aidant.page, world.origin, 'fs.blaye.aidant1');
      await aidant.page.goto(`${world.origin}/console`);
      await aidant.page.getByRole('heading', { level: 1, name: 'Mes mandats' }).waitFor();
      // A bad identifier: refused, said, nothing written.
      await aidant.page.getByLabel('Identifiant France Travail de la personne').fill('abc');
      await aidant.page.getByLabel(/^Actualisation :/).check({ force: true });
      await aidant.page.getByRole('button', { name: 'Préparer le mandat' }).click();
      await aidant.page.getByText('Mandat non préparé').waitFor();
      assert.equal((await db().selectFrom('mandates').select('id').execute()).length, 0);
      await aidant.page.getByLabel('Identifiant France Travail de la personne').fill(franceTravailId);
      await aidant.page.getByLabel(/^Inscription :/).check({ force: true });
      await aidant.page.getByRole('button', { name: 'Préparer le mandat' }).click();
      await aidant.page.getByText('Mandat préparé : un code est parti').waitFor();
      await aidant.page
        .getByTestId('mandate-text')
        .getByText(/Je donne mandat à Nadia Benali/)
        .waitFor();
      await aidant.page.getByText('En attente de votre confirmation').waitFor();
      await checkPage(aidant, 'console-mandats');

      const person = await openPage(world);
      await signInThroughPage(person.page, world.origin, seeker, DEMO_PASSWORD);
      await person.page.waitForURL(`${world.origin}/mon-espace`);
      await person.page.getByRole('link', { name: 'Mes mandats' }).first().click();
      await person.page.getByRole('heading', { level: 2, name: 'Nadia Benali (France Services de Blaye)' }).waitFor();
      await checkPage(person, 'espace-mandats');
      await person.page.getByRole('button', { name: 'Confirmer ce mandat' }).click();
      await person.page.getByText('Mandat confirmé : votre aidant peut maintenant agir').waitFor();
      await person.page.getByText('En cours').waitFor();

      await aidant.page.reload();
      await aidant.page.getByRole('button', { name: 'Actualiser avec la personne' }).click();
      await aidant.page.getByText('Actualisation enregistrée au nom de la personne').waitFor();
      await aidant.page.getByRole('button', { name: 'Voir l’inscription' }).click();
      await aidant.page
        .getByTestId('aidant-result')
        .getByText(/catégorie A/)
        .waitFor();

      await person.page.getByRole('link', { name: 'Qui a consulté mon dossier' }).first().click();
      await person.page
        .getByRole('heading', { name: 'Nadia Benali (France Services de Blaye), avec votre mandat du 10 mars 2026' })
        .first()
        .waitFor();

      await person.page.getByRole('link', { name: 'Mes mandats' }).first().click();
      await person.page.getByRole('button', { name: 'Retirer tout le mandat' }).click();
      await person.page.getByText('Mandat retiré : votre aidant ne peut plus agir en votre nom.').waitFor();
      await person.page.getByText('Retiré', { exact: true }).waitFor();

      await aidant.page.reload();
      await aidant.page.getByRole('button', { name: 'Actualiser avec la personne' }).click();
      await aidant.page.getByText('Action refusée').waitFor();
      assert.ok(
        aidant.refusals.some((r) => /^403 POST \/api\/staff\/mandates\/[0-9a-f-]+\/monthly-update$/.test(r)),
        aidant.refusals.join('\n'),
      );
      assert.deepEqual(person.problems, []);
      assert.deepEqual(aidant.problems, []);
    });
  },
);
