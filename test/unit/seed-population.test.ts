import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { validateNewPerson } from '../../src/domain/person-rules.ts';
import { isValidNir } from '../../src/domain/validators.ts';
import { generateChunk, CHUNK_SIZE } from '../../src/seed/population.ts';
import { NETWORK } from '../../src/seed/index.ts';

function population(seed: number, count: number) {
  const out = [];
  for (let c = 0; c * CHUNK_SIZE < count; c++) out.push(...generateChunk(seed, c, count));
  return out;
}

describe('synthetic population', () => {
  it('is deterministic for a seed and different across seeds', () => {
    const a = population(7, 250);
    const b = population(7, 250);
    assert.deepEqual(a, b);
    const c = population(8, 250);
    assert.notDeepEqual(
      a.map((p) => p.file.identity),
      c.map((p) => p.file.identity),
    );
  });

  it('any chunk can be regenerated alone (resumable seeding)', () => {
    const whole = population(3, 500);
    const third = generateChunk(3, 3, 500);
    assert.deepEqual(third, whole.slice(300, 400));
  });

  it('produces only valid files, with unique NIRs, France Travail ids and emails', () => {
    const people = population(42, 20_000);
    const nirs = new Set<string>();
    const ids = new Set<string>();
    const emails = new Set<string>();
    let rqth = 0;
    let judicial = 0;
    let withBank = 0;
    for (const p of people) {
      validateNewPerson(p.file);
      assert.ok(isValidNir(p.file.nir!.nir));
      nirs.add(p.file.nir!.nir);
      ids.add(p.file.registration!.franceTravailId);
      emails.add(p.file.contact!.email!);
      if (p.file.health?.rqth) rqth++;
      if (p.file.judicial) judicial++;
      if (p.file.bank) withBank++;
    }
    assert.equal(nirs.size, people.length);
    assert.equal(ids.size, people.length);
    assert.equal(emails.size, people.length);
    // Realistic shares: some RQTH, a few justice measures, most paid an allowance.
    assert.ok(rqth > 0.05 * people.length && rqth < 0.12 * people.length, `rqth ${rqth}`);
    assert.ok(judicial > 0.01 * people.length && judicial < 0.04 * people.length, `judicial ${judicial}`);
    assert.ok(withBank > 0.45 * people.length && withBank < 0.65 * people.length, `bank ${withBank}`);
    assert.ok(
      people.some((p) => /^[12]\d{4}2[AB]/.test(p.file.nir!.nir)),
      'some born in Corsica',
    );
    assert.ok(
      people.some((p) => /^[12]\d{4}99/.test(p.file.nir!.nir)),
      'some born abroad',
    );
    assert.ok(
      people.some((p) => /^[12]\d{4}97[1-4]/.test(p.file.nir!.nir)),
      'some born overseas',
    );
  });

  it('models the département network with every kind of organisation', () => {
    const kinds = new Set(NETWORK.map((o) => o.kind));
    for (const kind of [
      'agency',
      'mission_locale',
      'cap_emploi',
      'departement',
      'caf',
      'training_body',
      'subcontractor',
    ])
      assert.ok(kinds.has(kind), kind);
  });

  it('draws the same persons as before the generator moved to the guard (seeds 1 and 7, chunks 0 and 3)', () => {
    // Hashes of the population drawn by the seed's own generator before it became the guard's
    // (commit e0c4591): demos, benchmarks and published figures keep their people. A deliberate
    // change of the generator changes them, and this test with it.
    const expected: Record<number, string> = {
      1: '3d4e0812e068ef04b5378d1783f0bbd544a311d7fb5505d0e4e04cc125d10ba0',
      7: 'd94036f06409b8eb5d2f0f4c505588b8ff1bfb70f00cf555b12b2c5b72cbca7f',
    };
    for (const [seed, hash] of Object.entries(expected)) {
      const people = [...generateChunk(Number(seed), 0, 300), ...generateChunk(Number(seed), 3, 3 * CHUNK_SIZE + 200)];
      assert.equal(people.length, 200);
      assert.equal(createHash('sha256').update(JSON.stringify(people)).digest('hex'), hash, `seed ${seed}`);
    }
  });
});
