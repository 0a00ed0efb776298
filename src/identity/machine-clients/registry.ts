import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import { NotFoundError, schemaIssues, ValidationError, type Role, type ValidationIssue } from '../../domain/index.ts';
import { inTransaction, type Executor, type MachineClientsTable } from '../../store/index.ts';
import { normalisePublicJwks, type StoredJwks } from './jwks.ts';
import { appendEvent } from '../../ledger/index.ts';

/** The role of every machine actor; what it may do is decided by agreements and token scope, not by this role. */
export const MACHINE_CLIENT_ROLE: Role = 'partner_system';

const RegistrationSchema = Type.Object(
  {
    organisationId: Type.String({ format: 'uuid' }),
    name: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
    jwks: Type.Unknown(),
  },
  { additionalProperties: false },
);

export interface MachineClientRegistration {
  organisationId: string;
  name: string;
  jwks: unknown;
}

export interface RegisteredMachineClient {
  clientId: string;
  actorId: string;
}

async function organisationIssues(db: Executor, organisationId: string): Promise<ValidationIssue[]> {
  const organisation = await db
    .selectFrom('organisations')
    .select('status')
    .where('id', '=', organisationId)
    .executeTakeFirst();
  if (!organisation)
    return [{ field: 'organisationId', rule: 'organisation.unknown', message: 'organisation inconnue' }];
  if (organisation.status !== 'active')
    return [
      {
        field: 'organisationId',
        rule: 'organisation.inactive',
        message: 'organisation suspendue ou close : aucun client ne peut lui être ajouté',
      },
    ];
  return [];
}

/**
 * A partner information system gets a client of its organisation: an actor of kind
 * 'machine' and the public keys its assertions will be checked against. Every problem of
 * the input is reported at once; nothing is written unless all is well.
 */
export async function registerMachineClient(
  db: Executor,
  registration: MachineClientRegistration,
  now = new Date(),
): Promise<RegisteredMachineClient> {
  const shapeIssues = schemaIssues(RegistrationSchema, registration);
  const { jwks, issues: keyIssues } = await normalisePublicJwks((registration as { jwks?: unknown } | null)?.jwks);
  const organisationId = (registration as { organisationId?: unknown } | null)?.organisationId;
  const organisation =
    typeof organisationId === 'string' && !shapeIssues.some((i) => i.field === 'organisationId')
      ? await organisationIssues(db, organisationId)
      : [];
  const issues = [...shapeIssues.filter((i) => i.field !== 'jwks'), ...keyIssues, ...organisation];
  if (issues.length || !jwks) throw new ValidationError(issues);

  const clientId = randomUUID();
  const actorId = randomUUID();
  const at = now.toISOString();
  const name = registration.name.trim();
  await inTransaction(db, async (trx) => {
    await trx
      .insertInto('actors')
      .values({
        id: actorId,
        organisation_id: registration.organisationId,
        kind: 'machine',
        login: `machine.${clientId}`,
        display_name: name,
        roles: JSON.stringify([MACHINE_CLIENT_ROLE]),
        status: 'active',
        created_at: at,
      })
      .execute();
    await trx
      .insertInto('machine_clients')
      .values({
        id: clientId,
        organisation_id: registration.organisationId,
        actor_id: actorId,
        name,
        jwks: JSON.stringify(jwks),
        status: 'active',
        created_at: at,
        revoked_at: null,
      })
      .execute();
    await appendEvent(trx, 'machine_client_registered', {
      details: {
        clientId,
        actorId,
        organisationId: registration.organisationId,
        keys: jwks.keys.map((k) => `${k.kid}:${k.alg}`).join(' '),
      },
    });
  });
  return { clientId, actorId };
}

/**
 * Revoke a client: its assertions are refused from now on, its tokens stop working at their
 * next use, and its actor is disabled. False if it was already revoked.
 */
export async function revokeMachineClient(db: Executor, clientId: string, now = new Date()): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const client = await trx
      .selectFrom('machine_clients')
      .select(['actor_id', 'status'])
      .where('id', '=', clientId)
      .executeTakeFirst();
    if (!client) throw new NotFoundError('Client machine');
    if (client.status === 'revoked') return false;
    const at = now.toISOString();
    await trx
      .updateTable('machine_clients')
      .set({ status: 'revoked', revoked_at: at })
      .where('id', '=', clientId)
      .execute();
    await trx.updateTable('actors').set({ status: 'disabled' }).where('id', '=', client.actor_id).execute();
    await appendEvent(trx, 'machine_client_revoked', { details: { clientId, actorId: client.actor_id } });
    return true;
  });
}

export interface MachineClientRecord {
  client: MachineClientsTable;
  organisationStatus: string;
  actorStatus: string;
  jwks: StoredJwks;
}

/** A client with what decides whether it may still authenticate. */
export async function findMachineClient(db: Executor, clientId: string): Promise<MachineClientRecord | undefined> {
  const row = await db
    .selectFrom('machine_clients')
    .innerJoin('organisations', 'organisations.id', 'machine_clients.organisation_id')
    .innerJoin('actors', 'actors.id', 'machine_clients.actor_id')
    .selectAll('machine_clients')
    .select(['organisations.status as organisation_status', 'actors.status as actor_status'])
    .where('machine_clients.id', '=', clientId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { organisation_status, actor_status, ...client } = row;
  return {
    client,
    organisationStatus: organisation_status,
    actorStatus: actor_status,
    jwks: JSON.parse(client.jwks) as StoredJwks,
  };
}
