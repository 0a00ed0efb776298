import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { base64url, exportJWK, generateKeyPair, generateSecret, SignJWT, type CryptoKey, type JWK } from 'jose';
import { buildServer } from '../../src/api/index.ts';
import { ValidationError } from '../../src/domain/index.ts';
import {
  authenticateMachineToken,
  issueApiToken,
  issueClientCredentialsToken,
  JWT_BEARER_ASSERTION_TYPE,
  registerMachineClient,
  revokeMachineClient,
} from '../../src/identity/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { networkRows } from '../../src/seed/network.ts';
import { BACKEND, childEnv, countRows } from '../helpers/backend.ts';
import { runCli } from '../helpers/cli.ts';
import { ledgerEvents, ledgerText } from '../helpers/ledger.ts';
import { capturingLogger } from '../helpers/logs.ts';
import { openTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN_URL = 'http://localhost:3000/api/oauth/token';
const ISSUER = 'http://localhost:3000';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

interface Client {
  clientId: string;
  actorId: string;
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

describe(`machine clients: client credentials with private_key_jwt (${BACKEND})`, () => {
  let server: TestServer;
  let runtime: Runtime;
  const orgs: Record<string, string> = {};
  /** Every assertion and token handed out, to check that none reaches a log or an event. */
  const secrets: string[] = [];

  before(async () => {
    server = await openTestServer();
    runtime = server.runtime;
    const network = networkRows(1, new Date().toISOString());
    await runtime.database.db.insertInto('organisations').values(network.organisations).execute();
    await runtime.database.db.insertInto('agreements').values(network.agreements).execute();
    Object.assign(orgs, network.organisationIds);
    // Agreements that grant nothing: one suspended, one past its validity dates.
    const base = network.agreements.find((a) => a.organisation_id === orgs['cap-emploi'])!;
    await runtime.database.db
      .insertInto('agreements')
      .values([
        {
          ...base,
          id: randomUUID(),
          reference: 'CAPE-33-SUSP',
          status: 'suspended',
          purposes: JSON.stringify([{ purpose: 'suivi_suspendu', label: 'Suspendu', read: ['identity'], write: [] }]),
        },
        {
          ...base,
          id: randomUUID(),
          reference: 'CAPE-33-OLD',
          valid_from: '2020-01-01',
          valid_until: '2025-12-31',
          purposes: JSON.stringify([{ purpose: 'ancienne_finalite', label: 'Échue', read: ['identity'], write: [] }]),
        },
      ])
      .execute();
  });
  after(() => server.close());

  async function newClient(
    organisation: string,
    alg: 'ES256' | 'PS256' | 'RS256' | 'EdDSA' = 'ES256',
  ): Promise<Client> {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    const kid = randomUUID();
    const publicJwk = {
      ...(await exportJWK(publicKey)),
      kid,
      ...(alg.startsWith('RS') || alg.startsWith('PS') ? { alg } : {}),
    };
    const { clientId, actorId } = await registerMachineClient(runtime.database.db, {
      organisationId: orgs[organisation]!,
      name: `SI ${organisation} ${alg}`,
      jwks: { keys: [publicJwk] },
    });
    return { clientId, actorId, alg, kid, privateKey, publicJwk };
  }

  /** A valid assertion for `client`, with claims or header changed or removed (undefined) as a test needs. */
  async function assertion(
    client: Client,
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
    key: CryptoKey | Uint8Array = client.privateKey,
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: client.clientId,
      sub: client.clientId,
      aud: TOKEN_URL,
      iat: now,
      exp: now + 120,
      jti: randomUUID(),
      ...claims,
    };
    const jwt = await new SignJWT(payload)
      .setProtectedHeader({ alg: client.alg, kid: client.kid, ...header } as { alg: string })
      .sign(key);
    secrets.push(jwt);
    return jwt;
  }

  function tokenRequest(fields: Record<string, string | undefined>, headers: Record<string, string> = {}) {
    const form = new URLSearchParams(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
    return server.app.inject({
      method: 'POST',
      url: '/api/oauth/token',
      headers: { ...FORM, ...headers },
      payload: form.toString(),
    });
  }

  const grant = (clientAssertion: string, extra: Record<string, string | undefined> = {}) =>
    tokenRequest({
      grant_type: 'client_credentials',
      client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
      client_assertion: clientAssertion,
      ...extra,
    });

  async function obtainToken(
    client: Client,
    scope?: string,
  ): Promise<{ access_token: string; scope: string; expires_in: number; token_type: string }> {
    const res = await grant(await assertion(client), scope === undefined ? {} : { scope });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    secrets.push(body.access_token);
    return body;
  }

  const jwtIssuer = (jwt: string): string | undefined => {
    try {
      return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()).iss;
    } catch {
      return undefined;
    }
  };

  const partnerAgreements = (token: string) =>
    server.app.inject({ method: 'GET', url: '/api/partner/agreements', headers: { authorization: `Bearer ${token}` } });

  async function refusalEvents(): Promise<Map<string, { reason: string; clientId?: string }>> {
    const rows = await ledgerEvents(runtime.database.db, 'machine_token_refused');
    return new Map(rows.map((r) => [r.id, r.details as { reason: string; clientId?: string }]));
  }

  async function counts() {
    return {
      tokens: await countRows(runtime, 'machine_tokens'),
      jtis: await countRows(runtime, 'machine_assertion_jtis'),
      refused: (await refusalEvents()).size,
    };
  }

  /** A refusal answers the RFC 6749 §5.2 way, writes one security event with the expected reason, and nothing else. */
  async function assertRefused(
    request: () => Promise<{ statusCode: number; json(): any; headers: Record<string, unknown> }>,
    status: number,
    error: string,
    reason: string,
    label: string,
  ) {
    const before = await counts();
    const eventsBefore = await refusalEvents();
    const res = await request();
    assert.equal(res.statusCode, status, `${label}: status`);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'], label);
    assert.equal(body.error, error, `${label}: error`);
    assert.match(body.error_description, /\S/, `${label}: description`);
    assert.equal(res.headers['cache-control'], 'no-store', label);
    assert.deepEqual(
      await counts(),
      { tokens: before.tokens, jtis: before.jtis, refused: before.refused + 1 },
      `${label}: only the refusal event is written`,
    );
    const added = [...(await refusalEvents())].filter(([id]) => !eventsBefore.has(id)).map(([, details]) => details);
    assert.equal(added[0]?.reason, reason, `${label}: reason recorded`);
    return added[0]!;
  }

  describe('registration', () => {
    it('registers EC P-256, RSA and Ed25519 clients as machine actors of their organisation, keeping only public keys', async () => {
      for (const alg of ['ES256', 'PS256', 'RS256', 'EdDSA'] as const) {
        const client = await newClient('cap-emploi', alg);
        const actor = await runtime.database.db
          .selectFrom('actors')
          .selectAll()
          .where('id', '=', client.actorId)
          .executeTakeFirstOrThrow();
        assert.equal(actor.kind, 'machine');
        assert.equal(actor.organisation_id, orgs['cap-emploi']);
        assert.equal(actor.status, 'active');
        const row = await runtime.database.db
          .selectFrom('machine_clients')
          .selectAll()
          .where('id', '=', client.clientId)
          .executeTakeFirstOrThrow();
        assert.equal(row.status, 'active');
        assert.equal(row.revoked_at, null);
        assert.equal(row.actor_id, client.actorId);
        const stored = JSON.parse(row.jwks).keys[0];
        assert.equal(stored.kid, client.kid);
        assert.equal(stored.alg, alg);
        assert.equal(stored.d, undefined);
      }
      const events = await ledgerEvents(runtime.database.db, 'machine_client_registered');
      assert.ok(events.length >= 4);
    });

    it('refuses private keys, symmetric keys, weak or unusable keys and a bad organisation, naming the field, and writes nothing', async () => {
      const ec = await generateKeyPair('ES256', { extractable: true });
      const rsa = await generateKeyPair('RS256', { extractable: true });
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
      const secret = await generateSecret('HS256', { extractable: true });
      const ecPublic = await exportJWK(ec.publicKey);
      const cases: Array<[string, unknown, string, string, string?]> = [
        ['EC private key', { keys: [await exportJWK(ec.privateKey)] }, 'jwks.keys.0.d', 'jwk.private_key'],
        [
          'RSA private key',
          { keys: [{ ...(await exportJWK(rsa.privateKey)), alg: 'PS256' }] },
          'jwks.keys.0.d',
          'jwk.private_key',
        ],
        ['symmetric key', { keys: [await exportJWK(secret)] }, 'jwks.keys.0.kty', 'jwk.symmetric'],
        [
          'symmetric key in second place',
          { keys: [ecPublic, { kty: 'oct', k: 'c2VjcmV0c2VjcmV0c2VjcmV0' }] },
          'jwks.keys.1.kty',
          'jwk.symmetric',
        ],
        ['RSA 1024', { keys: [{ ...weak, alg: 'RS256' }] }, 'jwks.keys.0.n', 'jwk.rsa_size'],
        ['RSA without alg', { keys: [await exportJWK(rsa.publicKey)] }, 'jwks.keys.0.alg', 'required'],
        ['EC key declared for HS256', { keys: [{ ...ecPublic, alg: 'HS256' }] }, 'jwks.keys.0.alg', 'jwk.algorithm'],
        ['EC key declared for none', { keys: [{ ...ecPublic, alg: 'none' }] }, 'jwks.keys.0.alg', 'jwk.algorithm'],
        ['P-384 curve', { keys: [{ ...ecPublic, crv: 'P-384' }] }, 'jwks.keys.0.crv', 'jwk.curve'],
        ['point off the curve', { keys: [{ ...ecPublic, y: ecPublic.x }] }, 'jwks.keys.0', 'jwk.invalid'],
        ['encryption key', { keys: [{ ...ecPublic, use: 'enc' }] }, 'jwks.keys.0.use', 'jwk.use'],
        ['empty set', { keys: [] }, 'jwks.keys', 'minItems'],
        ['not a set', [ecPublic], 'jwks', 'type:object'],
        [
          'duplicate kid',
          {
            keys: [
              { ...ecPublic, kid: 'k' },
              { ...ecPublic, kid: 'k' },
            ],
          },
          'jwks.keys.1.kid',
          'jwk.duplicate_kid',
        ],
      ];
      const before = {
        clients: await countRows(runtime, 'machine_clients'),
        actors: await countRows(runtime, 'actors'),
        events: await countRows(runtime, 'ledger_events'),
      };
      for (const [label, jwks, field, rule] of cases) {
        const error = await registerMachineClient(runtime.database.db, {
          organisationId: orgs['cap-emploi']!,
          name: 'SI',
          jwks,
        }).then(
          () => assert.fail(`${label}: accepted`),
          (e: unknown) => e,
        );
        assert.ok(error instanceof ValidationError, label);
        assert.ok(
          error.issues.some((i) => i.field === field && i.rule === rule),
          `${label}: ${JSON.stringify(error.issues)}`,
        );
        assert.ok(
          !JSON.stringify(error.issues).includes(String((jwks as any)?.keys?.[0]?.d ?? '¤')),
          `${label}: the private value is not echoed`,
        );
      }
      const bad = async (registration: any) =>
        registerMachineClient(runtime.database.db, registration).then(
          () => assert.fail('accepted'),
          (e: ValidationError) => e.issues.map((i) => `${i.field} ${i.rule}`),
        );
      assert.deepEqual(await bad({ organisationId: randomUUID(), name: 'SI', jwks: { keys: [ecPublic] } }), [
        'organisationId organisation.unknown',
      ]);
      assert.deepEqual(await bad({ organisationId: 'pas-un-id', name: '', jwks: { keys: [ecPublic] } }), [
        'organisationId format:uuid',
        'name minLength',
      ]);
      await runtime.database.db
        .updateTable('organisations')
        .set({ status: 'suspended' })
        .where('id', '=', orgs['region']!)
        .execute();
      assert.deepEqual(await bad({ organisationId: orgs['region'], name: 'SI', jwks: { keys: [ecPublic] } }), [
        'organisationId organisation.inactive',
      ]);
      await runtime.database.db
        .updateTable('organisations')
        .set({ status: 'active' })
        .where('id', '=', orgs['region']!)
        .execute();
      assert.deepEqual(
        {
          clients: await countRows(runtime, 'machine_clients'),
          actors: await countRows(runtime, 'actors'),
          events: await countRows(runtime, 'ledger_events'),
        },
        before,
      );
    });
  });

  describe('token endpoint', () => {
    it('a valid assertion gets a short opaque token bound to the organisation, stored only as its hash, and the token reads the agreements', async () => {
      const client = await newClient('agency-bastide');
      const before = await counts();
      const res = await grant(await assertion(client));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['pragma'], 'no-cache');
      const body = res.json();
      secrets.push(body.access_token);
      assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 600);
      assert.equal(body.scope, 'accompagnement indemnisation', 'no scope asked: every purpose agreed');
      assert.match(body.access_token, /^rmc_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(await counts(), { ...before, tokens: before.tokens + 1, jtis: before.jtis + 1 });

      const row = await runtime.database.db
        .selectFrom('machine_tokens')
        .selectAll()
        .where('client_id', '=', client.clientId)
        .executeTakeFirstOrThrow();
      assert.equal(row.organisation_id, orgs['agency-bastide']);
      assert.notEqual(row.token_hash, body.access_token);
      assert.ok(!JSON.stringify(row).includes(body.access_token.slice(4)), 'the token itself is not stored');
      const lifetime = Date.parse(row.expires_at) - Date.parse(row.issued_at);
      assert.equal(lifetime, 600_000);

      const read = await partnerAgreements(body.access_token);
      assert.equal(read.statusCode, 200, read.body);
      const agreements = read.json();
      assert.deepEqual(agreements.organisation, {
        id: orgs['agency-bastide'],
        name: 'France Travail Bordeaux Bastide',
        kind: 'agency',
      });
      assert.deepEqual(agreements.scope, ['accompagnement', 'indemnisation']);
      assert.equal(agreements.agreements.length, 1);
      const [agreement] = agreements.agreements;
      assert.equal(agreement.reference, 'FT-33-BASTIDE');
      assert.equal(agreement.version, 1);
      assert.match(agreement.legalBasis, /L\. 5312-1/);
      assert.deepEqual(
        agreement.purposes.map((p: any) => [p.purpose, p.read, p.write]),
        [
          [
            'accompagnement',
            ['identity', 'contact', 'id_document', 'registration', 'career', 'follow_up'],
            ['contact', 'career', 'follow_up'],
          ],
          ['indemnisation', ['identity', 'nir', 'registration', 'benefits', 'bank'], ['benefits', 'bank']],
        ],
      );

      const issued = await ledgerEvents(runtime.database.db, 'machine_token_issued');
      const mine = issued.map((e) => e.details).find((d) => d.clientId === client.clientId)!;
      assert.equal(mine.organisationId, orgs['agency-bastide']);
      assert.equal(mine.tokenId, row.id);
    });

    it('accepts RSA (PS256, RS256) and Ed25519 signatures, and the issuer as audience', async () => {
      for (const alg of ['PS256', 'RS256', 'EdDSA'] as const) {
        const client = await newClient('mission-locale', alg);
        const res = await grant(await assertion(client));
        assert.equal(res.statusCode, 200, `${alg}: ${res.body}`);
        secrets.push(res.json().access_token);
      }
      const client = await newClient('mission-locale');
      const res = await grant(await assertion(client, { aud: ISSUER }));
      assert.equal(res.statusCode, 200, res.body);
      secrets.push(res.json().access_token);
    });

    it('a scope limits the token, and the agreements it reads, to the purposes asked', async () => {
      const client = await newClient('agency-bastide');
      const token = await obtainToken(client, 'indemnisation');
      assert.equal(token.scope, 'indemnisation');
      const read = (await partnerAgreements(token.access_token)).json();
      assert.deepEqual(read.scope, ['indemnisation']);
      assert.deepEqual(
        read.agreements[0].purposes.map((p: any) => p.purpose),
        ['indemnisation'],
      );
      const row = await runtime.database.db
        .selectFrom('machine_tokens')
        .select('scope')
        .where('client_id', '=', client.clientId)
        .executeTakeFirstOrThrow();
      assert.equal(row.scope, 'indemnisation');
    });

    it('refuses a replayed jti, even from another server process on the same store', async () => {
      const client = await newClient('cap-emploi');
      const jwt = await assertion(client);
      assert.equal((await grant(jwt)).statusCode, 200);
      await assertRefused(() => grant(jwt), 401, 'invalid_client', 'replayed_jti', 'replay');

      // A second process (or the same after a restart) on the same store still knows the jti.
      const other = await server.env.open();
      const { logger } = capturingLogger();
      const otherApp = await buildServer(other, logger);
      try {
        const res = await otherApp.inject({
          method: 'POST',
          url: '/api/oauth/token',
          headers: FORM,
          payload: new URLSearchParams({
            grant_type: 'client_credentials',
            client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
            client_assertion: jwt,
          }).toString(),
        });
        assert.equal(res.statusCode, 401);
        assert.equal(res.json().error, 'invalid_client');
      } finally {
        await otherApp.close();
        await other.close();
      }

      // Two requests racing with one fresh assertion: exactly one token.
      const racing = await assertion(client);
      const before = await counts();
      const answers = await Promise.all([grant(racing), grant(racing), grant(racing)]);
      assert.deepEqual(answers.map((a) => a.statusCode).sort(), [200, 401, 401]);
      for (const a of answers) if (a.statusCode === 200) secrets.push(a.json().access_token);
      const afterCounts = await counts();
      assert.equal(afterCounts.tokens, before.tokens + 1);
      assert.equal(afterCounts.jtis, before.jtis + 1);
    });

    it('refuses every bad assertion with invalid_client and writes nothing but the refusal', async () => {
      const client = await newClient('cap-emploi');
      const rsaClient = await newClient('cap-emploi', 'RS256');
      const stranger = await generateKeyPair('ES256');
      const now = Math.floor(Date.now() / 1000);
      const none = (claims: Record<string, unknown>) =>
        `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify({ iss: client.clientId, sub: client.clientId, aud: TOKEN_URL, iat: now, exp: now + 60, jti: randomUUID(), ...claims }))}.`;
      const publicKeyAsSecret = new TextEncoder().encode(
        createPublicKey({ key: rsaClient.publicJwk as any, format: 'jwk' }).export({
          type: 'spki',
          format: 'pem',
        }) as string,
      );
      const jwkAsSecret = new TextEncoder().encode(JSON.stringify(client.publicJwk));
      const cases: Array<[string, () => Promise<string> | string, string]> = [
        ['wrong audience', () => assertion(client, { aud: 'https://autre-serveur.example/token' }), 'wrong_audience'],
        [
          'audience list naming another server too',
          () => assertion(client, { aud: [TOKEN_URL, 'https://autre-serveur.example/token'] }),
          'wrong_audience',
        ],
        ['no audience', () => assertion(client, { aud: undefined }), 'wrong_audience'],
        ['expired', () => assertion(client, { iat: now - 400, exp: now - 120 }), 'expired'],
        ['issued in the future', () => assertion(client, { iat: now + 300, exp: now + 360 }), 'issued_in_future'],
        ['living longer than five minutes', () => assertion(client, { exp: now + 3600 }), 'lifetime_too_long'],
        ['no jti', () => assertion(client, { jti: undefined }), 'missing_claim'],
        ['no exp', () => assertion(client, { exp: undefined }), 'missing_claim'],
        ['alg none', () => none({}), 'algorithm_not_allowed'],
        [
          'HS256 with the RSA public key as secret',
          () => assertion(rsaClient, {}, { alg: 'HS256' }, publicKeyAsSecret),
          'algorithm_not_allowed',
        ],
        [
          'HS256 with the public JWK as secret',
          () => assertion(client, {}, { alg: 'HS256' }, jwkAsSecret),
          'algorithm_not_allowed',
        ],
        [
          'RS256 by an EC client',
          () => assertion({ ...client, alg: 'RS256' }, {}, {}, rsaClient.privateKey),
          'algorithm_not_allowed',
        ],
        ['unknown key, same kid', () => assertion(client, {}, {}, stranger.privateKey), 'bad_signature'],
        ['unknown key, no kid', () => assertion(client, {}, { kid: undefined }, stranger.privateKey), 'bad_signature'],
        ['unknown kid', () => assertion(client, {}, { kid: 'inconnue' }, stranger.privateKey), 'unknown_key'],
        [
          'another client’s key',
          () => assertion({ ...client, kid: rsaClient.kid, alg: 'RS256' }, {}, {}, rsaClient.privateKey),
          'algorithm_not_allowed',
        ],
        ['iss ≠ sub', () => assertion(client, { sub: rsaClient.clientId }), 'iss_sub_mismatch'],
        ['unknown client', () => assertion({ ...client, clientId: `inconnu-${randomUUID()}` }), 'unknown_client'],
        ['not a JWT', () => 'pas.un.jwt', 'malformed_assertion'],
      ];
      for (const [label, make, reason] of cases) {
        const jwt = await make();
        const event = await assertRefused(() => grant(jwt), 401, 'invalid_client', reason, label);
        // An id made up by the caller is not recorded; the real client's is.
        assert.equal(
          event.clientId,
          ['unknown_client', 'iss_sub_mismatch', 'malformed_assertion'].includes(reason)
            ? undefined
            : client.clientId === jwtIssuer(jwt)
              ? client.clientId
              : rsaClient.clientId,
          label,
        );
      }
      await assertRefused(
        async () => grant(await assertion(client), { client_id: rsaClient.clientId }),
        401,
        'invalid_client',
        'client_id_mismatch',
        'client_id naming another client',
      );
      // The client still works: refusals did not lock it or consume anything.
      await obtainToken(client);
    });

    it('refuses malformed requests the RFC 6749 way', async () => {
      const client = await newClient('cap-emploi');
      const jwt = await assertion(client);
      await assertRefused(
        () => tokenRequest({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: jwt }),
        400,
        'invalid_request',
        'missing_grant_type',
        'no grant_type',
      );
      await assertRefused(
        () =>
          tokenRequest({
            grant_type: 'password',
            client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
            client_assertion: jwt,
          }),
        400,
        'unsupported_grant_type',
        'unsupported_grant_type',
        'password grant',
      );
      await assertRefused(
        () =>
          tokenRequest({ grant_type: 'client_credentials', client_assertion_type: 'urn:autre', client_assertion: jwt }),
        401,
        'invalid_client',
        'unsupported_assertion_type',
        'other assertion type',
      );
      await assertRefused(
        () => tokenRequest({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER_ASSERTION_TYPE }),
        401,
        'invalid_client',
        'missing_assertion',
        'no assertion',
      );
      await assertRefused(
        () => tokenRequest({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: 'secret' }),
        400,
        'invalid_request',
        'multiple_client_authentication',
        'client_secret',
      );
      const fresh = await assertion(client);
      await assertRefused(
        () =>
          server.app.inject({
            method: 'POST',
            url: '/api/oauth/token',
            headers: { ...FORM, authorization: 'Basic YTpi' },
            payload: new URLSearchParams({
              grant_type: 'client_credentials',
              client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
              client_assertion: fresh,
            }).toString(),
          }),
        400,
        'invalid_request',
        'multiple_client_authentication',
        'Authorization header too',
      );
      await assertRefused(
        () =>
          server.app.inject({
            method: 'POST',
            url: '/api/oauth/token',
            headers: FORM,
            payload: `grant_type=client_credentials&scope=a&scope=b&client_assertion=${fresh}`,
          }),
        400,
        'invalid_request',
        'malformed_request',
        'repeated parameter',
      );
      await assertRefused(
        () =>
          server.app.inject({
            method: 'POST',
            url: '/api/oauth/token',
            payload: {
              grant_type: 'client_credentials',
              client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
              client_assertion: fresh,
            },
          }),
        400,
        'invalid_request',
        'malformed_request',
        'JSON body',
      );
    });

    it('refuses a scope outside the organisation’s active agreements with invalid_scope', async () => {
      const client = await newClient('cap-emploi');
      const cases: Array<[string, string, string]> = [
        ['purpose of another organisation', 'indemnisation', 'scope_not_agreed'],
        ['one good, one foreign', 'accompagnement_handicap indemnisation', 'scope_not_agreed'],
        ['purpose of a suspended agreement', 'suivi_suspendu', 'scope_not_agreed'],
        ['purpose of an expired agreement', 'ancienne_finalite', 'scope_not_agreed'],
        ['malformed scope', 'accompagnement_handicap "x"', 'malformed_scope'],
      ];
      for (const [label, scope, reason] of cases) {
        const jwt = await assertion(client);
        await assertRefused(() => grant(jwt, { scope }), 400, 'invalid_scope', reason, label);
      }
      const granted = await obtainToken(client);
      assert.equal(
        granted.scope,
        'accompagnement_handicap',
        'suspended and expired agreements grant nothing by default either',
      );

      // An organisation of the network with no agreement at all (a commune not yet signed up).
      const direction = await runtime.database.db
        .selectFrom('organisations')
        .selectAll()
        .where('id', '=', orgs['direction-regionale']!)
        .executeTakeFirstOrThrow();
      orgs['commune'] = randomUUID();
      await runtime.database.db
        .insertInto('organisations')
        .values({ ...direction, id: orgs['commune'], kind: 'commune', name: 'Commune sans convention' })
        .execute();
      const noAgreement = await newClient('commune');
      const jwt = await assertion(noAgreement);
      await assertRefused(
        () => grant(jwt),
        400,
        'invalid_scope',
        'no_active_agreement',
        'organisation without any purpose',
      );
    });

    it('refuses a revoked client, and its tokens stop working at once', async () => {
      const client = await newClient('training-body');
      const token = await obtainToken(client);
      assert.equal((await partnerAgreements(token.access_token)).statusCode, 200);
      assert.equal(await revokeMachineClient(runtime.database.db, client.clientId), true);
      assert.equal(
        await revokeMachineClient(runtime.database.db, client.clientId),
        false,
        'revoking twice changes nothing',
      );
      const row = await runtime.database.db
        .selectFrom('machine_clients')
        .select(['status', 'revoked_at'])
        .where('id', '=', client.clientId)
        .executeTakeFirstOrThrow();
      assert.equal(row.status, 'revoked');
      assert.ok(row.revoked_at);
      const actor = await runtime.database.db
        .selectFrom('actors')
        .select('status')
        .where('id', '=', client.actorId)
        .executeTakeFirstOrThrow();
      assert.equal(actor.status, 'disabled');
      const read = await partnerAgreements(token.access_token);
      assert.equal(read.statusCode, 401);
      assert.equal(read.headers['www-authenticate'], 'Bearer realm="rempart", error="invalid_token"');
      const jwt = await assertion(client);
      const event = await assertRefused(() => grant(jwt), 401, 'invalid_client', 'client_revoked', 'revoked client');
      assert.equal(event.clientId, client.clientId, 'a refusal names the real client it concerns');
      await assert.rejects(revokeMachineClient(runtime.database.db, randomUUID()), /introuvable/);
    });

    it('refuses the client and the tokens of a suspended organisation', async () => {
      const client = await newClient('caf');
      const token = await obtainToken(client);
      assert.equal((await partnerAgreements(token.access_token)).statusCode, 200);
      await runtime.database.db
        .updateTable('organisations')
        .set({ status: 'suspended' })
        .where('id', '=', orgs['caf']!)
        .execute();
      try {
        const read = await partnerAgreements(token.access_token);
        assert.equal(read.statusCode, 401);
        assert.equal(read.headers['www-authenticate'], 'Bearer realm="rempart", error="invalid_token"');
        const jwt = await assertion(client);
        await assertRefused(() => grant(jwt), 401, 'invalid_client', 'organisation_inactive', 'suspended organisation');
      } finally {
        await runtime.database.db
          .updateTable('organisations')
          .set({ status: 'active' })
          .where('id', '=', orgs['caf']!)
          .execute();
      }
      assert.equal(
        (await partnerAgreements(token.access_token)).statusCode,
        200,
        'reinstated, the organisation’s token works again until it expires',
      );
    });

    it('tokens expire after ten minutes', async () => {
      const client = await newClient('departement');
      const token = await obtainToken(client);
      const db = runtime.database.db;
      const in9 = new Date(Date.now() + 9 * 60_000);
      const in11 = new Date(Date.now() + 11 * 60_000);
      assert.equal((await authenticateMachineToken(db, token.access_token, in9))?.clientId, client.clientId);
      assert.equal(await authenticateMachineToken(db, token.access_token, in11), undefined);
      const principal = await authenticateMachineToken(db, token.access_token);
      assert.deepEqual(
        { ...principal, expiresAt: undefined, tokenId: undefined },
        {
          clientId: client.clientId,
          actorId: client.actorId,
          organisationId: orgs['departement'],
          scope: 'insertion_rsa',
          purposes: ['insertion_rsa'],
          expiresAt: undefined,
          tokenId: undefined,
        },
      );

      await db
        .updateTable('machine_tokens')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('client_id', '=', client.clientId)
        .execute();
      const read = await partnerAgreements(token.access_token);
      assert.equal(read.statusCode, 401);
      assert.equal(read.headers['www-authenticate'], 'Bearer realm="rempart", error="invalid_token"');
      assert.equal(read.json().error, 'invalid_token');
    });

    it('the same issuance with a moved clock: an assertion made for later is refused now, accepted then', async () => {
      const client = await newClient('departement');
      const later = new Date(Date.now() + 3600_000);
      const t = Math.floor(later.getTime() / 1000);
      const jwt = await assertion(client, { iat: t, exp: t + 60 });
      const form = {
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
        client_assertion: jwt,
      };
      const now = await issueClientCredentialsToken(runtime.database.db, ISSUER, form, '192.0.2.1');
      assert.equal(now.ok, false);
      const then = await issueClientCredentialsToken(runtime.database.db, ISSUER, form, '192.0.2.1', later);
      assert.equal(then.ok, true);
      if (then.ok) {
        secrets.push(then.response.access_token);
        assert.ok(
          await authenticateMachineToken(
            runtime.database.db,
            then.response.access_token,
            new Date(later.getTime() + 9 * 60_000),
          ),
        );
        assert.equal(
          await authenticateMachineToken(
            runtime.database.db,
            then.response.access_token,
            new Date(later.getTime() + 10 * 60_000),
          ),
          undefined,
        );
      }
    });
  });

  describe('partner API', () => {
    it('refuses a missing, unknown or foreign token with 401 and an RFC 6750 challenge', async () => {
      const none = await server.app.inject({ method: 'GET', url: '/api/partner/agreements' });
      assert.equal(none.statusCode, 401);
      assert.equal(none.headers['www-authenticate'], 'Bearer realm="rempart"');
      const basic = await server.app.inject({
        method: 'GET',
        url: '/api/partner/agreements',
        headers: { authorization: 'Basic YTpi' },
      });
      assert.equal(basic.statusCode, 401);
      assert.equal(basic.headers['www-authenticate'], 'Bearer realm="rempart"');
      const staffActor = await runtime.database.db
        .insertInto('actors')
        .values({
          id: randomUUID(),
          organisation_id: orgs['cap-emploi']!,
          kind: 'human',
          login: `agent.${randomUUID()}`,
          display_name: 'Agent',
          roles: '["partner_staff"]',
          status: 'active',
          created_at: new Date().toISOString(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const staffToken = await issueApiToken(runtime.database.db, staffActor.id, 'test');
      for (const token of ['rmc_inconnu', `rmc_${'A'.repeat(43)}`, staffToken, 'x'.repeat(500)]) {
        const res = await partnerAgreements(token);
        assert.equal(res.statusCode, 401, token.slice(0, 8));
        assert.equal(res.headers['www-authenticate'], 'Bearer realm="rempart", error="invalid_token"');
        assert.equal(res.json().error, 'invalid_token');
      }
      // And the other way round: a machine token opens nothing in the agency API.
      const client = await newClient('cap-emploi');
      const token = await obtainToken(client);
      const agency = await server.app.inject({
        method: 'GET',
        url: `/api/agency/persons/${randomUUID()}`,
        headers: { authorization: `Bearer ${token.access_token}` },
      });
      assert.equal(agency.statusCode, 401);
    });

    it('documents the routes in the OpenAPI document', async () => {
      const doc = (await server.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
      assert.deepEqual(doc.paths['/api/oauth/token'].post.tags, ['authentification']);
      assert.ok(doc.paths['/api/oauth/token'].post.requestBody.content['application/x-www-form-urlencoded']);
      assert.deepEqual(doc.paths['/api/partner/agreements'].get.tags, ['partenaires']);
    });
  });

  describe('command line', () => {
    it('registers a client from a JWKS file and revokes it; bad input exits 2 naming the field', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const kid = 'cli-key';
      const jwksPath = join(server.env.dir, 'partner-jwks.json');
      writeFileSync(jwksPath, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid }] }));
      const env = childEnv(server.env);

      const before = await countRows(runtime, 'machine_clients');
      const res = await runCli(
        ['clients', 'register', '--organisation', orgs['region']!, '--name', 'SI Région', '--jwks', jwksPath],
        env,
      );
      assert.equal(res.code, 0, res.stderr);
      const clientId = /Client machine enregistré : ([0-9a-f-]{36})/.exec(res.stdout)?.[1];
      assert.ok(clientId, res.stdout);
      assert.equal(await countRows(runtime, 'machine_clients'), before + 1);
      const row = await runtime.database.db
        .selectFrom('machine_clients')
        .selectAll()
        .where('id', '=', clientId)
        .executeTakeFirstOrThrow();
      assert.equal(row.organisation_id, orgs['region']);
      assert.equal(row.name, 'SI Région');

      const client: Client = { clientId, actorId: row.actor_id, alg: 'ES256', kid, privateKey, publicJwk: {} };
      const token = await obtainToken(client);
      assert.equal(token.scope, 'formation');

      const privatePath = join(server.env.dir, 'private-jwks.json');
      writeFileSync(privatePath, JSON.stringify({ keys: [await exportJWK(privateKey)] }));
      const secretPath = join(server.env.dir, 'secret-jwks.json');
      writeFileSync(secretPath, JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0c2VjcmV0c2VjcmV0' }] }));
      const refusals: Array<[string[], RegExp]> = [
        [['--organisation', orgs['region']!, '--name', 'SI', '--jwks', privatePath], /jwks\.keys\.0\.d/],
        [['--organisation', orgs['region']!, '--name', 'SI', '--jwks', secretPath], /jwks\.keys\.0\.kty/],
        [['--organisation', 'pas-un-id', '--name', 'SI', '--jwks', jwksPath], /organisation/],
        [['--organisation', orgs['region']!, '--name', 'SI', '--jwks', join(server.env.dir, 'absent.json')], /jwks/],
        [['--organisation', orgs['region']!, '--jwks', jwksPath], /name/],
      ];
      for (const [args, field] of refusals) {
        const refused = await runCli(['clients', 'register', ...args], env);
        assert.equal(refused.code, 2, `${args.join(' ')}: ${refused.stderr}`);
        assert.match(refused.stderr, field);
      }
      assert.equal(await countRows(runtime, 'machine_clients'), before + 1);

      const badRevoke = await runCli(['clients', 'revoke', 'pas-un-id'], env);
      assert.equal(badRevoke.code, 2);
      assert.match(badRevoke.stderr, /clientId/);
      const revoke = await runCli(['clients', 'revoke', clientId], env);
      assert.equal(revoke.code, 0, revoke.stderr);
      assert.match(revoke.stdout, /révoqué/);
      assert.equal((await partnerAgreements(token.access_token)).statusCode, 401);

      const help = await runCli(['--help'], env);
      assert.match(help.stdout, /\n {2}clients register /);
      assert.match(help.stdout, /\n {2}clients revoke <clientId>/);
    });
  });

  describe('secrets', () => {
    it('no assertion or access token appears in a log line or a security event', async () => {
      assert.ok(secrets.length > 20);
      const logs = server.logLines.join('\n');
      const events = await ledgerText(runtime.database.db);
      for (const secret of secrets) {
        // The signature part alone is enough to tell an assertion; the random part of a token.
        const telltale = secret.startsWith('rmc_') ? secret.slice(4) : secret.split('.').slice(0, 2).join('.');
        assert.ok(!logs.includes(telltale), 'log holds a secret');
        assert.ok(!events.includes(telltale), 'event holds a secret');
      }
      assert.ok(
        server.logLines.some((l) => l.includes('/api/oauth/token')),
        'requests were logged at all',
      );
    });
  });
});
