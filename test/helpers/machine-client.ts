import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { JWT_BEARER_ASSERTION_TYPE, registerMachineClient } from '../../src/identity/index.ts';
import type { Executor } from '../../src/store/index.ts';

/** A partner's information system registered as a machine client, with the private key it signs with. */
export interface TestMachineClient {
  organisationId: string;
  clientId: string;
  kid: string;
  privateKey: CryptoKey;
}

/** The seeded Cap emploi's information system, registered with a fresh ES256 key. */
export async function registerCapEmploiSystem(db: Executor): Promise<TestMachineClient> {
  const cap = await db
    .selectFrom('organisations')
    .select('id')
    .where('kind', '=', 'cap_emploi')
    .executeTakeFirstOrThrow();
  const keys = await generateKeyPair('ES256');
  const kid = randomUUID();
  const { clientId } = await registerMachineClient(db, {
    organisationId: cap.id,
    name: 'SI Cap emploi',
    jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), kid }] },
  });
  return { organisationId: cap.id, clientId, kid, privateKey: keys.privateKey };
}

/** The seeded employer's payroll system (issue 25 §3), registered with a fresh ES256 key. */
export async function registerEmployerSystem(db: Executor): Promise<TestMachineClient> {
  const employer = await db
    .selectFrom('organisations')
    .select('id')
    .where('kind', '=', 'employer')
    .orderBy('id')
    .executeTakeFirstOrThrow();
  const keys = await generateKeyPair('ES256');
  const kid = randomUUID();
  const { clientId } = await registerMachineClient(db, {
    organisationId: employer.id,
    name: 'Paie Chais du Médoc',
    jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), kid }] },
  });
  return { organisationId: employer.id, clientId, kid, privateKey: keys.privateKey };
}

/** The client-credentials form a machine client posts to the token endpoint, with a fresh signed assertion. */
export async function clientCredentialsForm(
  client: TestMachineClient,
  publicUrl: string,
  scope: string,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({
    iss: client.clientId,
    sub: client.clientId,
    aud: `${publicUrl}/api/oauth/token`,
    iat: now,
    exp: now + 60,
    jti: randomUUID(),
  })
    .setProtectedHeader({ alg: 'ES256', kid: client.kid })
    .sign(client.privateKey);
  return new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
    client_assertion: assertion,
    scope,
  }).toString();
}
