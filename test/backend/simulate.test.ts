import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { GOALS, runSimulation, type ScenarioReport, type SimulationReport } from '../../src/simulate/index.ts';
import { BACKEND, PG_URL } from '../helpers/backend.ts';

/**
 * The attack simulator end to end on a small population: the real server over HTTP, a simulated
 * clock, every scenario. The goals are checked on what the simulator measured from the ledger
 * and the guard's tables.
 */
describe(`attack simulator (${BACKEND})`, { timeout: 180_000 }, () => {
  let report: SimulationReport;
  const attacks = () => report.scenarios.filter((s) => s.attack && s.available);
  const named = (scenario: string, variant = '') =>
    report.scenarios.find((s) => s.scenario === scenario && s.variant === variant);

  before(async () => {
    report = await runSimulation({
      persons: 1500,
      staff: 40,
      seed: 3,
      parallelSeed: false,
      ...(BACKEND === 'postgres' ? { databaseUrl: PG_URL } : {}),
    });
  });

  it('plays every scenario and variant, and says which could not run rather than inventing figures', () => {
    const names = report.scenarios.map((s) => `${s.scenario}${s.variant ? `/${s.variant}` : ''}`);
    for (const expected of [
      'takeover/sweep',
      'takeover/list',
      'takeover/patient',
      'admin/alone',
      'admin/fooled',
      'session-theft/same-browser',
      'session-theft/other-browser',
      'export',
      'patient-thief',
      'staff-chain',
      'session-laundering',
      'desk-account',
      'workday',
    ]) {
      assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
    }
    for (const s of report.scenarios.filter((s) => !s.available)) {
      assert.equal(s.personsExposed, null);
      assert.ok(s.unavailable);
    }
    // Every scenario runs on the demo network as seeded: one made unavailable (a gate the seed no
    // longer meets at the simulated date, say) is a regression, not a figure.
    assert.deepEqual(
      report.scenarios.filter((s) => !s.available).map((s) => `${s.scenario}: ${s.unavailable}`),
      [],
    );
  });

  it(`exposes at most ${GOALS.maxExposed} real persons per attack, measured from the ledger`, () => {
    assert.ok(attacks().length >= 7);
    for (const s of attacks()) {
      assert.equal(typeof s.personsExposed, 'number', `${s.scenario}/${s.variant}`);
      assert.ok(s.requests > 0, `${s.scenario}/${s.variant} made requests`);
      assert.ok(
        s.personsExposed! <= GOALS.maxExposed,
        `${s.scenario}/${s.variant}: ${s.personsExposed} persons exposed`,
      );
    }
  });

  it('contains every attacker that got anything out; a touched decoy contains within a second', () => {
    // An export leak stops nobody: it is bounded by the export's size and traced back to its export.
    // The staff chain reads files its accounts may read (explained by the day's appointments): what
    // stops it is the hold on its bank changes (below), not a containment.
    for (const s of attacks().filter((a) => a.scenario !== 'export' && a.scenario !== 'staff-chain')) {
      if (s.personsExposed! > 0 || s.decoysRead! > 0)
        assert.ok(s.contained && s.containment, `${s.scenario}/${s.variant} contained`);
      if (s.decoyToContainmentMs !== null)
        assert.ok(
          s.decoyToContainmentMs < GOALS.decoyMs,
          `${s.scenario}/${s.variant}: decoy to containment ${s.decoyToContainmentMs} ms`,
        );
    }
    const sweep = named('takeover', 'sweep')!;
    assert.ok(sweep.contained, 'a sweep of consecutive identifiers is contained');
    const leak = named('export')!;
    if (leak.available) assert.ok(leak.contained, 'a leaked export file is traced back to its export');
    // Replayed with the victim's user agent from another network, a session is held until a second
    // factor is passed from there, or revoked (`session_moved`) when the account has no factor to
    // pass, as the simulator's accounts (sessions made directly, no factor row); with another
    // browser it is revoked at once.
    const stolen = named('session-theft', 'same-browser')!;
    assert.ok(
      stolen.containment?.kind === 'session' || (stolen.refusals['403 step_up_required'] ?? 0) > 0,
      JSON.stringify(stolen.refusals),
    );
    assert.equal(stolen.personsExposed, 0, 'a stolen cookie replayed from another network reads nothing');
    const otherBrowser = named('session-theft', 'other-browser')!;
    assert.equal(otherBrowser.containment?.kind, 'session');
    assert.equal(otherBrowser.personsExposed, 0);
  });

  it('contains the patient thief by its unexplained reads; the staff chain redirects no allowance; a laundered session and a lone desk account get nothing', () => {
    const thief = named('patient-thief')!;
    assert.equal(thief.containment?.signal, 'unexplained_reads');
    assert.ok(thief.personsExposed! <= GOALS.maxExposed && thief.personsExposed! > 0, `${thief.personsExposed}`);
    for (const name of ['staff-chain', 'session-laundering', 'desk-account']) {
      const s = named(name)!;
      assert.ok(s.harms && s.harms.length > 0, `${name} measures its harms`);
      for (const h of s.harms) assert.equal(h.value, 0, `${name}: ${h.label}`);
      assert.equal(s.goals.harms, true);
    }
    assert.equal(named('session-laundering')!.personsExposed, 0);
    assert.equal(named('desk-account')!.personsExposed, 0);
    const chain = named('staff-chain')!
      .notes.map((n) => /saisis : (\d+) ; motifs de retenue : .*recent_contact_change ×(\d+)/.exec(n))
      .find(Boolean);
    assert.ok(
      chain && Number(chain[1]) > 0 && chain[1] === chain[2],
      `every change entered is held for the contact change: ${named('staff-chain')!.notes.join(' | ')}`,
    );
    assert.equal(report.goalsMet, true);
  });

  const workday = (): ScenarioReport => named('workday')!;

  it('runs a day of legitimate work with the requests it planned', () => {
    assert.equal(workday().staff, 40);
    assert.ok(workday().requests > 400, `${workday().requests} requests`);
    // Every counsellor lists their caseload and every partner the persons referred to it, and none is refused.
    const listed = workday()
      .notes.map((n) => /(\d+) pages de liste .*; (\d+) refusées/.exec(n))
      .find(Boolean);
    assert.ok(listed, workday().notes.join('\n'));
    assert.ok(Number(listed[1]) >= 40, `${listed[1]} pages listed`);
    assert.equal(Number(listed[2]), 0, 'no list refused on a normal day');
  });

  it('contains no legitimate staff member during the workday, a new hire discovering a portfolio and counsellors preparing tomorrow among them, and refuses none of their reads', () => {
    assert.equal(workday().falsePositives, 0, JSON.stringify(workday().containedLegit));
    assert.equal(workday().refused, 0, JSON.stringify(workday().refusals));
    const cast = workday()
      .notes.map((n) => /dont (\d+) conseillers? recrutés? .* et (\d+) conseillers? qui prépar/.exec(n))
      .find(Boolean);
    assert.ok(cast, workday().notes.join('\n'));
    assert.ok(Number(cast[1]) >= 1, 'a new hire took a portfolio over');
    assert.ok(Number(cast[2]) >= 1, 'someone prepared tomorrow in one sitting');
  });

  it('has job seekers declare their monthly update the same day, none turned away', () => {
    const updates = workday()
      .notes.map((n) =>
        /actualisation mensuelle de (\d{4}-\d{2}) ouverte : (\d+) demandeurs .* (\d+) le corrigent .*; (\d+) refusées/.exec(
          n,
        ),
      )
      .find(Boolean);
    assert.ok(updates, workday().notes.join('\n'));
    assert.ok(Number(updates[2]) >= 20, `${updates[2]} declarations`);
    assert.equal(Number(updates[4]), 0, 'no legitimate declaration refused');
    assert.deepEqual(workday().harms, [
      { label: 'Actualisations légitimes refusées', value: 0, goal: 0 },
      { label: 'Inscriptions à l’accueil refusées', value: 0, goal: 0 },
      { label: 'Actualisations sous mandat refusées', value: 0, goal: 0 },
    ]);
    assert.equal(workday().goals.harms, true);
  });

  it('has counsellors register walk-ins at the desk, none refused', () => {
    const desk = workday()
      .notes.map((n) => /inscriptions à l’accueil .* : (\d+) inscrites, (\d+) transmises .*, (\d+) refusées/.exec(n))
      .find(Boolean);
    assert.ok(desk, workday().notes.join('\n'));
    assert.ok(Number(desk[1]) + Number(desk[2]) >= 1, `${desk[1]} registered, ${desk[2]} held`);
    assert.equal(Number(desk[3]), 0, 'no desk registration refused');
  });

  it('has a France Services aidant help persons update under a mandate confirmed by code, none refused, the aidant not contained', () => {
    const assisted = workday()
      .notes.map((n) => /(\d+) aidants? France Services .* : (\d+) personnes aidées .*, (\d+) refusées/.exec(n))
      .find(Boolean);
    assert.ok(assisted, workday().notes.join('\n'));
    assert.ok(Number(assisted[2]) >= 3, `${assisted[2]} assisted`);
    assert.equal(Number(assisted[3]), 0, 'no assisted update refused');
    assert.equal(workday().falsePositives, 0, JSON.stringify(workday().containedLegit));
  });
});
