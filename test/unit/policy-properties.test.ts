/**
 * Property-based tests of `decide()`: for arbitrary agreements, actors, requests, relationship
 * facts and gates, no combination yields more field classes than an agreement in force of the
 * actor's own organisation grants for the declared purpose, to a role it names, for a person
 * tied to the actor the way the purpose requires.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FIELD_CLASSES, type FieldClass } from '../../src/domain/field-classes.ts';
import {
  agreementInForce,
  decide,
  RELATIONSHIPS,
  type Agreement,
  type Decision,
  type DecisionRequest,
  type PurposeRule,
  type Relationship,
  type RelationshipFacts,
} from '../../src/policy/index.ts';

const NUM_RUNS = Number(process.env.FC_RUNS || 2000);
const ORG = 'org-own';
const NOW = new Date('2027-06-15T10:00:00Z');
const PURPOSE_POOL = ['accompagnement', 'indemnisation', 'relation_usager'];
const ROLE_POOL = ['counsellor', 'indemnisation_agent', 'partner_staff', 'partner_system', 'org_admin'];
const STATUSES: Agreement['status'][] = ['draft', 'active', 'suspended', 'ended'];
const FACT_OF: Record<
  Relationship,
  'caseload' | 'agency' | 'referral' | 'verifiedCaller' | 'heldBankChange' | 'employment' | 'mandate'
> = {
  caseload: 'caseload',
  agency: 'agency',
  referral: 'referral',
  verified_caller: 'verifiedCaller',
  held_bank_change: 'heldBankChange',
  employment: 'employment',
  mandate: 'mandate',
};

function day(offset: number): string {
  return new Date(NOW.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
}

const classSet = fc.subarray([...FIELD_CLASSES] as FieldClass[]);
/** Mostly `usual`, sometimes one of `others`: random inputs that still reach allowed decisions often. */
const mostly = <T>(usual: T, ...others: T[]): fc.Arbitrary<T> =>
  fc.oneof({ arbitrary: fc.constant(usual), weight: 9 }, { arbitrary: fc.constantFrom(...others), weight: 1 });
const likely = mostly(true, false);

const purposeRule: fc.Arbitrary<PurposeRule> = fc.record({
  purpose: fc.constantFrom(...PURPOSE_POOL),
  label: fc.constant('label'),
  roles: fc.subarray(ROLE_POOL),
  read: classSet,
  write: classSet,
  relationship: fc.constantFrom(...RELATIONSHIPS),
  dailyCeiling: fc.integer({ min: 1, max: 500 }),
  retentionDays: fc.integer({ min: 1, max: 3650 }),
  conditions: fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 3 },
    { arbitrary: fc.record({ maxAge: fc.integer({ min: 16, max: 30 }) }), weight: 1 },
  ),
});

const agreement = (organisationId: fc.Arbitrary<string>): fc.Arbitrary<Agreement> =>
  fc
    .record({
      id: fc.uuid(),
      organisationId,
      version: fc.integer({ min: 1, max: 4 }),
      purposes: fc.array(purposeRule, { minLength: 1, maxLength: 3 }),
      from: fc.integer({ min: -800, max: 10 }),
      length: fc.integer({ min: 0, max: 1200 }),
      status: mostly<Agreement['status']>('active', ...STATUSES),
    })
    .map(({ id, organisationId, version, purposes, from, length, status }) => ({
      id,
      organisationId,
      reference: `REF-${id.slice(0, 8)}`,
      version,
      legalBasis: 'Code du travail',
      purposes,
      dpoContact: 'dpo@example.org',
      securityContact: 'ssi@example.org',
      validFrom: day(from),
      validUntil: day(from + length),
      status,
    }));

const facts: fc.Arbitrary<RelationshipFacts> = fc.record({
  caseload: likely,
  agency: likely,
  referral: likely,
  verifiedCaller: likely,
  heldBankChange: likely,
  employment: likely,
  mandate: likely,
  ageYears: fc.option(fc.integer({ min: 14, max: 40 }), { nil: undefined, freq: 8 }),
});

