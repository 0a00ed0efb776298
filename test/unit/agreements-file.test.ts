import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../src/domain/index.ts';
import {
  AGREEMENT_FORMAT,
  agreementFileOf,
  validateAgreementFile,
  type AgreementFile,
} from '../../src/policy/index.ts';
import { networkRows } from '../../src/seed/network.ts';

const ORG = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

function sample(): AgreementFile {
  return {
    format: AGREEMENT_FORMAT,
    organisation: ORG,
    reference: 'CAPE-33',
    version: 2,
    legalBasis: 'Code du travail, art. L. 5214-3-1',
    purposes: [
      {
        purpose: 'accompagnement_handicap',
        label: 'Accompagnement des personnes en situation de handicap',
        roles: ['partner_staff', 'partner_system'],
        read: ['identity', 'contact', 'health'],
        write: ['follow_up'],
        relationship: 'referral',
        dailyCeiling: 50,
        retentionDays: 730,
      },
    ],
    dpoContact: 'dpo@rempart.example',
    securityContact: 'securite@cap.example',
    validFrom: '2026-01-01',
    validUntil: '2028-12-31',
  };
}

/** The fields a ValidationError names, in order. */
function fieldsOf(work: () => unknown): string[] {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(error));
    return error.issues.map((i) => i.field);
  }
  assert.fail('expected a ValidationError');
}

const edit = (
  change: (file: Record<string, unknown> & { purposes: Array<Record<string, unknown>> }) => void,
): unknown => {
  const file = structuredClone(sample()) as unknown as Record<string, unknown> & {
    purposes: Array<Record<string, unknown>>;
  };
  change(file);
  return file;
};

describe('agreement file format rempart.agreement/v1', () => {
  it('accepts a well-formed file and returns it as is', () => {
    const file = sample();
    assert.deepEqual(validateAgreementFile(file), file);
  });

  it('every seeded default agreement, exported to the file format, is valid', () => {
    const { agreements } = networkRows(1, '2026-06-01T00:00:00.000Z');
    assert.ok(agreements.length >= 10);
    for (const row of agreements) {
      const file = agreementFileOf(row);
      assert.equal(file.format, AGREEMENT_FORMAT);
      assert.doesNotThrow(() => validateAgreementFile(file), row.reference);
    }
  });

  it('names the exact field of a bad entry: an unknown field class is purposes.0.read.2', () => {
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => ((f.purposes[0]!.read as string[])[2] = 'salaire')))),
      ['purposes.0.read.2'],
    );
  });

  it('names each broken field, with the prefix the caller gives', () => {
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.version = 0)))),
      ['version'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.version = 1.5)))),
      ['version'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.format = 'rempart.agreement/v2')))),
      ['format'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.organisation = 'cap-emploi')))),
      ['organisation'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.securityContact = 'personne')))),
      ['securityContact'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.dpoContact = 'dpo@')))),
      ['dpoContact'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.validFrom = '2026-02-30')))),
      ['validFrom'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => delete f.legalBasis))),
      ['legalBasis'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.signedBy = 'quelqu’un')))),
      ['signedBy'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.purposes[0]!.relationship = 'everyone')))),
      ['purposes.0.relationship'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.purposes[0]!.dailyCeiling = 0)))),
      ['purposes.0.dailyCeiling'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.purposes[0]!.retentionDays = -1)))),
      ['purposes.0.retentionDays'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.purposes[0]!.roles = [])))),
      ['purposes.0.roles'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.purposes[0]!.purpose = 'Tout voir')))),
      ['purposes.0.purpose'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.purposes[0]!.conditions = { maxAge: 25, minAge: 16 })))),
      ['purposes.0.conditions.minAge'],
    );
    assert.deepEqual(
      fieldsOf(() =>
        validateAgreementFile(
          edit((f) => (f.version = 0)),
          'body',
        ),
      ),
      ['body.version'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile('pas un objet')),
      ['(racine)'],
    );
  });

  it('refuses what a schema cannot see: dates out of order, a purpose or a class declared twice', () => {
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => ((f.validFrom = '2029-01-01'), (f.validUntil = '2028-12-31'))))),
      ['validUntil'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => f.purposes.push({ ...f.purposes[0]! })))),
      ['purposes.1.purpose'],
    );
    assert.deepEqual(
      fieldsOf(() => validateAgreementFile(edit((f) => (f.purposes[0]!.read = ['identity', 'contact', 'identity'])))),
      ['purposes.0.read.2'],
    );
    assert.doesNotThrow(
      () => validateAgreementFile(edit((f) => (f.validUntil = f.validFrom))),
      'a one-day agreement is valid',
    );
  });
});
