import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DECOYS_PER_ORGANISATION, ensureDecoyCoverage } from '../../src/guard/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { freshDecoyFile } from '../../src/seed/index.ts';
import { BACKEND } from '../helpers/backend.ts';
import { samplePerson } from '../helpers/fixtures.ts';
import { ledgerEvents } from '../helpers/ledger.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Issue 19, item 10: decoys were planted by `seed` only, so a store filled through the API had
 * none and the honeytoken wire was simply absent in production. The guard now keeps decoys in
 * the scope of every active organisation whatever filled the store, with ids and files from
 * fresh randomness that no public code nor known seed reproduces.
 */
describe(`decoys in every organisation's scope, whatever filled the store (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  const db = () => runtime.database.db;
  const orgs = { agency: randomUUID(), partner: randomUUID(), suspended: randomUUID() };
  const counsellor = randomUUID();

  before(async () => {
    server = await openTestServer();
    runtime = server.runtime;
    const at = new Date().toISOString();
    for (const [key, kind] of [['agency', 'agency'], ['partner', 'caf'], ['suspended', 'cap_emploi']] as const) {
      await db()
        .insertInto('organisations')
        .values({ id: orgs[key], kind, name: `Organisation ${key}`, siret: null, departement: '33', security_posture: '{}', status: key === 'suspended' ? 'suspended' : 'active', created_at: at })
        .execute();
    }
    await db().insertInto('actors').values({ id: counsellor, organisation_id: orgs.agency, kind: 'human', login: 'conseiller.leurres', display_name: 'Conseiller', roles: '["counsellor"]', status: 'active', created_at: at }).execute();
    await db().insertInto('actors').values({ id: randomUUID(), organisation_id: orgs.partner, kind: 'human', login: 'agent.caf.leurres', display_name: 'Agent CAF', roles: '["partner_staff"]', status: 'active', created_at: at }).execute();
    // Files entered as through the API: real persons, no decoy among them.
    for (let i = 0; i < 3; i++) await runtime.persons.create(samplePerson(i));
  });
  after(() => server.close());

  const decoysIn = async (organisationId: string) => {
    const caseloads = await db().selectFrom('caseloads').innerJoin('guard_decoys', 'guard_decoys.person_id', 'caseloads.person_id').select(['caseloads.person_id', 'caseloads.actor_id']).where('caseloads.organisation_id', '=', organisationId).execute();
    const referrals = await db().selectFrom('referrals').innerJoin('guard_decoys', 'guard_decoys.person_id', 'referrals.person_id').select(['referrals.person_id']).where('referrals.organisation_id', '=', organisationId).where('referrals.status', '=', 'active').execute();
    return { caseloads, referrals };
  };

  it('plants decoys in the caseload of an agency’s counsellor and by referral to a partner, none for a suspended organisation; runs again add nothing', async () => {
    assert.equal((await db().selectFrom('guard_decoys').select('person_id').execute()).length, 0, 'a store filled without the seed has no decoy');
    const first = await ensureDecoyCoverage(db(), runtime.persons, freshDecoyFile);
    assert.equal(first.planted, 2 * DECOYS_PER_ORGANISATION);
    assert.deepEqual(first.unreachable, []);
    const agency = await decoysIn(orgs.agency);
    assert.equal(agency.caseloads.length, DECOYS_PER_ORGANISATION);
    assert.ok(agency.caseloads.every((c) => c.actor_id === counsellor), 'in the caseload of the agency’s counsellor');
    assert.equal((await decoysIn(orgs.partner)).referrals.length, DECOYS_PER_ORGANISATION, 'referred to the partner');
    const suspended = await decoysIn(orgs.suspended);
    assert.equal(suspended.caseloads.length + suspended.referrals.length, 0);

    const again = await ensureDecoyCoverage(db(), runtime.persons, freshDecoyFile);
    assert.equal(again.planted, 0, 'idempotent');
    assert.equal((await ledgerEvents(db(), 'decoys_planted')).length, 1);
  });

  it('gives decoys random ids and files sealed like everybody’s, all different', async () => {
    const decoys = (await db().selectFrom('guard_decoys').select('person_id').execute()).map((d) => d.person_id);
    for (const id of decoys) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a random (v4) id');
    const files = await Promise.all(decoys.map(async (id) => (await db().selectFrom('person_fields').select('field_class').where('person_id', '=', id).execute()).map((f) => f.field_class).sort()));
    for (const classes of files) {
      for (const c of ['identity', 'contact', 'registration'] as const) assert.ok(classes.includes(c), `the ${c} class sealed as in a real file`);
    }
    const nirs = await db().selectFrom('person_lookups').select('digest').where('person_id', 'in', decoys).where('kind', '=', 'nir').execute();
    assert.equal(new Set(nirs.map((n) => n.digest)).size, decoys.length, 'no two decoys share a NIR');
  });

  it('contains the counsellor who reads one of them', async () => {
    const { caseloads } = await decoysIn(orgs.agency);
    const admission = await runtime.guard.admit({
      actor: { id: counsellor, organisationId: orgs.agency },
      network: '10.1.2.0/24',
      purpose: 'accompagnement',
      dailyCeiling: 80,
      followUpExpected: true,
      personIds: [caseloads[0]!.person_id],
    });
    assert.ok(admission, 'answered');
    const containment = await db().selectFrom('guard_containments').select('signal').where('actor_id', '=', counsellor).executeTakeFirstOrThrow();
    assert.equal(containment.signal, 'honeytoken');
  });
});
