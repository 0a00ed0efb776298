import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Secret, TOTP } from 'otpauth';
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
import { signIn, type Client } from '../helpers/sign-in.ts';
import { ofName } from '../../src/domain/french.ts';
import { createAccount } from '../../src/identity/index.ts';
import { parseBody } from '../../src/ledger/index.ts';

describe(
  `web application: the security desk (bureau sécurité / DPO) in a real browser (${BACKEND})`,
  { skip: browserSkip, timeout: 300_000 },
  () => {
    let world: WebWorld;
    const db = () => world.server.runtime.database.db;

    before(async () => {
      world = await openWebWorld();
    });
    after(async () => {
      await world?.close();
    });

    /** A staff member's first sign-in through the page: password, then a TOTP app enrolled; returns the app's secret. */
    async function firstSignIn(watched: WatchedPage, login: string): Promise<string> {
      const { page } = watched;
      await signInThroughPage(page, world.origin, login, DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Utiliser une application d’authentification' }).click();
      const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
      await page.getByLabel('Premier code').fill(new TOTP({ secret: Secret.fromBase32(secret) }).generate());
      await page.getByRole('button', { name: 'Activer' }).click();
      await page.getByRole('heading', { name: 'Vos codes de secours' }).waitFor();
      await page.getByRole('button', { name: /J’ai conservé mes codes/ }).click();
      await page.waitForURL((url) => url.pathname !== '/connexion');
      return secret;
    }

    it('the guard contains a counsellor who opened a decoy; the security officer sees it and releases the account with a fresh second factor', async () => {
      // A counsellor whose caseload holds a decoy file reads it through the API: the guard contains the account at once.
      const decoy = await db()
        .selectFrom('guard_decoys')
        .innerJoin('caseloads', 'caseloads.person_id', 'guard_decoys.person_id')
        .innerJoin('actors', 'actors.id', 'caseloads.actor_id')
        .innerJoin('accounts', 'accounts.actor_id', 'actors.id')
        .select(['guard_decoys.person_id', 'actors.id as actorId', 'actors.login'])
        .where('actors.status', '=', 'active')
        .where('actors.roles', 'like', '%counsellor%')
        .orderBy('actors.login')
        .executeTakeFirstOrThrow();
      const client: Client = {
        remoteAddress: '10.20.30.40',
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      const counsellor = await signIn(world.server.app, client, decoy.login, DEMO_PASSWORD);
      const read = (personId: string) =>
        world.server.app.inject({
          method: 'GET',
          url: `/api/staff/persons/${personId}?classes=identity`,
          remoteAddress: client.remoteAddress,
          headers: {
            ...client.headers,
            cookie: counsellor.cookie,
            'x-csrf-token': counsellor.csrf,
            'rempart-purpose': 'accompagnement',
            'rempart-case-reference': 'DOSSIER-2026-0042',
          },
        });
      const real = await db()
        .selectFrom('caseloads')
        .select('person_id')
        .where('actor_id', '=', decoy.actorId)
        .where('person_id', '!=', decoy.person_id)
        .executeTakeFirstOrThrow();
      assert.equal((await read(real.person_id)).statusCode, 200, 'a file of the caseload, before the decoy');
      const served = await read(decoy.person_id);
      assert.equal(served.statusCode, 200, 'a decoy is served like any file');
      const containment = await db()
        .selectFrom('guard_containments')
        .select(['id', 'signal', 'released_at'])
        .where('actor_id', '=', decoy.actorId)
        .executeTakeFirstOrThrow();
      assert.equal(containment.signal, 'honeytoken');
      assert.equal(
        (await db().selectFrom('actors').select('status').where('id', '=', decoy.actorId).executeTakeFirstOrThrow())
          .status,
        'suspended',
      );
      assert.equal(
        (await read(real.person_id)).statusCode,
        401,
        'the contained counsellor’s sessions were revoked: nothing more is read',
      );

      // The security officer signs in for the first time (TOTP enrolled through the page) and sees the containment.
      const watched = await openPage(world);
      const { page } = watched;
      const secret = await firstSignIn(watched, 'rssi.na');
      await page.goto(`${world.origin}/bureau`);
      await page.getByRole('heading', { level: 1, name: 'Alertes et comptes confinés' }).waitFor();
      const card = page.locator('article.rempart-box').filter({ hasText: decoy.login });
      await card.getByText('Lecture d’un dossier leurre').waitFor();
      await page
        .getByRole('table', { name: /Signaux de la garde/ })
        .getByText(decoy.login)
        .first()
        .waitFor();
      await page.getByText('Aucun accès d’urgence en attente de revue.').waitFor();
      await checkPage(watched, 'bureau-alertes');

      // Five minutes later the second factor is no longer fresh: releasing needs it again.
      await db()
        .updateTable('sessions')
        .set({ second_factor_at: new Date(Date.now() - 10 * 60_000).toISOString() })
        .where(
          'account_id',
          '=',
          (await db().selectFrom('accounts').select('id').where('login', '=', 'rssi.na').executeTakeFirstOrThrow()).id,
        )
        .execute();
      await card.getByRole('button', { name: `Lever le confinement ${ofName(decoy.login)}`, exact: false }).click();
      await page
        .getByLabel('Motif de la levée')
        .fill('Titulaire rappelé par le référent sécurité de l’agence à 14 h, poste vérifié.');
      await page.getByRole('button', { name: 'Confirmer la levée' }).click();
      await page.getByRole('heading', { name: 'Confirmez votre identité' }).waitFor();
      assert.ok(
        watched.refusals.some((r) => r === `403 POST /api/security/guard/containments/${containment.id}/release`),
        'the first attempt was refused for step-up',
      );
      assert.equal(
        (
          await db()
            .selectFrom('guard_containments')
            .select('released_at')
            .where('id', '=', containment.id)
            .executeTakeFirstOrThrow()
        ).released_at,
        null,
        'nothing released without the fresh factor',
      );
      await checkPage(watched, 'bureau-alertes-confirmation');
      // The code of the next period: the one of enrolment may not be replayed.
      await page
        .getByLabel('Code à usage unique')
        .fill(new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + 30_000 }));
      await page.getByRole('button', { name: 'Confirmer', exact: true }).click();
      await page.getByText(`Confinement levé : ${decoy.login}`).waitFor();
      await page.getByText('Aucun compte ni organisation n’est confiné.').waitFor();

      const released = await db()
        .selectFrom('guard_containments')
        .select(['released_at', 'released_by', 'release_note'])
        .where('id', '=', containment.id)
        .executeTakeFirstOrThrow();
      assert.ok(released.released_at);
      assert.match(released.release_note ?? '', /référent sécurité/);
      assert.equal(
        (await db().selectFrom('actors').select('status').where('id', '=', decoy.actorId).executeTakeFirstOrThrow())
          .status,
        'active',
        'the counsellor is active again',
      );
      const releases = await db()
        .selectFrom('ledger_events')
        .select(['body', 'account_id'])
        .where('kind', '=', 'guard_release')
        .execute();
      assert.equal(releases.length, 1, 'the release is in the ledger');
      assert.equal(JSON.parse(releases[0]!.body).details.containment, containment.id);
      assert.equal(releases[0]!.account_id, released.released_by);
      assert.deepEqual(watched.problems, []);

      // A break-glass access waits for review: the officer judges it abusive (second factor still fresh from the release).
      const breakGlassId = randomUUID();
      await db()
        .insertInto('break_glass')
        .values({
          id: breakGlassId,
          actor_id: decoy.actorId,
          organisation_id: (
            await db()
              .selectFrom('actors')
              .select('organisation_id')
              .where('id', '=', decoy.actorId)
              .executeTakeFirstOrThrow()
          ).organisation_id,
          person_id: real.person_id,
          purpose: 'accompagnement',
          case_reference: 'DOSSIER-2026-0099',
          justification: 'Usager à l’accueil sans rendez-vous',
          classes: JSON.stringify(['identity', 'contact']),
          granted_at: new Date().toISOString(),
          expires_at: new Date(Date.now() + 15 * 60_000).toISOString(),
          review_status: 'pending',
          reviewed_by: null,
          reviewed_at: null,
          review_note: null,
        })
        .execute();
      await page.reload();
      const reviewForm = page.getByRole('form', { name: `Revoir l’accès d’urgence ${ofName(decoy.login)}` });
      await reviewForm.getByText('Abusif').click();
      await reviewForm.getByLabel('Observation').fill('Aucun rendez-vous ni passage à l’accueil ce jour-là.');
      await reviewForm.getByRole('button', { name: 'Enregistrer l’appréciation' }).click();
      await page.getByText(`Accès d’urgence ${ofName(decoy.login)} jugé abusif`).waitFor();
      const judged = await db()
        .selectFrom('break_glass')
        .select(['review_status', 'reviewed_by'])
        .where('id', '=', breakGlassId)
        .executeTakeFirstOrThrow();
      assert.deepEqual(judged, { review_status: 'abusive', reviewed_by: released.released_by });
      assert.equal(
        (await db().selectFrom('ledger_events').select('id').where('kind', '=', 'break_glass_reviewed').execute())
          .length,
        1,
      );

      // Every page of the desk, keyboard-reachable through the menu, accessible and phone-sized.
      const officerId = (
        await db().selectFrom('accounts').select('id').where('login', '=', 'rssi.na').executeTakeFirstOrThrow()
      ).id;
      const declared = await world.server.runtime.incidents.declare(
        {
          title: 'Compte de conseiller utilisé sur un dossier leurre',
          vector: 'account_takeover',
          description: 'Le compte a ouvert un dossier leurre ; fenêtre d’une heure avant le confinement.',
          compromised: { actors: [decoy.actorId], organisations: [], clients: [], sessions: [] },
          windowFrom: new Date(Date.now() - 3_600_000),
          windowTo: new Date(),
          awareAt: new Date(),
        },
        { accountId: officerId },
      );
      await page.getByRole('link', { name: 'Incidents' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
      await page.getByRole('link', { name: declared.reference }).waitFor();
      await page
        .getByText(/restantes/)
        .first()
        .waitFor();
      await checkPage(watched, 'bureau-incidents');
      // Declaring from the desk: what happened, the organisation, the window, since when it is known.
      const organisation = await db()
        .selectFrom('actors')
        .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
        .select(['organisations.id', 'organisations.name'])
        .where('actors.id', '=', decoy.actorId)
        .executeTakeFirstOrThrow();
      await page.getByRole('button', { name: 'Déclarer un incident' }).click();
      await page.getByLabel('Intitulé').fill('Poste d’accueil infecté par un logiciel espion');
      await page.getByLabel('Vecteur').selectOption('infostealer');
      await page
        .getByLabel('Circonstances, telles que connues')
        .fill('Un antivirus a signalé un voleur de mots de passe sur le poste.');
      await page.getByLabel(organisation.name, { exact: true }).check({ force: true });
      const local = (ms: number) => {
        const d = new Date(Date.now() - ms);
        return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
      };
      await page.getByLabel('Début de la fenêtre de compromission').fill(local(86_400_000));
      await checkPage(watched, 'bureau-incident-declaration');
      await page.getByRole('button', { name: 'Déclarer', exact: true }).click();
      await page.waitForURL(/\/bureau\/incidents\/INC-/);
      const fromDesk = await db()
        .selectFrom('incidents')
        .select(['reference', 'vector', 'compromised'])
        .where('title', '=', 'Poste d’accueil infecté par un logiciel espion')
        .executeTakeFirstOrThrow();
      assert.equal(fromDesk.vector, 'infostealer');
      assert.deepEqual(JSON.parse(fromDesk.compromised).organisations, [organisation.id]);
      assert.equal(new URL(page.url()).pathname, `/bureau/incidents/${fromDesk.reference}`);
      await page.getByRole('heading', { level: 1, name: `Incident ${fromDesk.reference}` }).waitFor();
      await page.getByRole('link', { name: 'Tous les incidents' }).click();
      await page.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
      await page.getByRole('link', { name: declared.reference }).click();
      await page.getByRole('heading', { level: 1, name: `Incident ${declared.reference}` }).waitFor();
      assert.equal(
        new URL(page.url()).pathname,
        `/bureau/incidents/${declared.reference}`,
        'the address names the incident, no person',
      );
      await page.getByRole('button', { name: 'Calculer le périmètre' }).click();
      await page.getByText(/1 personne exposée à travers/).waitFor();
      // The exposed file is listed by its identifier, with the class read; the decoy is not among the persons.
      const exposures = page.getByRole('table', { name: /Personnes exposées \(1\)/ });
      await exposures.getByText(real.person_id.slice(0, 8)).waitFor();
      await exposures.getByText('Identité').waitFor();
      assert.equal(await exposures.getByText(decoy.person_id.slice(0, 8)).count(), 0);
      await page.getByRole('button', { name: 'Produire le projet de notification' }).click();
      await page.getByText('Projet de notification à la CNIL produit').waitFor();
      // A corrective measure (its second factor is still fresh from the release): done and in the register.
      await page.getByRole('button', { name: 'Contrôler les dossiers leurres consultés' }).click();
      // The outcome beside the button that applied it: the decoy read, as the check found it.
      const outcome = page
        .locator('div', { has: page.getByRole('button', { name: 'Contrôler les dossiers leurres consultés' }) })
        .getByTestId('measure-outcome');
      await outcome.waitFor();
      assert.match((await outcome.textContent()) ?? '', /^Fait : Leurres consultés : 1 \(/);
      const measures = await db()
        .selectFrom('ledger_events')
        .select('body')
        .where('kind', '=', 'incident_action')
        .execute();
      assert.equal(measures.length, 1, 'the measure is in the ledger');
      // And in the register of its steps (Art. 33(5)) on the incident's page, once the page has reloaded.
      await page
        .getByTestId('register-step')
        .filter({ hasText: /Leurres consultés : 1/ })
        .first()
        .waitFor();
      await page.getByLabel('Référence attribuée par la CNIL').fill('CNIL-2026-123456');
      await page
        .getByLabel('Date et heure du dépôt')
        .fill(
          new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' })
            .format(new Date())
            .replace(' ', 'T'),
        );
      await page.getByRole('button', { name: 'Enregistrer le dépôt' }).click();
      await page.getByText('Dépôt auprès de la CNIL enregistré.').waitFor();
      await page.getByText(/Déposée le .*CNIL-2026-123456/).waitFor();
      await checkPage(watched, 'bureau-incident');

      // Two derogations of the counsellor's organisation: one expires within 30 days (highlighted), the other later.
      const bastide = (
        await db()
          .selectFrom('actors')
          .select('organisation_id')
          .where('id', '=', decoy.actorId)
          .executeTakeFirstOrThrow()
      ).organisation_id;
      const bastideName = (
        await db().selectFrom('organisations').select('name').where('id', '=', bastide).executeTakeFirstOrThrow()
      ).name;
      const derogation = (requirement: string, days: number, justification: string) => ({
        id: randomUUID(),
        organisation_id: bastide,
        requirement,
        justification,
        approved_by: officerId,
        approved_at: new Date().toISOString(),
        expires_at: new Date(Date.now() + days * 86_400_000).toISOString(),
        revoked_at: null,
      });
      await db()
        .insertInto('derogations')
        .values([
          derogation('security_audit', 10, 'Audit reporté au mois prochain'),
          derogation('network_ranges', 60, 'Déménagement des bureaux en cours'),
        ])
        .execute();
      await page.goto(`${world.origin}/bureau/organisations`);
      const bastideCard = page
        .locator('section.fr-card')
        .filter({ has: page.getByRole('heading', { name: bastideName, exact: true }) });
      await bastideCard.getByText(/Audit reporté au mois prochain/).waitFor();
      assert.equal(
        await bastideCard
          .locator('li', { hasText: 'Audit reporté' })
          .getByText('Expire dans moins de 30 jours')
          .count(),
        1,
        'the derogation expiring in 10 days is highlighted',
      );
      assert.equal(
        await bastideCard.locator('li', { hasText: 'Déménagement' }).getByText('Expire dans moins de 30 jours').count(),
        0,
        'the one in 60 days is not',
      );
      await page.getByRole('heading', { level: 1, name: 'Organisations et conformité' }).waitFor();
      const firstAgreement = page.getByRole('button', { name: 'Voir les finalités' }).first();
      await firstAgreement.click();
      await page
        .getByRole('table', { name: /Finalités de la convention/ })
        .first()
        .waitFor();
      await checkPage(watched, 'bureau-organisations');

      // A request awaiting its second administrator: listed, read-only (no approve button for the desk).
      await db()
        .insertInto('admin_requests')
        .values({
          id: randomUUID(),
          organisation_id: bastide,
          kind: 'grant_roles',
          target_account_id: null,
          payload: JSON.stringify({ roles: ['indemnisation_agent'] }),
          requested_by: officerId,
          requested_at: new Date().toISOString(),
          expires_at: new Date(Date.now() + 86_400_000).toISOString(),
          status: 'pending',
          decided_by: null,
          decided_at: null,
          outcome: null,
        })
        .execute();
      await page.goto(`${world.origin}/bureau/administration`);
      await page.getByRole('heading', { level: 1, name: 'Administration des comptes' }).waitFor();
      const requestsTable = page.getByRole('table', { name: /Demandes en attente \(1\)/ });
      await requestsTable.getByText('Attribution de rôles').waitFor();
      await requestsTable.getByText('rôle : agent d’indemnisation').waitFor();
      assert.equal(await page.getByRole('button', { name: /Approuver/ }).count(), 0);
      await checkPage(watched, 'bureau-administration');

      await world.server.runtime.ledger.integrate();
      await world.server.runtime.ledger.checkpoint();
      await page.goto(`${world.origin}/bureau/activite`);
      await page.getByRole('heading', { level: 1, name: 'Journal et activité' }).waitFor();
      await page.getByTestId('last-verification').getByText('Jamais vérifié').waitFor();
      await page.getByRole('button', { name: 'Vérifier maintenant' }).click();
      await page
        .getByTestId('last-verification')
        .getByText(/^Conforme/)
        .waitFor();
      const verified = await db()
        .selectFrom('ledger_events')
        .select('account_id')
        .where('kind', '=', 'ledger_verified')
        .execute();
      assert.deepEqual(verified, [{ account_id: officerId }], 'the verification is in the ledger, by the officer');
      const readsChart = page.getByRole('img', { name: /Lectures de dossiers par heure pour/ });
      await readsChart.waitFor();
      await page.getByRole('img', { name: /Alertes de la garde par jour/ }).waitFor();
      // The accessible alternative: the figures as a table in an accordion.
      await page.getByRole('button', { name: /Tableau des alertes par motif/ }).click();
      await page
        .getByRole('table', { name: /Alertes par type et par motif/ })
        .getByText('Lecture d’un dossier leurre')
        .first()
        .waitFor();
      await checkPage(watched, 'bureau-activite');
      await watched.context.close();
    });

    it('shows the DPO the desk read-only: no release, no verification, no break-glass queue, no incident operation, but approvals as the second person; the API agrees', async () => {
      const watched = await openPage(world, { width: 375, height: 800 });
      const { page } = watched;
      await firstSignIn(watched, 'dpo.na');
      await page.goto(`${world.origin}/bureau`);
      await page.getByRole('heading', { level: 1, name: 'Alertes et comptes confinés' }).waitFor();
      await page.getByRole('table', { name: /Signaux de la garde/ }).waitFor();
      assert.equal(await page.getByRole('button', { name: /Lever le confinement/ }).count(), 0);
      assert.equal(await page.getByRole('heading', { name: 'Accès d’urgence à revoir' }).count(), 0);
      // A new signal shows up by itself within the polling period (no reload).
      const anyOrg = await db().selectFrom('organisations').select('id').limit(1).executeTakeFirstOrThrow();
      await db()
        .insertInto('guard_signals')
        .values({
          id: randomUUID(),
          at: new Date().toISOString(),
          actor_id: null,
          organisation_id: anyOrg.id,
          signal: 'session_moved',
          severity: 'alert',
          details: '{}',
        })
        .execute();
      await page
        .getByRole('table', { name: /Signaux de la garde/ })
        .getByText('Session utilisée depuis un autre poste')
        .waitFor({ timeout: 15_000 });
      await checkPage(watched, 'bureau-alertes-dpo');
      await page.goto(`${world.origin}/bureau/activite`);
      await page.getByText('La vérification est lancée par le responsable de la sécurité.').waitFor();
      await page.getByRole('img', { name: /Alertes de la garde par jour/ }).waitFor();
      await checkPage(watched, 'bureau-activite-dpo');
      const verify = await page.evaluate(async () => {
        const session = (await (await fetch('/api/auth/session')).json()) as { csrfToken: string };
        return (
          await fetch('/api/security/dashboard/ledger/verify', {
            method: 'POST',
            headers: { 'x-csrf-token': session.csrfToken },
          })
        ).status;
      });
      assert.equal(verify, 403, 'the DPO cannot run a verification through the API either');

      // Four eyes: the officer asks to declare an incident over two organisations; the DPO, second person, approves it on the desk.
      const officerAccount = (
        await db().selectFrom('accounts').select('id').where('login', '=', 'rssi.na').executeTakeFirstOrThrow()
      ).id;
      const twoOrganisations = (
        await db().selectFrom('organisations').select('id').orderBy('id').limit(2).execute()
      ).map((o) => o.id);
      const asked = await world.server.runtime.incidents.requestDeclaration(
        {
          title: 'Deux partenaires compromis',
          vector: 'partner_system',
          description: 'Les deux systèmes partenaires partagent un prestataire compromis.',
          compromised: { actors: [], organisations: twoOrganisations, clients: [], sessions: [] },
          windowFrom: new Date(Date.now() - 3_600_000),
          windowTo: new Date(),
          awareAt: new Date(),
        },
        { accountId: officerAccount },
      );
      await page.goto(`${world.origin}/bureau/incidents`);
      const pending = page.getByRole('table', { name: /Demandes en attente d’une seconde personne \(1\)/ });
      await pending.getByText(asked.summary, { exact: true }).waitFor();
      await checkPage(watched, 'bureau-incidents-dpo');
      await pending.getByRole('button', { name: `Approuver : ${asked.summary}` }).click();
      await page.getByText(`Demande approuvée : ${asked.summary}`).waitFor();
      const approved = await db()
        .selectFrom('incident_requests')
        .select(['status', 'decided_by'])
        .where('id', '=', asked.id)
        .executeTakeFirstOrThrow();
      assert.equal(approved.status, 'executed');
      const dpoAccount = (
        await db().selectFrom('accounts').select('id').where('login', '=', 'dpo.na').executeTakeFirstOrThrow()
      ).id;
      assert.equal(approved.decided_by, dpoAccount);
      const created = await db()
        .selectFrom('incidents')
        .select(['reference', 'declared_by'])
        .where('title', '=', 'Deux partenaires compromis')
        .executeTakeFirstOrThrow();
      assert.equal(created.declared_by, officerAccount, 'declared in the officer’s name');
      // The DPO's incident page: read, CNIL, no operation of the officer's.
      await page.getByRole('link', { name: created.reference }).click();
      await page.getByRole('heading', { level: 1, name: `Incident ${created.reference}` }).waitFor();
      await page.getByText(/Délégué à la protection des données : vous consultez l’incident/).waitFor();
      for (const name of [
        'Calculer le périmètre',
        'Clore l’incident',
        'Révoquer les sessions et jetons des identités compromises',
      ])
        assert.equal(await page.getByRole('button', { name }).count(), 0, name);
      await checkPage(watched, 'bureau-incident-dpo');

      // A job seeker does not recognise a read of their file and reports it: the desk lists it for the DPO.
      const grants = await db()
        .selectFrom('ledger_events')
        .select(['id', 'person_id', 'body'])
        .where('kind', '=', 'access_granted')
        .where('person_id', 'is not', null)
        .orderBy('at')
        .execute();
      const granted = grants.map((g) => ({ ...g, event: parseBody(g.body) })).find((g) => g.event.operation === 'read');
      assert.ok(granted, 'the counsellor’s reads are in the ledger');
      const read = { id: granted.id, person_id: granted.person_id, case_reference: granted.event.caseReference };
      await createAccount(db(), {
        kind: 'job_seeker',
        login: 'signalement@demo.rempart.example',
        password: DEMO_PASSWORD,
        personId: read.person_id!,
      });
      const seekerClient: Client = {
        remoteAddress: '10.9.8.7',
        headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0', 'accept-language': 'fr-FR' },
      };
      const seeker = await signIn(world.server.app, seekerClient, 'signalement@demo.rempart.example', DEMO_PASSWORD);
      const reported = await world.server.app.inject({
        method: 'POST',
        url: `/api/me/journal/${read.id}/report`,
        remoteAddress: seekerClient.remoteAddress,
        headers: { ...seekerClient.headers, cookie: seeker.cookie, 'x-csrf-token': seeker.csrf },
        payload: { comment: 'Je n’ai aucun rendez-vous avec cette agence.' },
      });
      assert.equal(reported.statusCode, 201, reported.body);
      await page.goto(`${world.origin}/bureau/signalements`);
      const row = page
        .getByRole('table', { name: /Signalements \(1\)/ })
        .getByRole('row')
        .filter({ hasText: 'Je n’ai aucun rendez-vous avec cette agence.' });
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', new RegExp(read.case_reference!));
      assert.match((await row.textContent()) ?? '', /À examiner/);
      assert.doesNotMatch(page.url(), new RegExp(read.person_id!), 'the person is not in the address');
      await checkPage(watched, 'bureau-signalements');
      await watched.context.close();
    });

    it('keeps the desk closed to a counsellor: the API refuses and the menu does not offer it', async () => {
      const watched = await openPage(world);
      const { page } = watched;
      await firstSignIn(watched, 'conseiller.bastide.2');
      const statuses = await page.evaluate(async () =>
        Promise.all(
          ['/api/security/dashboard/reads', '/api/security/dashboard/ledger', '/api/security/guard/containments'].map(
            async (p) => (await fetch(p)).status,
          ),
        ),
      );
      assert.deepEqual(statuses, [403, 403, 403]);
      assert.equal(await page.getByRole('link', { name: 'Journal et activité' }).count(), 0);
      await watched.context.close();
    });
  },
);