const request: fc.Arbitrary<DecisionRequest> = fc
  .record({
    agreements: fc.array(agreement(fc.constant(ORG)), { minLength: 1, maxLength: 4 }),
    roles: fc.subarray([...ROLE_POOL, 'unrelated_role']),
    actorStatus: mostly('active', 'suspended', 'disabled'),
    actorOrganisation: mostly(ORG, 'org-other'),
    organisationStatus: mostly('active', 'suspended'),
    compliant: likely,
    purpose: fc.oneof(
      { arbitrary: fc.constantFrom(...PURPOSE_POOL), weight: 9 },
      { arbitrary: fc.constantFrom(undefined, 'unknown_purpose', ''), weight: 1 },
    ),
    caseReference: fc.oneof(
      { arbitrary: fc.constantFrom('DOSSIER-1', 'CASE/2027:42'), weight: 9 },
      { arbitrary: fc.constantFrom(undefined, 'ab', '', 'bad reference', '-lead'), weight: 1 },
    ),
    operation: fc.constantFrom('read' as const, 'write' as const),
    classes: fc.option(fc.array(fc.constantFrom(...FIELD_CLASSES), { maxLength: 3 }), { nil: undefined }),
    facts,
  })
  .map((r) => ({
    actor: { id: 'actor-1', organisationId: r.actorOrganisation, roles: r.roles, status: r.actorStatus },
    organisation: {
      id: ORG,
      kind: 'partner',
      status: r.organisationStatus,
      agreements: r.agreements,
      gate: r.compliant ? { compliant: true, unmet: [] } : { compliant: false, unmet: ['security_audit'] },
    },
    purpose: r.purpose,
    caseReference: r.caseReference,
    operation: r.operation,
    ...(r.classes ? { classes: r.classes } : {}),
    facts: r.facts,
    now: NOW,
  }));

/** The purpose rule that justified an allowed decision, found from the request alone. */
function grantingRule(
  req: DecisionRequest,
  decision: Extract<Decision, { allowed: true }>,
): { agreement: Agreement; rule: PurposeRule } | undefined {
  const agreement = req.organisation.agreements.find(
    (a) => a.id === decision.agreement.id && a.version === decision.agreement.version,
  );
  const rule = agreement?.purposes.find((p) => p.purpose === req.purpose);
  return agreement && rule ? { agreement, rule } : undefined;
}

const property = (predicate: (req: DecisionRequest) => boolean | void, runs = NUM_RUNS) =>
  fc.assert(fc.property(request, predicate), { numRuns: runs });

