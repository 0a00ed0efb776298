import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
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
import { followedDemoSeeker } from '../helpers/followed-seeker.ts';
import { totpCode } from '../helpers/sign-in.ts';

const RIGHT_EMAIL = 'adresse.rectifiee@exemple.fr';

/** Opens a file page with the person in the history state, as the console's buttons do. */
async function openFileOf(page: Page, personId: string): Promise<void> {
  await page.evaluate(
    ({ personId }) => {
      const w = globalThis as unknown as {
        history: { pushState(s: unknown, t: string, u: string): void; state: unknown };
        dispatchEvent(e: unknown): void;
        PopStateEvent: new (t: string, i: unknown) => unknown;
      };
      w.history.pushState(
        {
          usr: { personId, declaration: { purpose: 'accompagnement', caseReference: 'SUIVI-2026-0419' } },
          key: 'direct',
          idx: 50,
        },
        '',
        '/console/dossier',
      );
      w.dispatchEvent(new w.PopStateEvent('popstate', { state: w.history.state }));
    },
    { personId },
  );
}

describe(
  `web application: a rectification, from the DPO's desk to the agency that read the data, in a real browser (${BACKEND})`,
  { skip: browserSkip, timeout: 300_000 },
  () => {
    let world: WebWorld;
    let personId = '';
    let counsellor = '';
    let counsellorSecret = '';
    let reference = '';
    let requestId = '';
    const db = () => world.server.runtime.database.db;

    before(async () => {
      world = await openWebWorld({ persons: 40 });
      const shown = new Set((await ensureDemoAccounts(world.server.runtime, 1)).map((a) => a.login));
      const found = await followedDemoSeeker(world.server.runtime, 1, shown);
      assert.ok(found, 'a demo job seeker followed by a demo counsellor');
      ({ personId, counsellor } = found);
      const request = await world.server.runtime.rightsRequests.file(
        {
          personId,
          kind: 'rectification',
          channel: 'letter',
          details: 'Mon adresse électronique a changé.',
          verification: { method: 'identity_document_copy' },
        },
        { accountId: null },
      );
      reference = request.reference;
      requestId = request.id;
    });
    after(async () => {
      await world?.close();
    });

    it('the counsellor reads the file, so their agency holds its contact', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      counsellorSecret = await signInEnrollingThroughPage(page, world.origin, counsellor);
      await openFileOf(page, personId);
      await page.getByRole('heading', { level: 1, name: 'Dossier' }).waitFor();
      await page.getByRole('button', { name: 'Ouvrir le dossier' }).click();
      await page.getByRole('heading', { level: 3, name: 'Coordonnées' }).waitFor();
      await watched.context.close();
    });

    it('the DPO rectifies the e-mail address: the rest of the contact stays, the agency is shown as told', async () => {
      const before = (await world.server.runtime.persons.read(personId, ['contact'])).fields.contact!;
      const watched = await openPage(world);
      const { page } = watched;
      await signInEnrollingThroughPage(page, world.origin, 'dpo.na');
      await page.goto(`${world.origin}/bureau/droits/${requestId}`);
      await page.getByRole('heading', { level: 1, name: `Demande ${reference}` }).waitFor();
      await page.getByRole('button', { name: 'Commencer le traitement' }).click();
      await page.getByText('Commencer le traitement : fait.').waitFor();
      await page.getByRole('heading', { name: 'Rectifier une donnée' }).waitFor();
      await page.getByLabel('Donnée à rectifier').selectOption('contact');
      await page.getByLabel('Adresse électronique').fill(RIGHT_EMAIL);
      await page.getByLabel('Valeur juste fournie par').selectOption({ label: 'la personne concernée' });
      await page.getByRole('button', { name: 'Rectifier', exact: true }).click();
      await page.getByText(/« Coordonnées » rectifiée/).waitFor();
      const table = page.getByRole('table', { name: /Données rectifiées et organismes avertis/ });
      await table.getByText('en attente').waitFor();
      const after = (await world.server.runtime.persons.read(personId, ['contact'])).fields.contact!;
      assert.deepEqual(after, { ...before, email: RIGHT_EMAIL }, 'only the e-mail address changed');
      await checkPage(watched, 'bureau-droits-rectification');
      // The replaced value, on demand: the reading goes in the person's journal.
      await table.getByRole('button', { name: /Afficher/ }).click();
      await table.getByText(before.email!, { exact: false }).waitFor();
      const read = await db()
        .selectFrom('ledger_events')
        .select('person_id')
        .where('kind', '=', 'previous_value_read')
        .execute();
      assert.deepEqual(
        read.map((r) => r.person_id),
        [personId],
      );
      await watched.context.close();
    });

    it('the counsellor sees « Rectifications à répercuter » and says their copies are corrected', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      await signInThroughPage(page, world.origin, counsellor, DEMO_PASSWORD, () => totpCode(counsellorSecret, 1));
      await page.waitForURL(`${world.origin}/console`);
      await page.getByRole('link', { name: 'Rectifications à répercuter' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Rectifications à répercuter' }).waitFor();
      const table = page.getByRole('table', { name: /1 rectification à prendre en compte sur 1/ });
      await table.getByRole('cell', { name: 'Coordonnées', exact: true }).waitFor();
      await table.getByText('À prendre en compte', { exact: true }).waitFor();
      await checkPage(watched, 'console-rectifications');
      await table.getByRole('button', { name: /Mes copies sont corrigées/ }).click();
      await page.getByText(/prise en compte\.$/).waitFor();
      await page
        .getByRole('table', { name: /0 rectification à prendre en compte sur 1/ })
        .getByText(/Prise en compte le/)
        .waitFor();
      const notice = await db().selectFrom('rectification_notices').selectAll().executeTakeFirstOrThrow();
      assert.ok(notice.acknowledged_at, 'recorded as acknowledged');
      await watched.context.close();
    });
  },
);
