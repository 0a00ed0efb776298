import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { DENIAL_MESSAGES } from '../../src/api/purpose.ts';
import { BACKEND } from '../helpers/backend.ts';
import {
  browserSkip,
  checkPage,
  openPage,
  openWebWorld,
  signInEnrollingThroughPage,
  type WebWorld,
} from '../helpers/browser.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { totpCode } from '../helpers/sign-in.ts';
import { revokeCredentials } from '../../src/identity/index.ts';
import { formatPhone, ofName, romeLabel } from '../../src/domain/index.ts';

const COUNSELLOR = 'conseiller.bastide.1';
const PARTNER = 'ml.bordeaux.1';

/** First sign-in of a staff account through the page: password, then a TOTP app enrolled; the secret comes back. */
async function signInEnrolling(page: Page, origin: string, login: string): Promise<string> {
  const secret = await signInEnrollingThroughPage(page, origin, login);
  await page.waitForURL(`${origin}/console`);
  return secret;
}

/** The page's address never carries a person's id nor an identifier searched. */
function assertCleanAddress(page: Page, ...secrets: string[]): void {
  const url = page.url();
  for (const s of secrets) assert.ok(!url.includes(s), `the address ${url} carries personal data`);
  assert.doesNotMatch(url, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, 'no id in the address');
}

/** Opens a file page with a person id in the history state, as the caseload and search buttons do. */
async function openByHistoryState(page: Page, personId: string, purpose: string, caseReference: string): Promise<void> {
  await page.evaluate(
    ({ personId, purpose, caseReference }) => {
      const w = globalThis as unknown as {
        history: { pushState(s: unknown, t: string, u: string): void; state: unknown };
        dispatchEvent(e: unknown): void;
        PopStateEvent: new (t: string, i: unknown) => unknown;
      };
      w.history.pushState(
        { usr: { personId, declaration: { purpose, caseReference } }, key: 'direct', idx: 50 },
        '',
        '/console/dossier',
      );
      w.dispatchEvent(new w.PopStateEvent('popstate', { state: w.history.state }));
    },
    { personId, purpose, caseReference },
  );
}

