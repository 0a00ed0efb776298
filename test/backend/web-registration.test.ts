import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BACKEND } from '../helpers/backend.ts';
import {
  browserSkip,
  checkPage,
  openPage,
  openWebWorld,
  signInEnrollingThroughPage,
  signInThroughPage,
  type WebWorld,
} from '../helpers/browser.ts';
import { nirFor } from '../helpers/fixtures.ts';
import { lastCodeSentTo, messagesTo } from '../helpers/outbox.ts';

const PASSWORD = 'trois pommes vertes sous la pluie';

describe(
  `web application: « M’inscrire », the online registration, in a real browser (${BACKEND})`,
  { skip: browserSkip, timeout: 300_000 },
  () => {
    let world: WebWorld;
    const db = () => world.server.runtime.database.db;

    before(async () => {
      world = await openWebWorld({ persons: 20 });
    });
    after(async () => {
      await world?.close();
    });

    it('proves the address, fills the steps, is refused a bad NIR with its message, registers, then signs in', async () => {
      const email = 'lea.fontaine@exemple.fr';
      const watched = await openPage(world);
      const { page } = watched;
      await page.goto(`${world.origin}/connexion`);
      await page.getByRole('link', { name: 'M’inscrire' }).click();
      await page.getByRole('heading', { level: 1, name: 'M’inscrire comme demandeur d’emploi' }).waitFor();

      await page.getByLabel('Adresse électronique').fill(email);
      await page.getByRole('button', { name: 'Recevoir un code' }).click();
      await page.getByText('Un code de confirmation vient d’être envoyé').waitFor();
      await page.getByLabel('Code reçu par courriel').fill(lastCodeSentTo(world.server.runtime.config.dataDir, email));
      await page.getByRole('button', { name: 'Confirmer mon adresse' }).click();

      // Identité, with a NIR whose key is wrong.
      await page.getByLabel('Nom de naissance').fill('FONTAINE');
      await page.getByLabel('Prénoms').fill('Léa Marie');
      await page.getByText('Femme', { exact: true }).click();
      await page.getByLabel('Date de naissance').fill('1990-03-14');
      const nir = nirFor(42);
      const wrongNir = `${nir.slice(0, 13)}${nir.slice(13) === '01' ? '02' : '01'}`;
      await page.getByLabel('Numéro de sécurité sociale (NIR)').fill(wrongNir);
      await checkPage(watched, 'inscription-identite');
      await page.getByRole('button', { name: 'Enregistrer et continuer' }).click();

      // Coordonnées.
      await page.getByText('Brouillon enregistré').waitFor();
      await page.getByLabel('Téléphone (facultatif)').fill('06 39 98 01 23');
      await page.getByRole('button', { name: 'Enregistrer et continuer' }).click();
      // Formation et expérience.
      await page.getByRole('button', { name: 'Ajouter une expérience' }).click();
      await page.getByLabel('Métier').selectOption('M1607');
      await page.getByLabel('Intitulé du poste').fill('Secrétaire médicale');
      await page.getByLabel('Du', { exact: true }).fill('2015-09-01');
      await page.getByRole('button', { name: 'Enregistrer et continuer' }).click();
      // Métiers recherchés.
      await page.getByText('Secrétariat (M1607)').click();
      await page.getByRole('button', { name: 'Enregistrer et continuer' }).click();
      // Disponibilité et mobilité.
      await page.getByLabel('Disponible à partir du').fill('2026-01-05');
      await page.getByLabel('Distance maximale de déplacement (km)').fill('30');
      await page.getByText('Transports en commun').click();
      await page.getByText('Non', { exact: true }).click();
      await page.getByRole('button', { name: 'Enregistrer et continuer' }).click();
      // Situation.
      await page.getByText('Je n’ai pas d’emploi et je suis disponible tout de suite').click();
      await page.getByRole('button', { name: 'Enregistrer et continuer' }).click();
      // Mot de passe et envoi: refused, back to the NIR with its message; nothing written.
      await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
      const persons = (await db().selectFrom('persons').select('id').execute()).length;
      await page.getByRole('button', { name: 'Envoyer mon inscription' }).click();
      await page.getByText('Inscription refusée').waitFor();
      await page.getByLabel('Numéro de sécurité sociale (NIR)').waitFor();
      await page
        .getByText(/NIR invalide/)
        .first()
        .waitFor();
      assert.equal((await db().selectFrom('persons').select('id').execute()).length, persons);
      assert.equal((await db().selectFrom('accounts').select('id').where('login', '=', email).execute()).length, 0);

      // Corrected, then on through the steps again (the draft kept the rest).
      await page.getByLabel('Numéro de sécurité sociale (NIR)').fill(nir);
      for (let step = 0; step < 6; step++) await page.getByRole('button', { name: 'Enregistrer et continuer' }).click();
      await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Envoyer mon inscription' }).click();
      await page.getByText('Votre inscription est enregistrée').first().waitFor();
      const id = (await page.getByTestId('france-travail-id').textContent())!.trim();
      assert.match(id, /^[0-9]{7}[A-Z]$/);
      assert.ok(!(await page.content()).includes(nir), 'the NIR is never shown back');
      await checkPage(watched, 'inscription-confirmation');
      assert.match(messagesTo(world.server.runtime.config.dataDir, email).at(-1)!.body, new RegExp(id));

      // Signing in with the address and the password opens the espace, the file there.
      await page.getByRole('link', { name: 'Me connecter à mon espace' }).click();
      await signInThroughPage(page, world.origin, email, PASSWORD);
      await page.waitForURL(`${world.origin}/mon-espace`);
      await page.getByText('FONTAINE').first().waitFor();
      await watched.context.close();
    });

    it('after the registration ended, the person registers again from their espace', async () => {
      const email = 'lea.fontaine@exemple.fr';
      const [personId] = await world.server.runtime.persons.lookup('nir', nirFor(42));
      assert.ok(personId, 'registered by the test above');
      await world.server.runtime.persons.modify(personId, 'registration', (r) => ({
        ...r!,
        status: 'deregistered',
        deregisteredOn: '2026-02-16',
      }));
      const watched = await openPage(world);
      const { page } = watched;
      await signInThroughPage(page, world.origin, email, PASSWORD);
      await page.waitForURL(`${world.origin}/mon-espace`);
      await page.goto(`${world.origin}/mon-espace/reinscription`);
      await page.getByRole('heading', { level: 1, name: 'Me réinscrire' }).waitFor();
      await page.getByText('Je suis en formation').click();
      await page.getByLabel('Disponible à partir du').fill('2026-09-01');
      await page.getByLabel('Distance maximale de déplacement (km)').fill('5');
      await page.getByText('Non', { exact: true }).click();
      // No job sought: refused, named, nothing changed.
      await page.getByRole('button', { name: 'Me réinscrire' }).click();
      await page.getByText('Réinscription refusée').waitFor();
      await page.getByText('Choisissez au moins un métier recherché.').first().waitFor();
      await page.getByText('Secrétariat (M1607)').click();
      await checkPage(watched, 'espace-reinscription');
      await page.getByRole('button', { name: 'Me réinscrire' }).click();
      await page.getByText('Votre réinscription est enregistrée').waitFor();
      await page.getByText(/catégorie 4 \(catégorie statistique D\)/).waitFor();
      await watched.context.close();
    });

    it('a counsellor compares a held registration with the file it matched and decides « personnes différentes »', async () => {
      const registrations = world.server.runtime.registrations;
      const input = (lastName: string, nir: string, email: string) => ({
        identity: { lastName, firstNames: ['Paul'], sex: 'M', birthDate: '1985-06-02' },
        nir,
        contact: { email },
        education: [],
        experience: [],
        soughtJobs: ['N1103'],
        availability: { availableFrom: '2026-01-05', workingTime: 'full_time', contract: 'any' },
        mobility: { maxDistanceKm: 15, transport: ['bike'], drivingLicence: false },
        situation: { kind: 'available' },
      });
      const nirOf = (order: number) => {
        const body = `18506330630${String(order).padStart(2, '0')}`;
        return body + String(97 - Number(BigInt(body) % 97n)).padStart(2, '0');
      };
      const first = await registrations.register(input('MOREAU', nirOf(11), 'paul.moreau@exemple.fr'), {
        kind: 'online',
      });
      assert.equal(first.outcome, 'registered');
      const held = await registrations.register(input('MOREAU', nirOf(12), 'paul.moreau2@exemple.fr'), {
        kind: 'online',
      });
      assert.equal(held.outcome, 'held_as_duplicate');

      const watched = await openPage(world);
      const { page } = watched;
      await signInEnrollingThroughPage(page, world.origin, 'conseiller.bastide.1');
      await page.getByRole('link', { name: 'Inscriptions à vérifier' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Inscriptions à vérifier' }).waitFor();
      await page.getByRole('button', { name: 'Examiner' }).first().click();
      await page.getByText(/NIR se terminant par/).waitFor();
      await page
        .getByRole('table', { name: 'Dossiers trouvés' })
        .getByText(/MOREAU Paul/)
        .waitFor();
      // The request came from an address the matched file does not hold: the agent is warned.
      await page
        .getByTestId('email-not-on-file')
        .getByText(/vérifiez l’identité de la personne/)
        .waitFor();
      await checkPage(watched, 'console-inscriptions');
      await page.getByRole('button', { name: 'Personnes différentes : créer le dossier' }).click();
      await page.getByText(/Personnes différentes : dossier créé/).waitFor();
      const created = await world.server.runtime.persons.lookup('nir', nirOf(12));
      assert.equal(created.length, 1);
      await watched.context.close();
    });
  },
);
