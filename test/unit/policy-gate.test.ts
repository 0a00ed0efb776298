/**
 * The partner security gate: each requirement on its own, a derogation covering exactly one
 * requirement until it expires, network ranges (IPv4, IPv6, IPv4-mapped IPv6) and the
 * 365-day audit boundary.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addressAllowed,
  AUDIT_VALIDITY_DAYS,
  evaluateGate,
  GATE_REQUIREMENTS,
  parsePosture,
  type Agreement,
  type Derogation,
  type GateAssurance,
  type GateRequirement,
  type SecurityPosture,
} from '../../src/policy/index.ts';

const NOW = new Date('2027-06-15T12:00:00Z');

const agreement: Agreement = {
  id: 'a1',
  organisationId: 'o1',
  reference: 'CAPE-33',
  version: 1,
  legalBasis: 'Code du travail',
  purposes: [
    {
      purpose: 'accompagnement_handicap',
      label: 'Accompagnement',
      roles: ['partner_staff'],
      read: ['identity'],
      write: [],
      relationship: 'referral',
      dailyCeiling: 10,
      retentionDays: 365,
    },
  ],
  dpoContact: 'dpo@example.org',
  securityContact: 'securite@cap-emploi.example.org',
  validFrom: '2026-01-01',
  validUntil: '2028-12-31',
  status: 'active',
};

const posture: SecurityPosture = {
  mfa: 'required',
  passkeyOnly: false,
  lastAudit: '2027-04-01',
  networks: ['10.0.0.0/8', '2001:db8::/32'],
  emailDomains: ['agence.example.org'],
};

/** The processing's DPIA complete and the baseline attested two months ago (issue 24). */
const assurance: GateAssurance = {
  completeDpias: new Set(['accompagnement_handicap']),
  baselineAttestedAt: '2027-04-15T09:00:00Z',
};

function gate(
  overrides: {
    posture?: Partial<SecurityPosture>;
    agreements?: Agreement[];
    derogations?: Derogation[];
    assurance?: Partial<GateAssurance>;
    clientAddress?: string;
    now?: Date;
  } = {},
) {
  return evaluateGate({
    posture: { ...posture, ...overrides.posture },
    agreements: overrides.agreements ?? [agreement],
    derogations: overrides.derogations ?? [],
    assurance: { ...assurance, ...overrides.assurance },
    ...(overrides.clientAddress !== undefined ? { clientAddress: overrides.clientAddress } : {}),
    now: overrides.now ?? NOW,
  });
}

/** One way to break each requirement, and only that one. */
const BREAK: Record<GateRequirement, Parameters<typeof gate>[0]> = {
  mfa_enforced: { posture: { mfa: 'optional' } },
  agreement_valid: { agreements: [{ ...agreement, validUntil: '2027-06-14' }] },
  security_contact: { agreements: [{ ...agreement, securityContact: 'nobody' }] },
  network_ranges: { posture: { networks: [] } },
  security_audit: { posture: { lastAudit: '2026-05-01' } },
  dpia_measures_implemented: { assurance: { completeDpias: new Set(['formation']) } },
  security_baseline_attested: { assurance: { baselineAttestedAt: '2026-06-01T00:00:00Z' } },
};