describe(
  `web console: counsellor and partner staff in a real browser (${BACKEND})`,
  { skip: browserSkip, timeout: 300_000 },
  () => {
    let world: WebWorld;
    const db = () => world.server.runtime.database.db;
    const actorOf = async (login: string) =>
      await db()
        .selectFrom('actors')
        .select(['id', 'organisation_id'])
        .where('login', '=', login)
        .executeTakeFirstOrThrow();

    before(async () => {
      world = await openWebWorld();
    });
    after(async () => {
      await world?.close();
    });

    it('a counsellor opens a file of their caseload under a declared purpose, records an action, and is refused a file of another agency', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      const secret = await signInEnrolling(page, world.origin, COUNSELLOR);
      const counsellor = await actorOf(COUNSELLOR);

      // Portefeuille: the purpose and case reference first.
      await page.getByRole('heading', { level: 1, name: 'Mon portefeuille' }).waitFor();
      await page.getByRole('button', { name: 'Afficher mon portefeuille' }).waitFor();
      assert.equal(
        await page.getByRole('button', { name: /^Ouvrir le dossier/ }).count(),
        0,
        'no file listed before the purpose is declared',
      );
      await checkPage(watched, 'console-portefeuille-declaration');
      assert.equal(
        await page.getByLabel('Finalité').inputValue(),
        'accompagnement',
        'the only caseload purpose is chosen',
      );
      await page.getByLabel('Référence du dossier').fill('SUIVI-2026-0001');
      await page.getByRole('button', { name: 'Afficher mon portefeuille' }).click();
      await page.getByRole('heading', { name: /personnes? dans votre portefeuille/ }).waitFor();
      const rows = page.getByRole('button', { name: /^Ouvrir le dossier/ });
      const listed = await rows.count();
      const own = await db()
        .selectFrom('caseloads')
        .select('person_id')
        .where('actor_id', '=', counsellor.id)
        .where('until', 'is', null)
        .execute();
      assert.ok(listed > 0 && listed <= Math.min(own.length, 20), `caseload rows ${listed} within ${own.length}`);
      await checkPage(watched, 'console-portefeuille');
      const listing = (await ledgerEvents(db(), 'access_granted')).filter(
        (e) => e.details.actorId === counsellor.id && e.details.operation === 'list_page',
      );
      assert.equal(listing.length, 1, 'the caseload list is recorded');
      assert.equal(listing[0]!.details.purpose, 'accompagnement');
      assert.equal(listing[0]!.details.caseReference, 'SUIVI-2026-0001');
      // Each person shown, by name: the name in the list is the file's, and the person's journal holds the list.
      const shownIds = (await ledgerEvents(db(), 'access_granted'))
        .filter((e) => e.details.actorId === counsellor.id && e.details.operation === 'list_caseload')
        .map((e) => String(e.details.personId));
      assert.equal(shownIds.length, listed, 'one event per person shown');
      const firstShown = (await world.server.runtime.persons.read(shownIds[0]!, ['identity'])).fields.identity!;
      await page.getByRole('cell', { name: firstShown.firstNames[0]!, exact: true }).first().waitFor();
      assert.equal(await page.getByText(/réf\. [0-9a-f]{8}/).count(), 0, 'no internal reference instead of a name');

      // Sorted by name, and the sort and the declaration survive a reload.
      await page.getByLabel('Trier par').selectOption('name');
      await page.waitForURL(`${world.origin}/console?tri=name`);
      await page.reload();
      await page.getByRole('heading', { name: /personnes? dans votre portefeuille/ }).waitFor();
      assert.equal(await page.getByLabel('Trier par').inputValue(), 'name');
      const lastNames = await page.locator('[data-testid="listed-person"] td:first-child').allTextContents();
      assert.deepEqual(
        lastNames,
        [...lastNames].sort((a, b) => a.localeCompare(b, 'fr', { sensitivity: 'base' })),
      );
      // A filter by part of a name: only the names holding it, and the name never enters the address.
      const part = lastNames[0]!.slice(0, 3);
      await page.getByLabel('Filtrer par nom ou prénom').fill(part);
      await page.getByRole('button', { name: 'Filtrer', exact: true }).click();
      await page.getByRole('heading', { name: new RegExp(`correspondant à « ${part} »`) }).waitFor();
      const fold = (t: string) => t.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
      const rowsFound = await page.locator('[data-testid="listed-person"]').allTextContents();
      assert.ok(rowsFound.length >= 1);
      for (const row of rowsFound) assert.ok(fold(row).includes(fold(part)), `${row} holds ${part}`);
      assert.ok(!decodeURIComponent(page.url()).includes(part), 'the filter stays out of the address');
      await checkPage(watched, 'console-portefeuille-filtre');

      // Opening: the declaration comes pre-filled and is confirmed before anything is read.
      await rows.first().click();
      await page.waitForURL(`${world.origin}/console/dossier`);
      assert.equal(await page.getByLabel('Référence du dossier').inputValue(), 'SUIVI-2026-0001');
      assert.equal(
        await page.getByRole('heading', { name: 'Contenu du dossier' }).count(),
        0,
        'nothing read before the declaration is confirmed',
      );
      await page.getByLabel('Référence du dossier').fill('SUIVI-2026-0002');
      await page.getByRole('button', { name: 'Ouvrir le dossier' }).click();
      await page.getByRole('heading', { name: 'Contenu du dossier' }).waitFor();
      const reads = (await ledgerEvents(db(), 'access_granted')).filter(
        (e) => e.details.actorId === counsellor.id && e.details.operation === 'read',
      );
      assert.equal(reads.length, 1);
      const personId = reads[0]!.details.personId as string;
      assert.ok(
        own.some((o) => o.person_id === personId),
        'the file opened is in the counsellor’s caseload',
      );
      assert.equal(reads[0]!.details.caseReference, 'SUIVI-2026-0002', 'the edited case reference is the one declared');
      assertCleanAddress(page, personId);
      for (const label of ['Identité', 'Coordonnées', 'Inscription', 'Suivi et accompagnement'])
        await page.getByRole('heading', { level: 3, name: label, exact: true }).waitFor();
      for (const label of [
        'Numéro de sécurité sociale (NIR)',
        'Santé (RQTH, restrictions)',
        'Mesures de justice',
        'Coordonnées bancaires',
      ]) {
        assert.equal(
          await page.getByRole('heading', { level: 3, name: label, exact: true }).count(),
          0,
          `${label} is not shown`,
        );
      }
      await page
        .getByText(
          'Non accessibles pour la finalité « Accompagnement vers l’emploi » : Numéro de sécurité sociale (NIR), Allocations et paiements, Coordonnées bancaires, Santé (RQTH, restrictions), Mesures de justice.',
        )
        .waitFor();
      const identity = (await world.server.runtime.persons.read(personId, ['identity'])).fields.identity!;
      await page
        .getByRole('heading', { level: 1, name: `Dossier ${ofName(`${identity.firstNames[0]} ${identity.lastName}`)}` })
        .waitFor();
      // A phone number in pairs, a job with its ROME label, as people read them.
      const { contact, career } = (await world.server.runtime.persons.read(personId, ['contact', 'career'])).fields;
      if (contact?.phone) await page.getByText(formatPhone(contact.phone), { exact: true }).waitFor();
      if (career?.soughtJobs[0]) {
        assert.match(romeLabel(career.soughtJobs[0]), /^[A-N][0-9]{4} — \S/, 'the seed’s jobs have their label');
        await page.getByText(romeLabel(career.soughtJobs[0]), { exact: true }).first().waitFor();
      }
      await checkPage(watched, 'console-dossier');

      // Enregistrer une action: the follow-up class written back whole, with its event.
      const before = (await world.server.runtime.persons.read(personId, ['follow_up'])).fields.follow_up;
      await page.getByLabel('Type d’action').selectOption('Atelier');
      await page.getByLabel('Description de l’action').fill('Atelier CV : le curriculum vitae est à jour');
      await page.getByRole('button', { name: 'Enregistrer l’action' }).click();
      await page.getByText('Action enregistrée dans le dossier.').waitFor();
      const after = (await world.server.runtime.persons.read(personId, ['follow_up'])).fields.follow_up!;
      assert.equal(after.actions.length, (before?.actions.length ?? 0) + 1, 'one action added');
      assert.deepEqual(after.actions.slice(0, -1), before?.actions ?? [], 'the earlier actions are kept');
      assert.deepEqual(after.appointments, before?.appointments ?? [], 'the appointments are kept');
      assert.equal(after.actions.at(-1)!.kind, 'Atelier');
      assert.equal(after.actions.at(-1)!.label, 'Atelier CV : le curriculum vitae est à jour');
      const writes = (await ledgerEvents(db(), 'access_granted')).filter(
        (e) => e.details.actorId === counsellor.id && e.details.operation === 'write',
      );
      assert.equal(writes.length, 1);
      assert.equal(writes[0]!.details.personId, personId);
      assert.equal(writes[0]!.details.classes, 'follow_up');
      assert.equal(writes[0]!.details.purpose, 'accompagnement');
      await checkPage(watched, 'console-dossier-action');

      // A person of another agency's caseload: the exact NIR finds nothing within scope.
      const stranger = (
        await db()
          .selectFrom('caseloads')
          .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
          .select('caseloads.person_id')
          .where('actors.login', '=', 'conseiller.merignac.1')
          .where(
            'caseloads.person_id',
            'not in',
            own.map((o) => o.person_id),
          )
          .orderBy('caseloads.person_id')
          .executeTakeFirstOrThrow()
      ).person_id;
      const { nir } = (await world.server.runtime.persons.read(stranger, ['nir'])).fields.nir!;
      await page.getByRole('link', { name: 'Rechercher un dossier' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Rechercher un dossier' }).waitFor();
      await checkPage(watched, 'console-recherche');
      assert.equal(
        await page.getByLabel('Référence du dossier').inputValue(),
        'SUIVI-2026-0002',
        'the last declaration is kept in memory',
      );
      await page.getByRole('textbox', { name: /^NIR/ }).fill(nir);
      await page.getByRole('button', { name: 'Rechercher' }).click();
      await page.getByText('Aucun dossier de votre périmètre ne correspond.').waitFor();
      assertCleanAddress(page, nir, stranger);
      await checkPage(watched, 'console-recherche-aucun');
      const searches = (await ledgerEvents(db(), 'person_search')).filter((e) => e.details.actorId === counsellor.id);
      assert.equal(searches.length, 1);
      assert.equal(searches[0]!.details.results, 0);
      assert.equal(searches[0]!.details.kind, 'nir');
      assert.ok(!JSON.stringify(searches[0]!.body).includes(nir), 'the NIR searched is not in the ledger');

      // A direct open attempt: refused with the server's message, and recorded.
      await openByHistoryState(page, stranger, 'accompagnement', 'SUIVI-2026-0003');
      await page.getByRole('heading', { level: 1, name: 'Dossier' }).waitFor();
      await page.getByRole('button', { name: 'Ouvrir le dossier' }).click();
      await page.getByText(DENIAL_MESSAGES.person_out_of_scope!).waitFor();
      assert.ok(watched.refusals.includes(`403 GET /api/staff/persons/${stranger}`));
      assert.equal(await page.getByRole('heading', { name: 'Contenu du dossier' }).count(), 0);
      const denied = (await ledgerEvents(db(), 'access_denied')).filter(
        (e) => e.details.actorId === counsellor.id && e.details.personId === stranger,
      );
      assert.equal(denied.length, 1);
      assert.equal(denied[0]!.details.reason, 'person_out_of_scope');
      assert.equal(denied[0]!.details.caseReference, 'SUIVI-2026-0003');
      await page.getByText('Cet accès sera examiné par le responsable de la sécurité').waitFor();
      await checkPage(watched, 'console-dossier-refuse');

      // Accès exceptionnel: a justification, a fresh second factor (the one of sign-in is made old), then the file, read-only.
      await db()
        .updateTable('sessions')
        .set({ second_factor_at: new Date(Date.now() - 20 * 60_000).toISOString() })
        .where('revoked_at', 'is', null)
        .execute();
      const submit = page.getByRole('button', { name: 'Demander l’accès exceptionnel' });
      await page.getByLabel('Justification').fill('court');
      assert.equal(await submit.isDisabled(), true, 'a justification under 30 characters is not sent');
      await page
        .getByLabel('Justification')
        .fill('La personne se présente à l’accueil, son conseiller est absent : rendez-vous urgent.');
      await submit.click();
      await page.getByRole('heading', { name: 'Confirmez votre identité' }).waitFor();
      assert.equal(
        (await db().selectFrom('break_glass').select('id').where('actor_id', '=', counsellor.id).execute()).length,
        0,
        'nothing granted before the step-up',
      );
      await checkPage(watched, 'console-acces-exceptionnel-confirmation');
      await page.getByLabel('Code à usage unique').fill(totpCode(secret, 1));
      await page.getByRole('button', { name: 'Confirmer' }).click();
      await page.getByRole('heading', { name: 'Contenu du dossier' }).waitFor();
      await page.getByText(/Accès exceptionnel accordé jusqu’à/).waitFor();
      await page
        .getByText('Accès exceptionnel en cours : lecture seule, examiné par le responsable de la sécurité.')
        .waitFor();
      await page
        .getByText(
          'Un accès exceptionnel est en lecture seule : aucune action ne peut être enregistrée dans ce dossier.',
        )
        .waitFor();
      assert.equal(await page.getByRole('button', { name: 'Enregistrer l’action' }).count(), 0);
      const grants = await db().selectFrom('break_glass').selectAll().where('actor_id', '=', counsellor.id).execute();
      assert.equal(grants.length, 1);
      assert.equal(grants[0]!.person_id, stranger);
      assert.equal(grants[0]!.review_status, 'pending');
      assert.match(grants[0]!.justification, /conseiller est absent/);
      const used = (await ledgerEvents(db(), 'break_glass_used')).filter((e) => e.details.actorId === counsellor.id);
      assert.equal(used.length, 1);
      assert.equal(used[0]!.details.personId, stranger);
      assertCleanAddress(page, stranger);
      await checkPage(watched, 'console-acces-exceptionnel');
      await watched.context.close();
    });

    it('pages through a long caseload: page numbers in the address, nothing else', async () => {
      const login = 'conseiller.bastide.2';
      const actor = await actorOf(login);
      const mine = (
        await db().selectFrom('caseloads').select('person_id').where('actor_id', '=', actor.id).execute()
      ).map((r) => r.person_id);
      const more = await db()
        .selectFrom('persons')
        .select('id')
        .where('status', '=', 'active')
        .where('id', 'not in', mine)
        .orderBy('id')
        .limit(Math.max(0, 25 - mine.length))
        .execute();
      if (more.length)
        await db()
          .insertInto('caseloads')
          .values(
            more.map((p) => ({
              person_id: p.id,
              actor_id: actor.id,
              organisation_id: actor.organisation_id,
              since: '2026-01-02',
              until: null,
            })),
          )
          .execute();
      const watched = await openPage(world);
      const { page } = watched;
      await signInEnrolling(page, world.origin, login);
      await page.getByLabel('Référence du dossier').fill('PORTEFEUILLE-2');
      await page.getByRole('button', { name: 'Afficher mon portefeuille' }).click();
      await page.getByRole('heading', { name: /personnes dans votre portefeuille — page 1 sur 2/ }).waitFor();
      assert.equal(await page.getByRole('button', { name: /^Ouvrir le dossier/ }).count(), 20);
      await checkPage(watched, 'console-portefeuille-page-1');
      await page.getByRole('link', { name: '2', exact: true }).click();
      await page.getByRole('heading', { name: /personnes dans votre portefeuille — page 2 sur 2/ }).waitFor();
      assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/console?page=2');
      assert.ok((await page.getByRole('button', { name: /^Ouvrir le dossier/ }).count()) >= 1);
      const pages = (await ledgerEvents(db(), 'access_granted'))
        .filter((e) => e.details.actorId === actor.id && e.details.operation === 'list_page')
        .map((e) => (e.body.details as { page: number }).page);
      assert.deepEqual(pages, [1, 2], 'each page listed is recorded');
      await checkPage(watched, 'console-portefeuille-page-2');
      await watched.context.close();
    });

    it('a partner agent lists the persons referred to it, finds one by the search, and sees only its agreement’s classes', async () => {
      const watched = await openPage(world, { width: 390, height: 844 });
      const { page } = watched;
      const partner = await actorOf(PARTNER);

      // A young person referred to the mission locale (a referral is added if the seed has none).
      let young = '';
      for (const { id } of await db()
        .selectFrom('persons')
        .select('id')
        .where('status', '=', 'active')
        .orderBy('id')
        .execute()) {
        const birth = (await world.server.runtime.persons.read(id, ['identity'])).fields.identity!.birthDate;
        if (Date.now() - Date.parse(birth) < 24 * 365.25 * 86_400_000) {
          young = id;
          break;
        }
      }
      assert.ok(young, 'the population holds someone under 25');
      const referred = await db()
        .selectFrom('referrals')
        .select('id')
        .where('person_id', '=', young)
        .where('organisation_id', '=', partner.organisation_id)
        .where('status', '=', 'active')
        .executeTakeFirst();
      if (!referred) {
        await db()
          .insertInto('referrals')
          .values({
            id: randomUUID(),
            person_id: young,
            organisation_id: partner.organisation_id,
            referred_by_actor_id: null,
            reason: 'test',
            starts_on: '2026-01-01',
            ends_on: null,
            status: 'active',
            created_at: new Date().toISOString(),
          })
          .execute();
      }
      const { franceTravailId } = (await world.server.runtime.persons.read(young, ['registration'])).fields
        .registration!;

      // The persons referred to the mission locale, listed under its purpose: the young person among them.
      await signInEnrolling(page, world.origin, PARTNER);
      await page.getByRole('heading', { level: 1, name: 'Personnes orientées' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Afficher mon portefeuille' }).count(), 0);
      await page.getByLabel('Référence du dossier').fill('ML-JEUNES-77');
      await page.getByRole('button', { name: 'Afficher les personnes orientées' }).click();
      await page.getByRole('heading', { name: /orientées? vers votre organisation/ }).waitFor();
      const youngIdentity = (await world.server.runtime.persons.read(young, ['identity'])).fields.identity!;
      await page.getByLabel('Filtrer par nom ou prénom').fill(youngIdentity.lastName);
      await page.getByRole('button', { name: 'Filtrer', exact: true }).click();
      await page
        .getByRole('button', { name: `Ouvrir le dossier ${ofName(youngIdentity.firstNames[0]!)}`, exact: false })
        .first()
        .waitFor();
      await checkPage(watched, 'console-partenaire-orientations');
      const listedEvents = (await ledgerEvents(db(), 'access_granted')).filter(
        (e) => e.details.actorId === partner.id && e.details.operation === 'list_referrals',
      );
      assert.ok(
        listedEvents.some((e) => e.details.personId === young),
        'the listed person’s journal holds the list',
      );
      // Nobody over 25 is listed under a purpose for young people.
      for (const e of listedEvents) {
        const birth = (await world.server.runtime.persons.read(String(e.details.personId), ['identity'])).fields
          .identity!.birthDate;
        assert.ok(
          Date.now() - Date.parse(birth) < 26 * 365.25 * 86_400_000,
          'listed persons meet the purpose’s age condition',
        );
      }

      await page.getByRole('main').getByRole('link', { name: 'Rechercher un dossier' }).click();
      await page.getByRole('heading', { level: 1, name: 'Rechercher un dossier' }).waitFor();
      await page.getByLabel('Référence du dossier').fill('ML-JEUNES-77');
      await page.getByRole('radio', { name: 'Identifiant France Travail' }).check({ force: true });
      await page.getByRole('textbox', { name: 'Identifiant France Travail' }).fill(franceTravailId);
      await page.getByRole('button', { name: 'Rechercher' }).click();
      await page.getByRole('button', { name: 'Ouvrir le dossier' }).click();
      await page.waitForURL(`${world.origin}/console/dossier`);
      assertCleanAddress(page, franceTravailId, young);
      await page.getByRole('button', { name: 'Ouvrir le dossier' }).click();
      await page.getByRole('heading', { name: 'Contenu du dossier' }).waitFor();
      await page
        .getByText(
          'Non accessibles pour la finalité « Accompagnement des jeunes de 16 à 25 ans » : Numéro de sécurité sociale (NIR), Pièce d’identité, Allocations et paiements, Coordonnées bancaires, Santé (RQTH, restrictions), Mesures de justice.',
        )
        .waitFor();
      assert.equal(await page.getByRole('heading', { level: 3, name: 'Pièce d’identité', exact: true }).count(), 0);
      await page.getByRole('button', { name: 'Enregistrer l’action' }).waitFor();
      await checkPage(watched, 'console-partenaire-dossier');
      const reads = (await ledgerEvents(db(), 'access_granted')).filter(
        (e) => e.details.actorId === partner.id && e.details.operation === 'read',
      );
      assert.equal(reads.length, 1);
      assert.equal(reads[0]!.details.personId, young);
      assert.equal(reads[0]!.details.purpose, 'accompagnement_jeunes');
      assert.ok(!String(reads[0]!.details.classes).includes('nir'));

      // A person not referred: the same search finds nothing.
      const notReferred = (
        await db()
          .selectFrom('persons')
          .select('id')
          .where('status', '=', 'active')
          .where(
            'id',
            'not in',
            db().selectFrom('referrals').select('person_id').where('organisation_id', '=', partner.organisation_id),
          )
          .orderBy('id')
          .executeTakeFirstOrThrow()
      ).id;
      const other = (await world.server.runtime.persons.read(notReferred, ['registration'])).fields.registration!
        .franceTravailId;
      await page.getByRole('link', { name: 'Rechercher un autre dossier' }).click();
      await page.getByRole('heading', { level: 1, name: 'Rechercher un dossier' }).waitFor();
      await page.getByRole('radio', { name: 'Identifiant France Travail' }).check({ force: true });
      await page.getByRole('textbox', { name: 'Identifiant France Travail' }).fill(other);
      await page.getByRole('button', { name: 'Rechercher' }).click();
      await page.getByText('Aucun dossier de votre périmètre ne correspond.').waitFor();
      const searches = (await ledgerEvents(db(), 'person_search')).filter((e) => e.details.actorId === partner.id);
      assert.deepEqual(
        searches.map((s) => s.details.results),
        [1, 0],
      );
      await checkPage(watched, 'console-partenaire-recherche-aucun');
      await watched.context.close();
    });

    it('a counsellor whose search finds nothing in scope asks for an exceptional access there, and a containment is said where it happens', async () => {
      const login = 'conseiller.bastide.3';
      const actor = await actorOf(login);
      const watched = await openPage(world);
      const { page } = watched;
      const secret = await signInEnrolling(page, world.origin, login);
      // Someone followed by another organisation: out of this counsellor's scope.
      const stranger = (
        await db()
          .selectFrom('caseloads')
          .select('person_id')
          .where('organisation_id', '!=', actor.organisation_id)
          .where(
            'person_id',
            'not in',
            db().selectFrom('caseloads').select('person_id').where('organisation_id', '=', actor.organisation_id),
          )
          .where('person_id', 'not in', db().selectFrom('guard_decoys').select('person_id'))
          .orderBy('person_id')
          .executeTakeFirstOrThrow()
      ).person_id;
      const { franceTravailId } = (await world.server.runtime.persons.read(stranger, ['registration'])).fields
        .registration!;

      await page.getByRole('link', { name: 'Rechercher un dossier' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Rechercher un dossier' }).waitFor();
      await page.getByLabel('Finalité').selectOption('accompagnement');
      await page.getByLabel('Référence du dossier').fill('URGENCE-2026-0042');
      await page.getByRole('radio', { name: 'Identifiant France Travail' }).check({ force: true });
      await page.getByRole('textbox', { name: 'Identifiant France Travail' }).fill(franceTravailId);
      await page.getByRole('button', { name: 'Rechercher' }).click();
      await page.getByText('Aucun dossier de votre périmètre ne correspond.').waitFor();
      await page.getByRole('button', { name: 'Accès exceptionnel' }).click();
      await page.getByText('Cet accès sera examiné par le responsable de la sécurité').waitFor();
      await checkPage(watched, 'console-recherche-acces-exceptionnel');
      await page
        .getByLabel('Justification')
        .fill('La personne se présente à l’accueil, son conseiller est absent et son rendez-vous est urgent.');
      await page.getByRole('button', { name: 'Demander l’accès exceptionnel' }).click();
      // A fresh second factor if the sign-in's is not recent enough, then the file.
      const code = page.getByLabel('Code à usage unique');
      await Promise.race([page.waitForURL(`${world.origin}/console/dossier`), code.waitFor()]);
      if (await code.isVisible()) {
        await code.fill(totpCode(secret));
        await page.getByRole('button', { name: /Confirmer|Valider/ }).click();
      }
      await page.waitForURL(`${world.origin}/console/dossier`);
      assertCleanAddress(page, franceTravailId, stranger);
      const grants = await db()
        .selectFrom('break_glass')
        .select(['person_id', 'purpose'])
        .where('actor_id', '=', actor.id)
        .execute();
      assert.deepEqual(grants, [{ person_id: stranger, purpose: 'accompagnement' }]);
      await page.getByRole('button', { name: 'Ouvrir le dossier' }).click();
      await page.getByRole('heading', { name: 'Contenu du dossier' }).waitFor();
      await page.getByText('Accès exceptionnel en cours').first().waitFor();

      // The guard contains the account: the next request says so on this very page, not « session ended ».
      await db().updateTable('actors').set({ status: 'suspended' }).where('id', '=', actor.id).execute();
      await revokeCredentials(
        db(),
        { actors: [actor.id] },
        { reason: 'guard_containment', at: new Date(), sessions: true, apiTokens: true },
      );
      await page.getByRole('link', { name: 'Rechercher un autre dossier' }).click();
      await page.getByRole('heading', { level: 1, name: 'Rechercher un dossier' }).waitFor();
      await page.getByLabel('Référence du dossier').fill('URGENCE-2026-0043');
      await page.getByRole('radio', { name: 'Identifiant France Travail' }).check({ force: true });
      await page.getByRole('textbox', { name: 'Identifiant France Travail' }).fill(franceTravailId);
      await page.getByRole('button', { name: 'Rechercher' }).click();
      await page.getByRole('heading', { level: 1, name: 'Compte suspendu par mesure de sécurité' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/console/recherche', 'said where it happened');
      await page.getByText('Qui appeler ?').waitFor();
      assert.ok((await page.locator('a[href^="mailto:"]').count()) >= 1, 'whom to call, with an address');
      assert.equal(await page.getByText('Votre session a pris fin').count(), 0);
      await checkPage(watched, 'console-compte-suspendu');
      await watched.context.close();
    });
  },
);