describe('decide(): properties over arbitrary agreements and requests', () => {
  it('(a) an allowed decision names only classes the granting purpose grants, from an agreement in force of the actor’s organisation', () => {
    let allowed = 0;
    property((req) => {
      const decision = decide(req);
      if (!decision.allowed) return;
      allowed++;
      const granting = grantingRule(req, decision);
      assert.ok(granting, 'the decision names an agreement of the request that declares the purpose');
      const { agreement, rule } = granting;
      assert.equal(agreement.organisationId, req.actor.organisationId);
      assert.equal(req.organisation.id, req.actor.organisationId);
      assert.ok(agreementInForce(agreement, req.now));
      assert.ok(
        rule.roles.some((role) => req.actor.roles.includes(role)),
        'a role of the actor is named by the purpose',
      );
      assert.equal(decision.relationship, rule.relationship);
      assert.equal(req.facts[FACT_OF[rule.relationship]], true);
      const granted = req.operation === 'read' ? rule.read : rule.write;
      assert.ok(decision.classes.length > 0);
      for (const c of decision.classes) assert.ok(granted.includes(c), `${c} granted for ${req.operation}`);
      if (req.classes && req.classes.length > 0)
        for (const c of decision.classes) assert.ok(req.classes.includes(c), `${c} was asked for`);
      assert.equal(new Set(decision.classes).size, decision.classes.length, 'no class twice');
      assert.equal(decision.obligations.dailyCeiling, rule.dailyCeiling);
      assert.equal(decision.obligations.retentionDays, rule.retentionDays);
      if (rule.conditions?.maxAge !== undefined)
        assert.ok(req.facts.ageYears !== undefined && req.facts.ageYears <= rule.conditions.maxAge);
      // The newest version in force that declares the purpose is the one applied.
      const newest = Math.max(
        ...req.organisation.agreements
          .filter((a) => agreementInForce(a, req.now) && a.purposes.some((p) => p.purpose === req.purpose))
          .map((a) => a.version),
      );
      assert.equal(agreement.version, newest);
    });
    // The generator must reach allowed decisions often enough for the property to mean something.
    assert.ok(allowed >= NUM_RUNS / 20, `only ${allowed} allowed decisions in ${NUM_RUNS} runs`);
    console.log(`# (a) ${allowed} allowed decisions in ${NUM_RUNS} runs`);
  });

  it('(b) never allowed: inactive actor, organisation not active, gate not compliant, relationship false, purpose or case reference missing', () => {
    property((req) => {
      const variants: Array<[string, DecisionRequest]> = [
        ['inactive actor', { ...req, actor: { ...req.actor, status: 'suspended' } }],
        ['actor of another organisation', { ...req, actor: { ...req.actor, organisationId: 'org-other' } }],
        ['organisation suspended', { ...req, organisation: { ...req.organisation, status: 'suspended' } }],
        [
          'gate not compliant',
          { ...req, organisation: { ...req.organisation, gate: { compliant: false, unmet: ['mfa_enforced'] } } },
        ],
        [
          'no relationship',
          {
            ...req,
            facts: {
              ...req.facts,
              caseload: false,
              agency: false,
              referral: false,
              verifiedCaller: false,
              heldBankChange: false,
              employment: false,
              mandate: false,
            },
          },
        ],
        ['no purpose', { ...req, purpose: undefined }],
        ['empty purpose', { ...req, purpose: '' }],
        ['no case reference', { ...req, caseReference: undefined }],
        ['no agreement', { ...req, organisation: { ...req.organisation, agreements: [] } }],
        [
          'no agreement in force',
          {
            ...req,
            organisation: {
              ...req.organisation,
              agreements: req.organisation.agreements.map((a) => ({ ...a, status: 'suspended' as const })),
            },
          },
        ],
        ['no role', { ...req, actor: { ...req.actor, roles: [] } }],
      ];
      for (const [title, variant] of variants) assert.equal(decide(variant).allowed, false, title);
    });
  });

  it('(b) the facts that matter are only the purpose’s own relationship', () => {
    property((req) => {
      const decision = decide(req);
      if (!decision.allowed) return;
      const key = FACT_OF[decision.relationship];
      assert.equal(decide({ ...req, facts: { ...req.facts, [key]: false } }).allowed, false);
    });
  });

  it('(c) asking for more classes never widens the result beyond the grant', () => {
    fc.assert(
      fc.property(request, fc.array(fc.constantFrom(...FIELD_CLASSES), { minLength: 1, maxLength: 5 }), (req, more) => {
        const whole = decide({ ...req, classes: undefined });
        const asked = req.classes ?? [];
        const wider = decide({ ...req, classes: [...asked, ...more] });
        if (wider.allowed) {
          // A wider request allowed means the narrower one is too, and neither exceeds the full grant.
          assert.ok(whole.allowed, 'the full grant is allowed whenever a part of it is');
          for (const c of wider.classes) assert.ok(whole.classes.includes(c));
          assert.deepEqual([...wider.classes].sort(), [...new Set([...asked, ...more])].sort());
          if (asked.length > 0) {
            const narrow = decide(req);
            assert.ok(narrow.allowed);
            for (const c of narrow.classes) assert.ok(wider.classes.includes(c));
          }
        }
        if (!whole.allowed) assert.equal(wider.allowed, false, 'nothing is allowed when the full grant is not');
        if (whole.allowed) {
          const outside = FIELD_CLASSES.filter((c) => !whole.classes.includes(c));
          if (outside.length > 0) {
            const beyond = decide({ ...req, classes: [...whole.classes, outside[0]!] });
            assert.equal(!beyond.allowed && beyond.reason, 'field_class_not_granted');
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(d) decide is deterministic and does not change its input', () => {
    property((req) => {
      const snapshot = JSON.stringify(req);
      const first = decide(req);
      const second = decide(req);
      const copy = decide({ ...JSON.parse(snapshot), now: new Date(req.now.getTime()) } as DecisionRequest);
      assert.deepEqual(second, first);
      assert.deepEqual(copy, first);
      assert.equal(JSON.stringify(req), snapshot);
    });
  });

  it('an agreement of another organisation in the list grants nothing', () => {
    fc.assert(
      fc.property(request, (req) => {
        const foreign = req.organisation.agreements.map((a) => ({ ...a, organisationId: 'org-other' }));
        assert.equal(decide({ ...req, organisation: { ...req.organisation, agreements: foreign } }).allowed, false);
      }),
      { numRuns: 500 },
    );
  });

  it('an allowed decision’s classes are a copy: changing them does not change the agreement', () => {
    const rule: PurposeRule = {
      purpose: 'p',
      label: 'p',
      roles: ['r'],
      read: ['identity'],
      write: [],
      relationship: 'referral',
      dailyCeiling: 1,
      retentionDays: 1,
    };
    const req: DecisionRequest = {
      actor: { id: 'a', organisationId: ORG, roles: ['r'], status: 'active' },
      organisation: {
        id: ORG,
        kind: 'k',
        status: 'active',
        gate: { compliant: true, unmet: [] },
        agreements: [
          {
            id: 'x',
            organisationId: ORG,
            reference: 'R',
            version: 1,
            legalBasis: 'l',
            purposes: [rule],
            dpoContact: 'd',
            securityContact: 's',
            validFrom: day(-1),
            validUntil: day(1),
            status: 'active',
          },
        ],
      },
      purpose: 'p',
      caseReference: 'CASE-1',
      operation: 'read',
      facts: {
        caseload: false,
        agency: false,
        referral: true,
        verifiedCaller: false,
        heldBankChange: false,
        employment: false,
      },
      now: NOW,
    };
    const decision = decide(req);
    assert.ok(decision.allowed);
    decision.classes.push('health');
    assert.deepEqual(rule.read, ['identity']);
  });
});
