import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

/** Numbers and lists of the configuration: a bad value stops the start, naming its variable and the range. */
describe('configuration numbers', () => {
  const base = { REMPART_DATA_DIR: '/tmp/rempart-config-test' };

  it('takes the defaults and whole numbers within range', () => {
    const config = loadConfig(base);
    assert.equal(config.checkpointSeconds, 10);
    assert.equal(config.bankCoolingOffHours, 72);
    assert.equal(config.pgPoolSize, 20);
    assert.equal(config.jobsPoolSize, 4);
    assert.equal(config.shutdownSeconds, 20);
    assert.deepEqual(config.jobPeriods, {});
    const set = loadConfig({
      ...base,
      REMPART_PG_POOL_SIZE: '50',
      REMPART_SHUTDOWN_SECONDS: '5',
      REMPART_JOB_PERIODS: 'bank.settle=30, accounts.sweep=3600',
    });
    assert.equal(set.pgPoolSize, 50);
    assert.equal(set.shutdownSeconds, 5);
    assert.deepEqual(set.jobPeriods, { 'bank.settle': 30, 'accounts.sweep': 3600 });
  });

  for (const [variable, value, message] of [
    [
      'REMPART_CHECKPOINT_SECONDS',
      '0',
      'REMPART_CHECKPOINT_SECONDS must be a whole number of seconds from 1 to 3600, got "0"',
    ],
    [
      'REMPART_BANK_COOLING_OFF_HOURS',
      '12',
      'REMPART_BANK_COOLING_OFF_HOURS must be a whole number of hours from 24 to 720, got "12"',
    ],
    ['REMPART_PG_POOL_SIZE', '0', 'REMPART_PG_POOL_SIZE must be a whole number of connections from 1 to 500, got "0"'],
    [
      'REMPART_PG_POOL_SIZE',
      '2.5',
      'REMPART_PG_POOL_SIZE must be a whole number of connections from 1 to 500, got "2.5"',
    ],
    [
      'REMPART_JOBS_PG_POOL_SIZE',
      '51',
      'REMPART_JOBS_PG_POOL_SIZE must be a whole number of connections from 1 to 50, got "51"',
    ],
    [
      'REMPART_SHUTDOWN_SECONDS',
      'vite',
      'REMPART_SHUTDOWN_SECONDS must be a whole number of seconds from 1 to 600, got "vite"',
    ],
    [
      'REMPART_JOB_PERIODS',
      'bank.settle',
      'REMPART_JOB_PERIODS: the period of bank.settle must be a whole number of seconds from 1 to 604800, got ""',
    ],
    [
      'REMPART_JOB_PERIODS',
      'ledger.integrate=1.5',
      'REMPART_JOB_PERIODS: the period of ledger.integrate must be a whole number of seconds from 1 to 604800, got "1.5"',
    ],
  ] as const) {
    it(`refuses ${variable}=${value}`, () => {
      assert.throws(
        () => loadConfig({ ...base, [variable]: value }),
        (error: unknown) => error instanceof ConfigError && error.message === message,
      );
    });
  }

  it('refuses an unknown job, listing the known ones', () => {
    assert.throws(
      () => loadConfig({ ...base, REMPART_JOB_PERIODS: 'bank.setle=60' }),
      (error: unknown) =>
        error instanceof ConfigError && /unknown job "bank\.setle"; known jobs: .*bank\.settle/.test(error.message),
    );
  });
});
