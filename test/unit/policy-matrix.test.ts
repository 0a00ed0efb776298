/**
 * The authorization matrix: every (organisation of the demo network, role, purpose, field
 * class, operation, relationship present or not, posture compliant or not, agreement in force
 * or expired, age within a purpose's condition or not) is decided by `decide()` and compared
 * with an expected answer computed independently, by reading the agreements of
 * src/seed/network.ts directly (the oracle below never calls `decide()`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIELD_CLASSES, type FieldClass } from '../../src/domain/field-classes.ts';
import {
  agreementFromRow,
  decide,
  DENIAL_REASONS,
  type Agreement,
  type DecisionRequest,
  type DenialReason,
  type Operation,
  type PurposeRule,
  type Relationship,
  type RelationshipFacts,
} from '../../src/policy/index.ts';
import { NETWORK, networkRows } from '../../src/seed/network.ts';

const NOW = new Date('2027-06-15T10:00:00Z');
const rows = networkRows(7, '2027-06-01T00:00:00.000Z');

const UNKNOWN_PURPOSE = 'purpose_nobody_declared';
const UNRELATED_ROLE = 'unrelated_role';
const ROLES = [
  ...new Set(
    NETWORK.flatMap((spec) => [
      ...spec.staff.flatMap((s) => s.roles),
      ...spec.agreement.purposes.flatMap((p) => p.roles),
    ]),
  ),
].sort();
const PURPOSES = [...new Set(NETWORK.flatMap((spec) => spec.agreement.purposes.map((p) => p.purpose)))].sort();
/** The relationship each purpose requires, wherever it is declared (one definition per purpose in the demo network). */
const RELATIONSHIP_OF = new Map<string, Relationship>(
  NETWORK.flatMap((spec) => spec.agreement.purposes.map((p) => [p.purpose, p.relationship] as const)),
);
const OPERATIONS: Operation[] = ['read', 'write', 'list'];
const AGES = [22, 40];
/** Classes of the person under a restriction of processing (GDPR Art. 18): none, one a list shows, one it does not. */
const RESTRICTIONS: FieldClass[][] = [[], ['identity'], ['contact']];

const FACT_OF: Record<Relationship, keyof RelationshipFacts> = {
  caseload: 'caseload',
  agency: 'agency',
  referral: 'referral',
  verified_caller: 'verifiedCaller',
  held_bank_change: 'heldBankChange',
  employment: 'employment',
  mandate: 'mandate',
};

/**
 * Present: only the purpose's own relationship is true. Absent: every other relationship is
 * true and the purpose's own is false (so a tie of another kind never stands in for it).
 * For the unknown purpose: all true, or all false.
 */
function factsFor(
  purpose: string,
  present: boolean,
  ageYears: number,
  restrictedClasses: readonly FieldClass[],
): RelationshipFacts {
  const required = RELATIONSHIP_OF.get(purpose);
  const facts: RelationshipFacts = {
    caseload: false,
    agency: false,
    referral: false,
    verifiedCaller: false,
    heldBankChange: false,
    employment: false,
    ageYears,
    ...(restrictedClasses.length ? { restrictedClasses } : {}),
  };
  for (const relationship of Object.keys(FACT_OF) as Relationship[]) {
    const key = FACT_OF[relationship] as
      'caseload' | 'agency' | 'referral' | 'verifiedCaller' | 'heldBankChange' | 'employment';
    facts[key] = required === undefined ? present : relationship === required ? present : !present;
  }
  return facts;
}

type Expected = { allowed: true; classes: FieldClass[] } | { allowed: false; violations: Set<DenialReason> };

interface Cell {
  specIndex: number;
  role: string;
  purpose: string;
  classes: FieldClass[] | undefined;
  operation: Operation;
  relationshipPresent: boolean;
  compliant: boolean;
  inForce: boolean;
  ageYears: number;
  restricted: FieldClass[];
}

/**
 * The expected answer, read straight from the network's agreement: every condition the request
 * fails. Allowed only when it fails none, with exactly the classes asked for (or, when none
 * are asked for, every class the purpose grants for the operation).
 */
