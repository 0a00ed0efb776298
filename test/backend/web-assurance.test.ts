import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findDpia, saveDpia } from '../../src/policy/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import {
  browserSkip,
  checkPage,
  openPage,
  openWebWorld,
  signInEnrollingThroughPage,
  type WebWorld,
} from '../helpers/browser.ts';

const PROCESSING = 'accompagnement';

/**
 * The evidence that holds the gate, from the desk (issue 24 §4): the DPO marks a DPIA's pending
 * measure implemented with its evidence, and the security officer records an organisation's
 * attestation of the security baseline; what the API refuses is said on the page, and nothing is written.
 */
describe(
  `web application: DPIA measures and baseline attestations on the desk, in a real browser (${BACKEND})`,
  { skip: browserSkip, timeout: 300_000 },
  () => {
    let world: WebWorld;
    let pendingTitle = '';
    const db = () => world.server.runtime.database.db;

    before(async () => {
      world = await openWebWorld({ persons: 20 });
      // One measure of the agencies' DPIA set back to « planned », without evidence: it holds the gate.
      const current = await findDpia(db(), PROCESSING);
      const document = structuredClone(current.document) as typeof current.document;
      const measure = document.measures[0]!;
      pendingTitle = measure.title;
      document.measures[0] = { id: measure.id, title: measure.title, control: measure.control, status: 'planned' };
      const saved = await saveDpia(db(), PROCESSING, document, { by: 'test' });
      assert.deepEqual(saved.pending, [measure.id]);
    });
    after(async () => {
      await world?.close();
    });

    it('the DPO marks the pending measure implemented with its evidence: a new version, the gate held no more', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      await signInEnrollingThroughPage(page, world.origin, 'dpo.na');
      await page.getByRole('link', { name: 'Registre des traitements' }).first().click();
      await page.getByRole('button', { name: `Voir les mesures de ${PROCESSING}`, exact: true }).click();
      const table = page.getByRole('table', { name: /Mesures de l’AIPD « accompagnement » .*: 1 en attente/ });
      await table.waitFor();
      const form = page.getByRole('form', { name: `Preuve de la mesure « ${pendingTitle} »` });
      // A reference that is not a test file of the repository: refused, said, nothing written.
      await form.getByLabel('Référence de la preuve').fill('un test quelconque');
      await form.getByRole('button', { name: /Marquer mise en œuvre/ }).click();
      await page.getByText('Mesure non enregistrée').waitFor();
      assert.deepEqual((await findDpia(db(), PROCESSING)).pending.length, 1, 'nothing written');
      await form.getByLabel('Référence de la preuve').fill('test/backend/guard.test.ts');
      await form.getByRole('button', { name: /Marquer mise en œuvre/ }).click();
      await page.getByText(/mise en œuvre : AIPD version \d+\./).waitFor();
      await page.getByRole('table', { name: /: 0 en attente/ }).waitFor();
      // The register and the DPIA list read again: nothing pending any more.
      await page
        .getByRole('table', { name: /Analyses d’impact/ })
        .getByRole('row', { name: new RegExp(`^${PROCESSING} `) })
        .getByRole('cell', { name: 'aucune', exact: true })
        .waitFor();
      const latest = await findDpia(db(), PROCESSING);
      assert.equal(latest.complete, true);
      assert.equal(latest.document.measures[0]!.evidence?.reference, 'test/backend/guard.test.ts');
      await checkPage(watched, 'bureau-aipd-mesures');
      await watched.context.close();
    });

    it('the security officer records an organisation’s baseline attestation; an unticked item is refused', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      await signInEnrollingThroughPage(page, world.origin, 'rssi.na');
      await page.getByRole('link', { name: 'Organisations' }).first().click();
      const card = page.locator('section.fr-card').first();
      const organisation = (await card.getByRole('heading', { level: 2 }).textContent())!.trim();
      const organisationId = (
        await db().selectFrom('organisations').select('id').where('name', '=', organisation).executeTakeFirstOrThrow()
      ).id;
      const count = async () =>
        (
          await db()
            .selectFrom('baseline_attestations')
            .select('id')
            .where('organisation_id', '=', organisationId)
            .execute()
        ).length;
      const before = await count();
      await card.getByRole('button', { name: `Voir les attestations de ${organisation}` }).click();
      const form = card.getByRole('form', { name: 'Enregistrer une attestation du socle de sécurité' });
      await form.getByLabel('Nom de la personne qui atteste').fill('Camille Martin');
      await form.getByLabel('Sa fonction').fill('RSSI');
      await form.getByLabel('Second facteur d’authentification pour tous les comptes').check({ force: true });
      await form.getByRole('button', { name: 'Enregistrer l’attestation' }).click();
      await form.getByText('Attestation non enregistrée').waitFor();
      assert.equal(await count(), before, 'nothing written');
      await form
        .getByLabel('Habilitations limitées aux personnes suivies et aux finalités déclarées')
        .check({ force: true });
      await form.getByLabel('Journaux exploités pour détecter les comportements anormaux').check({ force: true });
      await form.getByRole('button', { name: 'Enregistrer l’attestation' }).click();
      await form.getByText('Attestation enregistrée.').waitFor();
      await card.getByText(/Socle de sécurité attesté le .* par Camille Martin \(RSSI\)\./).waitFor();
      assert.equal(await count(), before + 1);
      await checkPage(watched, 'bureau-organisations-attestation');
      await watched.context.close();
    });
  },
);
