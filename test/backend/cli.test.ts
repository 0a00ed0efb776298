import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Keyring, writeKeyringFile } from '../../src/crypto/index.ts';
import { BACKEND, childEnv, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';
import { BIN, runCli } from '../helpers/cli.ts';

describe(`rempart command line (${BACKEND})`, () => {
  let env: TestEnvironment;
  before(async () => {
    env = testEnvironment();
    await env.prepare();
  });
  after(async () => {
    await env.cleanup();
  });

  it('--help lists every command', async () => {
    const res = await runCli(['--help'], childEnv(env));
    assert.equal(res.code, 0);
    for (const command of [
      'start',
      'seed',
      'keys rotate',
      'keys status',
      'person erase <id>',
      'admin token',
      'migrate',
    ])
      assert.match(res.stdout, new RegExp(`\\n  ${command} `), command);
    const keys = await runCli(['keys', '--help'], childEnv(env));
    assert.match(keys.stdout, /rotate/);
    assert.match(keys.stdout, /status/);
  });

  it('seeds a deterministic population, and a second run adds nothing', async () => {
    const first = await runCli(['seed', '--persons', '250', '--seed', '3', '--batch', '100'], childEnv(env));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /250 personnes créées/);
    const again = await runCli(['seed', '--persons', '250', '--seed', '3'], childEnv(env));
    assert.equal(again.code, 0);
    assert.match(again.stdout, /0 personnes créées.*250 au total/);
  });

  it('rejects bad options with exit code 2, naming the option', async () => {
    const persons = await runCli(['seed', '--persons', 'beaucoup'], childEnv(env));
    assert.equal(persons.code, 2);
    assert.match(persons.stderr, /persons/);
    const klass = await runCli(['keys', 'rotate', '--class', 'salaire'], childEnv(env));
    assert.equal(klass.code, 2);
    assert.match(klass.stderr, /class/);
    const id = await runCli(['person', 'erase', 'pas-un-id'], childEnv(env));
    assert.equal(id.code, 2);
    assert.match(id.stderr, /id/);
  });

  it('refuses to start behind a malformed REMPART_TRUST_PROXY, naming the variable and the entry', async () => {
    const res = await runCli(
      ['start'],
      childEnv(env, { PORT: '0', REMPART_TRUST_PROXY: '10.0.0.5,10.0.0.0/33' }),
      30_000,
    );
    assert.equal(res.code, 1, res.stdout);
    assert.match(res.stderr, /REMPART_TRUST_PROXY : « 10\.0\.0\.0\/33 » : longueur de préfixe invalide/);
    assert.doesNotMatch(res.stdout, /Rempart écoute/);
  });

  it('refuses to start on bad configuration, naming the variable', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ REMPART_SMTP_URL: 'smtp://', REMPART_SMTP_FROM: 'noreply@rempart.example' }, /REMPART_SMTP_URL/],
      [{ REMPART_PG_POOL_SIZE: '0' }, /REMPART_PG_POOL_SIZE must be a whole number of connections from 1 to 500/],
      [{ REMPART_JOB_PERIODS: 'bank.settle=0' }, /REMPART_JOB_PERIODS: the period of bank.settle/],
      [{ REMPART_JOB_PERIODS: 'bank.setle=60' }, /REMPART_JOB_PERIODS: unknown job "bank.setle"/],
      [{ REMPART_SMS_URL: 'https://sms.example/send' }, /REMPART_SMS_KEY/],
      [{ REMPART_SHUTDOWN_SECONDS: 'bientôt' }, /REMPART_SHUTDOWN_SECONDS/],
    ];
    const results = await Promise.all(
      cases.map(([vars]) => runCli(['start'], childEnv(env, { PORT: '0', ...vars }), 60_000)),
    );
    for (const [i, res] of results.entries()) {
      assert.equal(res.code, 1, `${JSON.stringify(cases[i]![0])}: ${res.stdout}`);
      assert.match(res.stderr, cases[i]![1]);
      assert.doesNotMatch(res.stdout, /Rempart écoute/);
    }
  });

  it('rotates one class, rewrapping every data key, and reports versions', async () => {
    const rotate = await runCli(['keys', 'rotate', '--class', 'bank'], childEnv(env));
    assert.equal(rotate.code, 0, rotate.stderr);
    const rewrapped = Number(/(\d+) clés de données réemballées/.exec(rotate.stdout)?.[1]);
    assert.ok(rewrapped > 50, rotate.stdout);
    assert.match(rotate.stderr, /Réemballage/);
    const status = await runCli(['keys', 'status'], childEnv(env));
    assert.match(status.stdout, /bank\s+version active 2 \(versions 1, 2\)\n/);
    assert.match(status.stdout, /nir\s+version active 1 /);
  });

  it('resumes an interrupted rotation instead of adding another version', async () => {
    const { openRuntime } = await import('../../src/runtime/index.ts');
    const { recordKeyring, rewrapDataKeys } = await import('../../src/store/index.ts');
    const runtime = await openRuntime(env.config, {
      ...(env.pgSchema ? { pgSchema: env.pgSchema } : {}),
      warn: () => undefined,
    });
    try {
      const rotated = runtime.keyring.withNewVersion('contact');
      writeKeyringFile(env.keyringPath, rotated);
      await recordKeyring(runtime.database.db, rotated);
      await assert.rejects(
        rewrapDataKeys(runtime.database.db, rotated, 'contact', {
          batchSize: 10,
          onBatch: () => {
            throw new Error('killed');
          },
        }),
      );
    } finally {
      await runtime.close();
    }
    const resume = await runCli(['keys', 'rotate', '--class', 'contact'], childEnv(env));
    assert.equal(resume.code, 0, resume.stderr);
    assert.match(resume.stderr, /Rotation interrompue détectée/);
    assert.match(resume.stdout, /clés de données réemballées \(reprise\)/);
    const status = await runCli(['keys', 'status'], childEnv(env));
    assert.match(status.stdout, /contact\s+version active 2 \(versions 1, 2\)\n/);
  });

  it('takes the keyring from the environment as well as from a file', async () => {
    const { readFileSync } = await import('node:fs');
    const variables = childEnv(env, { REMPART_KEYRING: readFileSync(env.keyringPath, 'utf8') });
    delete variables.REMPART_KEYRING_FILE;
    const status = await runCli(['keys', 'status'], variables);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /bank\s+version active 2/);
    const rotate = await runCli(['keys', 'rotate'], variables);
    assert.equal(rotate.code, 1);
    assert.match(rotate.stderr, /REMPART_KEYRING_FILE/);
  });

  it('erases a person; erasing again is refused', async () => {
    const { openRuntime } = await import('../../src/runtime/index.ts');
    const runtime = await openRuntime(env.config, {
      ...(env.pgSchema ? { pgSchema: env.pgSchema } : {}),
      warn: () => undefined,
    });
    const person = await runtime.database.db.selectFrom('persons').select('id').limit(1).executeTakeFirstOrThrow();
    await runtime.close();
    const erase = await runCli(['person', 'erase', person.id], childEnv(env));
    assert.equal(erase.code, 0, erase.stderr);
    assert.match(erase.stdout, /clés de données détruites/);
    const again = await runCli(['person', 'erase', person.id], childEnv(env));
    assert.equal(again.code, 1);
    assert.match(again.stderr, /effacé/);
  });

  it('fails at start with a clear message and exit code 3 on a wrong keyring', async () => {
    const other = join(env.dir, 'other-keyring.json');
    writeKeyringFile(other, Keyring.generate());
    const res = await runCli(['keys', 'status'], childEnv(env, { REMPART_KEYRING_FILE: other }));
    assert.equal(res.code, 3);
    assert.match(
      res.stderr,
      /Trousseau de clés inutilisable : this keyring .* is not the one this store was written with/,
    );
    const missing = await runCli(
      ['keys', 'status'],
      childEnv(env, { REMPART_KEYRING_FILE: join(env.dir, 'nowhere.json') }),
    );
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /keyring file not found/);
    const garbage = await runCli(['keys', 'status'], childEnv(env, { REMPART_KEYRING: '{"format":"x"}' }));
    assert.equal(garbage.code, 3);
    assert.match(garbage.stderr, /not a Rempart keyring/);
  });
});

