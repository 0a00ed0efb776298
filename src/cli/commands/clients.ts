import { Type } from 'typebox';
import { validate } from '../../domain/index.ts';
import {
  registerMachineClient,
  revokeMachineClient,
  tokenAudiences,
  type RegisteredMachineClient,
} from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { readJsonOption } from '../options.ts';

const RegisterOptionsSchema = Type.Object(
  {
    organisation: Type.String({ format: 'uuid' }),
    name: Type.String({ minLength: 1, maxLength: 120 }),
    jwks: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

const RevokeOptionsSchema = Type.Object({ clientId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

export async function runClientsRegister(runtime: Runtime, raw: unknown): Promise<RegisteredMachineClient> {
  const options = validate(RegisterOptionsSchema, raw);
  const jwks = readJsonOption(options.jwks, 'jwks');
  const registered = await registerMachineClient(runtime.database.db, {
    organisationId: options.organisation,
    name: options.name,
    jwks,
  });
  const [tokenEndpoint] = tokenAudiences(runtime.config.publicUrl);
  process.stdout.write(
    [
      `Client machine enregistré : ${registered.clientId}`,
      `  acteur                  ${registered.actorId}`,
      `  point de terminaison    ${tokenEndpoint}`,
      `  assertion               iss = sub = ${registered.clientId}, aud = ${tokenEndpoint}, exp ≤ 5 min, jti unique`,
      '',
    ].join('\n'),
  );
  return registered;
}

export async function runClientsRevoke(runtime: Runtime, raw: unknown): Promise<boolean> {
  const { clientId } = validate(RevokeOptionsSchema, raw);
  const revoked = await revokeMachineClient(runtime.database.db, clientId);
  process.stdout.write(
    revoked
      ? `Client machine ${clientId} révoqué : ses assertions et ses jetons sont refusés.\n`
      : `Client machine ${clientId} déjà révoqué.\n`,
  );
  return revoked;
}
