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
import { clientCredentialsForm, registerEmployerSystem } from '../helpers/machine-client.ts';

const EMPLOYER_ADDRESS = '10.20.0.9';
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

/**
 * « Mes attestations employeur » (issue 25 §3) in a real browser: the demo network's employer
 * sends a certificate from its payroll system (a machine client); the person sees it in their
 * espace, with its salaries and indemnities, and disputes it with a reason — the dispute is
 * recorded, routed back to the employer, and the page says it.
 */
describe(
  `web application: « Mes attestations employeur », a certificate seen and disputed, in a real browser (${BACKEND})`,
  { skip: browserSkip, timeout: 300_000 },
  () => {
    let world: WebWorld;
    let seeker = '';
    let personId = '';
    let certificateId = '';
    const db = () => world.server.runtime.database.db;

    before(async () => {
      world = await openWebWorld({ persons: 20 });
      const { app, runtime } = world.server;
      seeker = (await ensureDemoAccounts(runtime, 1))[0]!.login;
      personId = (
        await db().selectFrom('accounts').select('person_id').where('login', '=', seeker).executeTakeFirstOrThrow()
      ).person_id!;
      const file = await runtime.persons.read(personId, ['identity', 'nir']);
      const system = await registerEmployerSystem(db());
      const issued = await app.inject({
        method: 'POST',
        url: '/api/oauth/token',
        remoteAddress: EMPLOYER_ADDRESS,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: await clientCredentialsForm(system, runtime.config.publicUrl, 'attestation_employeur'),
      });
      assert.equal(issued.statusCode, 200, issued.body);
      const from = daysAgo(70);
      const to = daysAgo(5);
      const sent = await app.inject({
        method: 'POST',
        url: '/api/employer/certificates',
        remoteAddress: EMPLOYER_ADDRESS,
        headers: {
          authorization: `Bearer ${issued.json().access_token as string}`,
          'rempart-purpose': 'attestation_employeur',
          'rempart-case-reference': 'PAIE-2026-0007',
        },
        payload: {
          person: { nir: file.fields.nir!.nir, birthDate: file.fields.identity!.birthDate },
          employerReference: 'AE-2026-0007',
          employment: { from, to, contractKind: 'cdd', jobTitle: 'Cariste' },
          endReason: 'fin_cdd',
          salaries: [...new Set([from.slice(0, 7), daysAgo(40).slice(0, 7), to.slice(0, 7)])].map((month) => ({
            month,
            grossCents: 180_000,
          })),
          indemnities: [{ kind: 'indemnite_fin_contrat', amountCents: 54_000 }],
        },
      });
      assert.equal(sent.statusCode, 201, sent.body);
      certificateId = sent.json().id as string;
    });
    after(async () => {
      await world?.close();
    });

    it('the person sees the certificate and disputes it with a reason; the dispute is recorded and said', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      await signInThroughPage(page, world.origin, seeker, DEMO_PASSWORD);
      await page.waitForURL(`${world.origin}/mon-espace`);
      await page.getByRole('link', { name: 'Mes attestations employeur' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Mes attestations employeur' }).waitFor();
      const section = page.getByRole('region', { name: /^Chais du Médoc SAS — du / });
      await section.waitFor();
      await section.getByText('Reçue', { exact: true }).waitFor();
      await section.getByText('Motif de fin : ').waitFor();
      await section.getByRole('table', { name: /^Salaires déclarés/ }).waitFor();
      await section.getByRole('cell', { name: '540,00 €' }).waitFor();
      await checkPage(watched, 'espace-attestations');
      // Reading them is recorded in the person's journal before anything is shown.
      const read = await db()
        .selectFrom('ledger_events')
        .select('body')
        .where('kind', '=', 'subject_access')
        .where('person_id', '=', personId)
        .execute();
      assert.ok(read.some((e) => e.body.includes('read_certificates')));

      await section.getByRole('button', { name: 'Contester cette attestation' }).click();
      const form = page.getByRole('form', { name: 'Contester l’attestation de Chais du Médoc SAS' });
      // No reason chosen: the button waits for one.
      assert.equal(await form.getByRole('button', { name: 'Envoyer la contestation' }).isDisabled(), true);
      await form.getByLabel('Ce qui est inexact').selectOption('salaires_inexacts');
      await form.getByLabel('Précisez (facultatif)').fill('Il manque les heures supplémentaires de mars.');
      await form.getByRole('button', { name: 'Envoyer la contestation' }).click();
      await page.getByText('Votre contestation est enregistrée et transmise à l’employeur').waitFor();
      await section.getByText('Contestée : en attente de correction par l’employeur').waitFor();
      await section.getByText(/Les salaires déclarés sont inexacts/).waitFor();
      assert.equal(await section.getByRole('button', { name: 'Contester cette attestation' }).count(), 0);
      const row = await db()
        .selectFrom('employer_certificates')
        .select(['status', 'dispute_reason'])
        .where('id', '=', certificateId)
        .executeTakeFirstOrThrow();
      assert.deepEqual(row, { status: 'disputed', dispute_reason: 'salaires_inexacts' });
      const disputed = await db()
        .selectFrom('ledger_events')
        .select('body')
        .where('kind', '=', 'employer_certificate_disputed')
        .where('person_id', '=', personId)
        .execute();
      assert.equal(disputed.length, 1);
      assert.ok(!disputed[0]!.body.includes('heures supplémentaires'), 'the comment stays out of the log');
      await checkPage(watched, 'espace-attestations-contestee');
      await watched.context.close();
    });
  },
);