describe(`rempart start on a fresh data folder (${BACKEND})`, () => {
  let env: TestEnvironment;
  before(async () => {
    env = testEnvironment();
    await env.prepare();
  });
  after(async () => {
    await env.cleanup();
  });

  it('creates a development keyring with a loud warning, seeds the demo, prints URL, token and accounts, and serves', async () => {
    const variables = childEnv(env, { PORT: '0', REMPART_DEMO_PERSONS: '300' });
    delete variables.REMPART_KEYRING_FILE;
    const child = spawn(process.execPath, [BIN, 'start', '--demo'], {
      env: variables,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner:\n${stdout}\n${stderr}`)), 120_000);
        child.stdout.on('data', (d) => {
          stdout += d;
          const match = /Rempart écoute sur (http:\/\/\S+)/.exec(stdout);
          if (match && stdout.includes('Comptes de démonstration') && stdout.endsWith('\n\n')) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}\n${stdout}\n${stderr}`)));
      });
      assert.match(stderr, /TROUSSEAU DE DÉVELOPPEMENT/);
      // Outside a terminal the seeding's progress is one plain line, no bar redrawn with control characters.
      assert.equal(stderr.match(/^Peuplement synthétique /gm)?.length, 1, stderr);
      assert.ok(!(stdout + stderr).includes('\r') && !(stdout + stderr).includes('\u001b'), 'no redrawing in a log');
      // The address passkeys work on: localhost, the relying party's, not 127.0.0.1 (another origin to a browser).
      assert.equal(new URL(url).hostname, 'localhost');
      assert.match(stdout, /Clés d’accès \(passkeys\) : uniquement à l’adresse http:\/\/localhost:/);
      const keyringFile = join(env.dir, 'keyring.dev.json');
      assert.equal(statSync(keyringFile).mode & 0o777, 0o600);
      // Roles in French, job seekers first, and a walk through a counsellor and one of their own job seekers.
      assert.match(stdout, /conseiller\.bastide\.1\s+conseiller\s/);
      assert.match(stdout, /rssi\.na\s+responsable de la sécurité/);
      assert.doesNotMatch(stdout, /security_officer|indemnisation_agent|counsellor/);
      assert.ok(stdout.indexOf('Demandeurs d’emploi') < stdout.indexOf('Agents ('), 'job seekers first');
      const walk =
        /connectez-vous comme (conseiller\.\S+), .*\n.*connectez-vous comme (\S+@demo\.rempart\.example)/.exec(stdout);
      assert.ok(walk, stdout);
      const jobSeeker = walk[2]!;
      assert.match(
        stdout,
        new RegExp(`${jobSeeker.replace(/\./g, '\\.')}\\s+.*, suivi par ${walk[1]!.replace(/\./g, '\\.')}\\n`),
      );
      const password = /pour tous : « ([^»]+) »/.exec(stdout)?.[1]?.trim();
      const signIn = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: jobSeeker, password }),
      });
      assert.equal(signIn.status, 200);
      const staff = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'capemploi.gironde.1', password }),
      });
      assert.equal(((await staff.json()) as { secondFactor: string }).secondFactor, 'enrolment_required');
      const token = /Bearer (rpt_[A-Za-z0-9_-]+)/.exec(stdout)?.[1];
      assert.ok(token, 'the bootstrap token is printed');
      const health = await fetch(`${url}/api/health`);
      assert.equal(health.status, 200);
      const unknown = `${url}/api/agency/persons/00000000-0000-4000-8000-000000000000`;
      assert.equal((await fetch(unknown)).status, 401);
      assert.equal((await fetch(unknown, { headers: { authorization: `Bearer ${token}` } })).status, 404);
      const lookup = await fetch(`${url}/api/agency/persons/lookup`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'email', value: 'nobody@demo.rempart.example' }),
      });
      assert.deepEqual(await lookup.json(), { personIds: [] });
      const keyring = Keyring.parse((await import('node:fs')).readFileSync(keyringFile, 'utf8'), 'dev');
      assert.equal(stdout.includes(keyring.kek('nir', 1).toString('base64')), false);
      assert.equal(stderr.includes(keyring.kek('nir', 1).toString('base64')), false);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