function oracle(cell: Cell): Expected {
  const spec = NETWORK[cell.specIndex]!;
  const violations = new Set<DenialReason>();
  if (!cell.compliant) violations.add('posture_non_compliant');
  const rule = spec.agreement.purposes.find((p) => p.purpose === cell.purpose);
  if (!rule) {
    violations.add('purpose_unknown');
    return { allowed: false, violations };
  }
  if (!cell.inForce) violations.add('agreement_expired');
  if (!rule.roles.includes(cell.role)) violations.add('role_not_allowed');
  if (!cell.relationshipPresent) violations.add('person_out_of_scope');
  if (rule.conditions?.maxAge !== undefined && cell.ageYears > rule.conditions.maxAge)
    violations.add('condition_not_met');
  // A list (a caseload, the persons referred) shows identity and nothing else, and only over a relationship that is a list.
  const granted =
    cell.operation === 'read'
      ? rule.read
      : cell.operation === 'write'
        ? rule.write
        : (rule.relationship === 'caseload' || rule.relationship === 'referral') && rule.read.includes('identity')
          ? (['identity'] as FieldClass[])
          : [];
  if (granted.length === 0) violations.add('operation_not_granted');
  if ((cell.classes ?? []).some((c) => !granted.includes(c))) violations.add('field_class_not_granted');
  // A restriction withholds its classes from every purpose but one for legal claims: a class
  // asked for by name is refused; a whole file leaves it out, and is refused when nothing is left.
  const withheld = rule.legalClaims ? [] : cell.restricted;
  const wanted = cell.classes ?? [...granted];
  const released = wanted.filter((c) => !withheld.includes(c));
  if (released.length < wanted.length && (cell.classes !== undefined || released.length === 0))
    violations.add('processing_restricted');
  if (violations.size > 0) return { allowed: false, violations };
  return { allowed: true, classes: released };
}

function agreementsOf(specIndex: number, inForce: boolean): Agreement[] {
  const row = rows.agreements[specIndex]!;
  const agreement = agreementFromRow(row);
  return [inForce ? agreement : { ...agreement, validUntil: '2027-06-14' }];
}

function requestFor(cell: Cell): DecisionRequest {
  const organisationId = rows.organisations[cell.specIndex]!.id;
  return {
    actor: { id: 'actor-1', organisationId, roles: [cell.role], status: 'active' },
    organisation: {
      id: organisationId,
      kind: NETWORK[cell.specIndex]!.kind,
      status: 'active',
      agreements: agreementsOf(cell.specIndex, cell.inForce),
      gate: cell.compliant ? { compliant: true, unmet: [] } : { compliant: false, unmet: ['security_audit'] },
    },
    purpose: cell.purpose,
    caseReference: 'DOSSIER-2027-0001',
    operation: cell.operation,
    ...(cell.classes ? { classes: cell.classes } : {}),
    facts: factsFor(cell.purpose, cell.relationshipPresent, cell.ageYears, cell.restricted),
    now: NOW,
  };
}

function* cellsOf(specIndex: number): Generator<Cell> {
  for (const role of [...ROLES, UNRELATED_ROLE])
    for (const purpose of [...PURPOSES, UNKNOWN_PURPOSE])
      for (const classes of [undefined, ...FIELD_CLASSES.map((c) => [c])])
        for (const operation of OPERATIONS)
          for (const relationshipPresent of [true, false])
            for (const compliant of [true, false])
              for (const inForce of [true, false])
                for (const ageYears of AGES)
                  for (const restricted of RESTRICTIONS)
                    yield {
                      specIndex,
                      role,
                      purpose,
                      classes,
                      operation,
                      relationshipPresent,
                      compliant,
                      inForce,
                      ageYears,
                      restricted,
                    };
}

interface Tally {
  cells: number;
  allowed: number;
  exactReason: number;
  reasonAmong: number;
}

/** Checks every cell of one organisation; returns mismatches (described) and a tally. */
function checkOrganisation(specIndex: number): { mismatches: string[]; tally: Tally } {
  const mismatches: string[] = [];
  const tally: Tally = { cells: 0, allowed: 0, exactReason: 0, reasonAmong: 0 };
  for (const cell of cellsOf(specIndex)) {
    tally.cells++;
    const expected = oracle(cell);
    const actual = decide(requestFor(cell));
    const where = () => `${NETWORK[specIndex]!.key} ${JSON.stringify({ ...cell, specIndex: undefined })}`;
    if (expected.allowed) {
      tally.allowed++;
      if (!actual.allowed)
        mismatches.push(`${where()}: expected allowed ${expected.classes.join(',')}, got ${actual.reason}`);
      else if ([...actual.classes].sort().join(',') !== [...expected.classes].sort().join(','))
        mismatches.push(`${where()}: expected classes ${expected.classes.join(',')}, got ${actual.classes.join(',')}`);
    } else if (actual.allowed) {
      mismatches.push(
        `${where()}: expected denial (${[...expected.violations].join('|')}), got allowed ${actual.classes.join(',')}`,
      );
    } else if (expected.violations.size === 1) {
      tally.exactReason++;
      const [only] = expected.violations;
      if (actual.reason !== only) mismatches.push(`${where()}: expected reason ${only}, got ${actual.reason}`);
    } else {
      // Several conditions fail at once: the reason must be one of them (the order is decide()'s).
      tally.reasonAmong++;
      if (!expected.violations.has(actual.reason))
        mismatches.push(`${where()}: expected one of ${[...expected.violations].join('|')}, got ${actual.reason}`);
    }
    if (mismatches.length > 20) break;
  }
  return { mismatches, tally };
}

