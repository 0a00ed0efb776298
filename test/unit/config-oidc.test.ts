import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { secondFactorAfterFederation } from '../../src/identity/index.ts';

const FC = {
  REMPART_FRANCECONNECT_ISSUER: 'https://fcp.integ01.dev-franceconnect.fr/api/v2',
  REMPART_FRANCECONNECT_CLIENT_ID: 'client',
  REMPART_FRANCECONNECT_CLIENT_SECRET: 'secret',
};

describe('OpenID Connect configuration', () => {
  it('leaves federation off when no provider variable is set', () => {
    assert.equal(loadConfig({}).oidc, undefined);
  });

  it('enables a provider only with its issuer, client id and client secret', () => {
    const config = loadConfig(FC);
    assert.deepEqual(config.oidc, {
      franceconnect: { issuer: FC.REMPART_FRANCECONNECT_ISSUER, clientId: 'client', clientSecret: 'secret' },
    });
  });

  it('refuses a partial set, naming what is missing', () => {
    assert.throws(
      () =>
        loadConfig({
          REMPART_PROCONNECT_ISSUER: 'https://auth.agentconnect.gouv.fr/api/v2',
          REMPART_PROCONNECT_CLIENT_ID: 'client',
        }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.includes('REMPART_PROCONNECT_CLIENT_SECRET') &&
        !e.message.includes('REMPART_PROCONNECT_CLIENT_ID'),
    );
    assert.throws(() => loadConfig({ ...FC, REMPART_FRANCECONNECT_ISSUER: '' }), /REMPART_FRANCECONNECT_ISSUER/);
  });

  it('refuses an issuer over plain http except on the loopback interface', () => {
    assert.throws(() => loadConfig({ ...FC, REMPART_FRANCECONNECT_ISSUER: 'http://idp.example' }), ConfigError);
    assert.throws(() => loadConfig({ ...FC, REMPART_FRANCECONNECT_ISSUER: 'pas une adresse' }), ConfigError);
    assert.equal(
      loadConfig({ ...FC, REMPART_FRANCECONNECT_ISSUER: 'http://127.0.0.1:4000' }).oidc?.franceconnect?.issuer,
      'http://127.0.0.1:4000',
    );
  });
});

describe('second factor after a federated login', () => {
  it('takes eidas2 and eidas3 for a second factor, and otherwise asks what a password login would', () => {
    for (const provider of ['franceconnect', 'proconnect'] as const) {
      assert.equal(secondFactorAfterFederation(provider, 'eidas2', 'staff', false), 'passed');
      assert.equal(secondFactorAfterFederation(provider, 'eidas3', 'job_seeker', true), 'passed');
    }
    assert.equal(secondFactorAfterFederation('proconnect', 'eidas1', 'staff', false), 'enrolment_required');
    assert.equal(secondFactorAfterFederation('proconnect', null, 'staff', true), 'required');
    assert.equal(secondFactorAfterFederation('franceconnect', 'eidas1', 'job_seeker', false), 'not_required');
    assert.equal(secondFactorAfterFederation('franceconnect', 'eidas1', 'job_seeker', true), 'required');
    assert.equal(
      secondFactorAfterFederation('franceconnect', 'EIDAS2', 'job_seeker', false),
      'not_required',
      'acr values compare exactly',
    );
  });
});