describe('partner security gate', () => {
  it('a complete posture is compliant, with nothing derogated', () => {
    assert.deepEqual(gate(), { compliant: true, unmet: [], derogated: [] });
  });

  for (const requirement of GATE_REQUIREMENTS) {
    it(`${requirement} unmet alone suspends access`, () => {
      const result = gate(BREAK[requirement]);
      assert.equal(result.compliant, false);
      // An expired agreement also leaves no security contact in force: both are named.
      assert.deepEqual(
        result.unmet,
        requirement === 'agreement_valid' ? ['agreement_valid', 'security_contact'] : [requirement],
      );
    });

    it(`a derogation for ${requirement} covers it, and only it, until it expires`, () => {
      const derogation: Derogation = { id: 'd1', requirement, expiresAt: '2027-07-01T00:00:00Z' };
      const covered = gate({ ...BREAK[requirement], derogations: [derogation] });
      const others = requirement === 'agreement_valid' ? ['security_contact'] : [];
      assert.deepEqual(covered.unmet, others);
      assert.deepEqual(covered.derogated, [requirement]);
      assert.equal(covered.compliant, others.length === 0);

      // A derogation for another requirement does not help.
      const other = GATE_REQUIREMENTS.find(
        (r) => r !== requirement && !(requirement === 'agreement_valid' && r === 'security_contact'),
      )!;
      const wrong = gate({ ...BREAK[requirement], derogations: [{ ...derogation, requirement: other }] });
      assert.equal(wrong.compliant, false);
      assert.ok(wrong.unmet.includes(requirement));
      assert.deepEqual(wrong.derogated, []);

      // At its expiry instant and after, it lapses by itself.
      assert.equal(
        gate({ ...BREAK[requirement], derogations: [{ ...derogation, expiresAt: NOW.toISOString() }] }).compliant,
        false,
      );
      assert.equal(
        gate({ ...BREAK[requirement], derogations: [derogation], now: new Date('2027-07-01T00:00:00.001Z') }).compliant,
        false,
      );
      assert.equal(
        gate({
          ...BREAK[requirement],
          derogations: [derogation],
          now: new Date('2027-06-30T23:59:59.999Z'),
        }).unmet.includes(requirement),
        false,
      );
    });
  }

  it('a derogation on a met requirement is not reported as derogated', () => {
    const result = gate({
      derogations: [{ id: 'd', requirement: 'security_audit', expiresAt: '2027-07-01T00:00:00Z' }],
    });
    assert.deepEqual(result, { compliant: true, unmet: [], derogated: [] });
  });

  it('several unmet requirements are all named, in a fixed order', () => {
    const result = gate({ posture: { mfa: 'optional', networks: [], lastAudit: null } });
    assert.deepEqual(result.unmet, ['mfa_enforced', 'network_ranges', 'security_audit']);
  });

  it('an agreement that is not active, or not yet in force, does not count', () => {
    for (const broken of [
      { ...agreement, status: 'suspended' as const },
      { ...agreement, status: 'draft' as const },
      { ...agreement, validFrom: '2027-06-16' },
    ]) {
      assert.deepEqual(gate({ agreements: [broken] }).unmet, ['agreement_valid', 'security_contact']);
    }
    assert.equal(gate({ agreements: [] }).compliant, false);
    // Validity dates are inclusive.
    assert.equal(gate({ agreements: [{ ...agreement, validUntil: '2027-06-15' }] }).compliant, true);
    assert.equal(gate({ agreements: [{ ...agreement, validFrom: '2027-06-15' }] }).compliant, true);
  });

  it('the security contact must be an e-mail address on an agreement in force', () => {
    for (const contact of ['', 'securite', 'securite@', '@example.org', 'a b@example.org', 'securite@example']) {
      assert.deepEqual(
        gate({ agreements: [{ ...agreement, securityContact: contact }] }).unmet,
        ['security_contact'],
        contact,
      );
    }
    const expiredWithContact = { ...agreement, id: 'old', validUntil: '2027-01-01' };
    assert.deepEqual(gate({ agreements: [expiredWithContact, { ...agreement, securityContact: 'none' }] }).unmet, [
      'security_contact',
    ]);
  });

  describe('security audit: less than 365 days old', () => {
    const at = (iso: string) => new Date(iso);
    it(`valid through the instant ${AUDIT_VALIDITY_DAYS} days after the audit date (midnight UTC), not a millisecond later`, () => {
      const audit = '2026-06-15';
      assert.equal(gate({ posture: { lastAudit: audit }, now: at('2027-06-15T00:00:00.000Z') }).compliant, true);
      assert.deepEqual(gate({ posture: { lastAudit: audit }, now: at('2027-06-15T00:00:00.001Z') }).unmet, [
        'security_audit',
      ]);
      assert.equal(gate({ posture: { lastAudit: '2026-06-16' }, now: at('2027-06-15T23:59:59.999Z') }).compliant, true);
    });
    it('an audit dated today counts, one dated in the future or missing does not', () => {
      assert.equal(gate({ posture: { lastAudit: '2027-06-15' } }).compliant, true);
      assert.deepEqual(gate({ posture: { lastAudit: '2027-06-16' } }).unmet, ['security_audit']);
      assert.deepEqual(gate({ posture: { lastAudit: null } }).unmet, ['security_audit']);
      assert.deepEqual(gate({ posture: { lastAudit: 'last spring' } }).unmet, ['security_audit']);
    });
    it('a posture drops out of compliance the day after, with no one acting', () => {
      const audit = '2026-06-14';
      assert.equal(gate({ posture: { lastAudit: audit }, now: at('2027-06-13T12:00:00Z') }).compliant, true);
      assert.equal(gate({ posture: { lastAudit: audit }, now: at('2027-06-14T12:00:00Z') }).compliant, false);
    });
  });

  describe('network ranges', () => {
    it('without a client address, at least one valid range must be declared', () => {
      assert.equal(gate({ posture: { networks: ['10.0.0.0/8'] } }).compliant, true);
      assert.deepEqual(
        gate({ posture: { networks: ['not a range', '10.0.0.0', '10.0.0.0/33', '::1/129', '300.0.0.0/8'] } }).unmet,
        ['network_ranges'],
      );
    });

    it('with a client address, it must fall in a declared range', () => {
      assert.equal(gate({ clientAddress: '10.20.30.40' }).compliant, true);
      assert.deepEqual(gate({ clientAddress: '192.0.2.1' }).unmet, ['network_ranges']);
      assert.equal(gate({ clientAddress: '2001:db8:1::5' }).compliant, true);
      assert.deepEqual(gate({ clientAddress: '2001:db9::5' }).unmet, ['network_ranges']);
      assert.deepEqual(gate({ clientAddress: 'not an address' }).unmet, ['network_ranges']);
      assert.deepEqual(gate({ clientAddress: '' }).unmet, ['network_ranges']);
    });

    it('IPv4 ranges, boundaries included', () => {
      const nets = ['192.168.10.0/24'];
      assert.equal(addressAllowed(nets, '192.168.10.0'), true);
      assert.equal(addressAllowed(nets, '192.168.10.255'), true);
      assert.equal(addressAllowed(nets, '192.168.11.0'), false);
      assert.equal(addressAllowed(nets, '192.168.9.255'), false);
      assert.equal(addressAllowed(['203.0.113.7/32'], '203.0.113.7'), true);
      assert.equal(addressAllowed(['203.0.113.7/32'], '203.0.113.8'), false);
    });

    it('IPv6 ranges', () => {
      assert.equal(addressAllowed(['::1/128'], '::1'), true);
      assert.equal(addressAllowed(['::1/128'], '::2'), false);
      assert.equal(addressAllowed(['fc00::/7'], 'fd12:3456::1'), true);
      assert.equal(addressAllowed(['fc00::/7'], 'fe80::1'), false);
      // An IPv6 client is not let in by IPv4 ranges.
      assert.equal(addressAllowed(['10.0.0.0/8'], '2001:db8::1'), false);
      assert.equal(addressAllowed(['2001:db8::/32'], '10.0.0.1'), false);
    });

    it('IPv4-mapped IPv6 addresses are checked against IPv4 ranges', () => {
      assert.equal(addressAllowed(['10.0.0.0/8'], '::ffff:10.1.2.3'), true);
      assert.equal(addressAllowed(['10.0.0.0/8'], '::ffff:11.1.2.3'), false);
      assert.equal(addressAllowed(['127.0.0.0/8'], '::ffff:127.0.0.1'), true);
      assert.equal(addressAllowed(['10.0.0.0/8'], '::FFFF:10.1.2.3'), true);
      assert.equal(addressAllowed(['10.0.0.0/8'], '::ffff:a01:203'), true);
      assert.equal(addressAllowed(['10.0.0.0/8'], '::ffff:b01:203'), false);
      assert.equal(gate({ posture: { networks: ['10.0.0.0/8'] }, clientAddress: '::ffff:10.9.9.9' }).compliant, true);
    });

    it('no ranges, no address allowed', () => {
      assert.equal(addressAllowed([], '10.0.0.1'), false);
      assert.equal(addressAllowed(['garbage'], '10.0.0.1'), false);
    });

    it('a range with an empty prefix ("10.0.0.0/") is rejected, not read as /0', () => {
      assert.equal(addressAllowed(['10.0.0.0/'], '198.51.100.1'), false);
    });
  });

  describe('postures as stored', () => {
    it('parses a stored posture', () => {
      assert.deepEqual(parsePosture(JSON.stringify(posture)), posture);
    });
    it('an unreadable or partial posture fails closed', () => {
      for (const stored of ['', 'not json', 'null', '[]', '{}', '{"mfa":"yes"}', '{"networks":"10.0.0.0/8"}']) {
        const parsed = parsePosture(stored);
        const result = evaluateGate({ posture: parsed, agreements: [agreement], derogations: [], assurance, now: NOW });
        assert.equal(result.compliant, false, stored);
        assert.ok(
          result.unmet.includes('mfa_enforced') &&
            result.unmet.includes('security_audit') &&
            result.unmet.includes('network_ranges'),
          stored,
        );
      }
    });
  });
});