describe('authorization matrix (demo network agreements)', () => {
  it('covers every role and purpose of the network', () => {
    assert.deepEqual(ROLES, [
      'aidant',
      'bank_controller',
      'call_centre_operator',
      'counsellor',
      'dpo',
      'indemnisation_agent',
      'org_admin',
      'partner_staff',
      'partner_system',
      'security_officer',
    ]);
    // The employer's certificates (issue 25 §3) and the France Services aidants' three steps under mandate (§4).
    assert.equal(PURPOSES.length, 14);
    assert.equal(rows.agreements.length, NETWORK.length);
  });

  const totals: Tally = { cells: 0, allowed: 0, exactReason: 0, reasonAmong: 0 };
  for (const [specIndex, spec] of NETWORK.entries()) {
    it(`${spec.kind} ${spec.key}: every combination matches the agreement`, () => {
      const { mismatches, tally } = checkOrganisation(specIndex);
      for (const key of Object.keys(totals) as Array<keyof Tally>) totals[key] += tally[key];
      assert.deepEqual(mismatches, []);
      // An organisation with purposes grants something to someone; one without grants nothing.
      assert.equal(tally.allowed > 0, spec.agreement.purposes.length > 0);
    });
  }

  it('the whole matrix was enumerated', () => {
    // 12 organisations × 9 roles × 10 purposes × 12 class requests × 3 operations × 2 relationships × 2 postures × 2 agreement states × 2 ages × 3 restrictions.
    assert.equal(
      totals.cells,
      NETWORK.length *
        (ROLES.length + 1) *
        (PURPOSES.length + 1) *
        (FIELD_CLASSES.length + 1) *
        3 *
        2 *
        2 *
        2 *
        2 *
        RESTRICTIONS.length,
    );
    assert.ok(totals.allowed > 0 && totals.exactReason > 0);
  });

  it('what each organisation may read, at a glance (compliant, in force, related)', () => {
    const readable = (key: string, role: string, purpose: string) => {
      const specIndex = NETWORK.findIndex((s) => s.key === key);
      const decision = decide(
        requestFor({
          specIndex,
          role,
          purpose,
          classes: undefined,
          operation: 'read',
          relationshipPresent: true,
          compliant: true,
          inForce: true,
          ageYears: 22,
          restricted: [],
        }),
      );
      return decision.allowed ? [...decision.classes].sort() : decision.reason;
    };
    assert.deepEqual(readable('cap-emploi', 'partner_staff', 'accompagnement_handicap'), [
      'career',
      'contact',
      'follow_up',
      'health',
      'identity',
      'registration',
    ]);
    assert.deepEqual(readable('mission-locale', 'partner_staff', 'accompagnement_jeunes'), [
      'career',
      'contact',
      'follow_up',
      'identity',
      'registration',
    ]);
    assert.deepEqual(readable('caf', 'partner_staff', 'verification_droits'), [
      'benefits',
      'identity',
      'nir',
      'registration',
    ]);
    assert.deepEqual(readable('call-centre', 'call_centre_operator', 'relation_usager'), ['identity', 'registration']);
    assert.deepEqual(readable('agency-bastide', 'counsellor', 'accompagnement'), [
      'career',
      'contact',
      'follow_up',
      'id_document',
      'identity',
      'registration',
    ]);
    assert.deepEqual(readable('agency-bastide', 'indemnisation_agent', 'indemnisation'), [
      'bank',
      'benefits',
      'identity',
      'nir',
      'registration',
    ]);
    assert.equal(readable('agency-bastide', 'counsellor', 'indemnisation'), 'role_not_allowed');
    assert.equal(readable('call-centre', 'partner_staff', 'relation_usager'), 'role_not_allowed');
    assert.equal(readable('direction-regionale', 'security_officer', 'accompagnement'), 'purpose_unknown');
  });

  it('no sensitive class (health, judicial) reaches anyone but the Cap emploi, and judicial reaches nobody', () => {
    const grants = NETWORK.flatMap((spec) =>
      spec.agreement.purposes.map((p: PurposeRule) => ({ key: spec.key, classes: [...p.read, ...p.write] })),
    );
    assert.deepEqual(
      grants.filter((g) => g.classes.includes('health')).map((g) => g.key),
      ['cap-emploi'],
    );
    assert.deepEqual(
      grants.filter((g) => g.classes.includes('judicial')),
      [],
    );
  });
});

describe('denials before the agreement is even read', () => {
  const capEmploi = NETWORK.findIndex((s) => s.key === 'cap-emploi');
  const allowedCell: Cell = {
    specIndex: capEmploi,
    role: 'partner_staff',
    purpose: 'accompagnement_handicap',
    classes: ['health'],
    operation: 'read',
    relationshipPresent: true,
    compliant: true,
    inForce: true,
    ageYears: 40,
    restricted: [],
  };
  const base = requestFor(allowedCell);
  const cases: Array<[string, DecisionRequest, DenialReason]> = [
    ['inactive actor', { ...base, actor: { ...base.actor, status: 'suspended' } }, 'actor_inactive'],
    [
      'actor of another organisation',
      { ...base, actor: { ...base.actor, organisationId: rows.organisations[0]!.id } },
      'actor_other_organisation',
    ],
    [
      'suspended organisation',
      { ...base, organisation: { ...base.organisation, status: 'suspended' } },
      'organisation_suspended',
    ],
    ['no purpose', { ...base, purpose: undefined }, 'purpose_missing'],
    ['empty purpose', { ...base, purpose: '' }, 'purpose_missing'],
    ['no case reference', { ...base, caseReference: undefined }, 'case_reference_missing'],
    ['case reference too short', { ...base, caseReference: 'ab' }, 'case_reference_missing'],
    ['case reference with spaces', { ...base, caseReference: 'DOSSIER 1' }, 'case_reference_missing'],
  ];
  it('the baseline request is allowed', () => {
    const decision = decide(base);
    assert.ok(decision.allowed);
    assert.deepEqual(decision.classes, ['health']);
  });
  for (const [title, request, reason] of cases) {
    it(`${title} → ${reason} (${DENIAL_REASONS[reason]})`, () => {
      const decision = decide(request);
      assert.equal(decision.allowed, false);
      assert.equal(!decision.allowed && decision.reason, reason);
    });
  }

  it('the mission locale condition: 25 is in, 26 and an unknown age are out', () => {
    const ml = NETWORK.findIndex((s) => s.key === 'mission-locale');
    const cell: Cell = {
      specIndex: ml,
      role: 'partner_staff',
      purpose: 'accompagnement_jeunes',
      classes: undefined,
      operation: 'read',
      relationshipPresent: true,
      compliant: true,
      inForce: true,
      ageYears: 25,
      restricted: [],
    };
    assert.equal(decide(requestFor(cell)).allowed, true);
    const at26 = decide(requestFor({ ...cell, ageYears: 26 }));
    assert.equal(!at26.allowed && at26.reason, 'condition_not_met');
    const request = requestFor(cell);
    const unknownAge = decide({ ...request, facts: { ...request.facts, ageYears: undefined } });
    assert.equal(!unknownAge.allowed && unknownAge.reason, 'condition_not_met');
  });

  it('a restriction of processing spares a purpose for legal claims, and only that one', () => {
    const restrictedCell: Cell = { ...allowedCell, classes: undefined, restricted: ['health', 'contact'] };
    const request = requestFor(restrictedCell);
    const ordinary = decide(request);
    assert.ok(ordinary.allowed);
    assert.ok(!ordinary.classes.includes('health') && !ordinary.classes.includes('contact'));
    assert.deepEqual(ordinary.restricted?.sort(), ['contact', 'health']);
    const claims = {
      ...request,
      organisation: {
        ...request.organisation,
        agreements: request.organisation.agreements.map((a) => ({
          ...a,
          purposes: a.purposes.map((p) => ({ ...p, legalClaims: true })),
        })),
      },
    };
    const forClaims = decide(claims);
    assert.ok(forClaims.allowed);
    assert.ok(forClaims.classes.includes('health') && forClaims.classes.includes('contact'));
    assert.equal(forClaims.restricted, undefined);
  });

  it('every denial reason has a 403 or a 422', () => {
    for (const [reason, status] of Object.entries(DENIAL_REASONS)) assert.ok(status === 403 || status === 422, reason);
  });
});
