import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  ConflictError,
  FIELD_CLASSES,
  FIELD_CLASS_LABELS_FR,
  NotFoundError,
  type FieldClass,
} from '../../domain/index.ts';
import { alertSecurityContact, channelAddresses, sendMessage, type Messenger } from '../../identity/index.ts';
import { authorizeWithoutPerson, can, grantBreakGlass } from '../../policy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import type { Executor } from '../../store/index.ts';
import { messengerOf } from '../messenger.ts';
import { PersonIdParams } from '../schemas.ts';
import { requireRecentSecondFactor } from '../session.ts';
import { accessErrorResponses as staffErrorResponses, guardedActor, refuse, refusedByGuard } from '../access.ts';
import { SearchBody, searchRequestOf } from './persons.ts';

const tags = ['agents'];
const security = [{ cookieAuth: [] }];

const BreakGlassBody = Type.Object(
  {
    purpose: Type.String({ pattern: '^[a-z][a-z0-9_]{1,63}$' }),
    caseReference: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{2,63}$' }),
    justification: Type.String({
      minLength: 30,
      maxLength: 2000,
      description: 'pourquoi cet accès hors périmètre est nécessaire (30 caractères au moins)',
    }),
    classes: Type.Array(Type.Enum(FIELD_CLASSES), { minItems: 1, maxItems: FIELD_CLASSES.length, uniqueItems: true }),
  },
  { additionalProperties: false },
);

/** Active staff accounts of those who review break-glass accesses: they hear of one at once. */
async function securityOfficerAccounts(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('accounts')
    .innerJoin('actors', 'actors.id', 'accounts.actor_id')
    .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
    .select(['accounts.id', 'actors.roles', 'organisations.kind'])
    .where('accounts.kind', '=', 'staff')
    .where('accounts.status', '=', 'active')
    .where('actors.status', '=', 'active')
    .execute();
  return rows
    .filter((r) => can({ roles: JSON.parse(r.roles) as string[], organisationKind: r.kind }, 'review', 'break_glass'))
    .map((r) => r.id);
}

/** The organisation's security contact and every security officer (by email) hear of a break-glass at once. */
async function alertBreakGlass(
  m: Messenger,
  input: {
    organisationId: string;
    login: string;
    breakGlassId: string;
    personId: string;
    purpose: string;
    classes: readonly string[];
    expiresAt: string;
  },
): Promise<void> {
  const subject = 'Accès d’urgence (bris de glace) à un dossier';
  const body = [
    `L’agent ${input.login} vient d’ouvrir un accès d’urgence hors de son périmètre.`,
    `Dossier : ${input.personId}`,
    `Finalité : ${input.purpose}`,
    `Classes de données : ${input.classes.map((c) => FIELD_CLASS_LABELS_FR[c as keyof typeof FIELD_CLASS_LABELS_FR] ?? c).join(', ')}`,
    `Valable jusqu’à : ${input.expiresAt}`,
    `Référence de l’accès : ${input.breakGlassId}`,
    'La justification est à examiner dans la file de revue des accès d’urgence.',
  ].join('\n');
  await alertSecurityContact(m, input.organisationId, 'break_glass_alert', subject, body);
  for (const accountId of await securityOfficerAccounts(m.db)) {
    const emails = (await channelAddresses(m.db, m.keyring, accountId)).filter((c) => c.kind === 'email');
    for (const email of emails)
      await sendMessage(
        m,
        'break_glass_alert',
        { channel: 'email', to: email.address, subject: `[Rempart – alerte sécurité] ${subject}`, body },
        { accountId },
      );
  }
}

type BreakGlassAsked = Static<typeof BreakGlassBody>;

const BreakGlassGranted = Type.Object({
  id: Type.String(),
  personId: Type.String(),
  classes: Type.Array(Type.String()),
  expiresAt: Type.String(),
});

/**
 * Break-glass: an agent may open a person's file outside their scope, for a written reason,
 * after a fresh second factor, for BREAK_GLASS_MINUTES, and only the classes their
 * organisation's agreement grants for the purpose. The security officer is told at once and
 * reviews every one afterwards.
 */
export function breakGlassRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;

  /** Everything but the relationship must hold: actor, organisation, posture, agreement, role, and classes the purpose grants. */
  async function everythingButTheRelationship(
    actorId: string,
    asked: BreakGlassAsked,
    clientAddress: string,
    now: Date,
  ) {
    const { purpose, caseReference, classes } = asked;
    const decision = await authorizeWithoutPerson(db, {
      actorId,
      purpose,
      caseReference,
      operation: 'read',
      classes,
      clientAddress,
      now,
    });
    // A mandate is the person's own consent (issue 25 §4): no emergency stands in for it.
    return decision.allowed && decision.relationship === 'mandate'
      ? ({ allowed: false, reason: 'operation_not_granted' } as const)
      : decision;
  }

  /** The grant, then the alerts: the security contact and every security officer hear of it at once. */
  async function grantAndAlert(
    staff: NonNullable<FastifyRequest['staff']>,
    personId: string,
    asked: BreakGlassAsked,
    classes: FieldClass[],
    now: Date,
  ): Promise<{ id: string; expiresAt: string }> {
    const granted = await grantBreakGlass(db, {
      actorId: staff.actorId,
      organisationId: staff.organisationId,
      personId,
      purpose: asked.purpose,
      caseReference: asked.caseReference,
      justification: asked.justification,
      classes,
      now,
    });
    await alertBreakGlass(messengerOf(runtime), {
      organisationId: staff.organisationId,
      login: staff.login,
      breakGlassId: granted.id,
      personId,
      purpose: asked.purpose,
      classes,
      expiresAt: granted.expiresAt,
    });
    return granted;
  }

  return async (app) => {
    app.post(
      '/persons/:id/break-glass',
      {
        preHandler: requireRecentSecondFactor(db),
        schema: {
          tags,
          summary: 'Accès d’urgence hors périmètre (bris de glace) : justifié, alerté, limité à 30 minutes, revu',
          security,
          params: PersonIdParams,
          body: BreakGlassBody,
          response: { 201: BreakGlassGranted, ...staffErrorResponses },
        },
      },
      async (request, reply) => {
        const staff = request.staff!;
        const personId = request.params.id;
        const asked = request.body;
        const { purpose, caseReference } = asked;
        const now = new Date();
        const decision = await everythingButTheRelationship(staff.actorId, asked, request.ip, now);
        if (!decision.allowed)
          return refuse(
            db,
            request,
            reply,
            decision.reason,
            { operation: 'break_glass', personId },
            { purpose, caseReference },
          );
        const { id, expiresAt } = await grantAndAlert(staff, personId, asked, decision.classes, now);
        return reply.status(201).send({ id, personId, classes: decision.classes, expiresAt });
      },
    );

    app.post(
      '/break-glass',
      {
        preHandler: requireRecentSecondFactor(db),
        schema: {
          tags,
          summary:
            'Accès d’urgence à un dossier que la recherche n’a pas trouvé dans son périmètre, par un identifiant exact : justifié, alerté, 30 minutes, revu',
          description:
            'La recherche exacte est comptée par la surveillance comme une recherche ; aucun dossier ne correspond : 404 ; plusieurs (homonymes) : 409, précisez le NIR ou l’identifiant France Travail.',
          security,
          body: Type.Object({ ...BreakGlassBody.properties, identifier: SearchBody }, { additionalProperties: false }),
          response: { 201: BreakGlassGranted, ...staffErrorResponses },
        },
      },
      async (request, reply) => {
        const staff = request.staff!;
        const { identifier, ...asked } = request.body;
        const { purpose, caseReference } = asked;
        const searched = searchRequestOf(identifier, 'body.identifier');
        const now = new Date();
        const decision = await everythingButTheRelationship(staff.actorId, asked, request.ip, now);
        if (!decision.allowed)
          return refuse(db, request, reply, decision.reason, { operation: 'break_glass' }, { purpose, caseReference });
        const matches = await runtime.persons.lookup(searched.kind, searched.value);
        // Counted as the search it is: a list of identifiers tried this way is a sweep like any other.
        const swept = await request.server.guard.noteSearch(
          guardedActor(request)!,
          searched.criterion,
          matches,
          matches.length,
        );
        if (await refusedByGuard(db, request, reply, swept, { operation: 'break_glass' }, { purpose, caseReference }))
          return reply;
        if (matches.length === 0) throw new NotFoundError('dossier');
        if (matches.length > 1)
          throw new ConflictError(
            'plusieurs dossiers portent ces nom, prénom et date de naissance : précisez le NIR ou l’identifiant France Travail',
            'several_matches',
          );
        const personId = matches[0]!;
        const { id, expiresAt } = await grantAndAlert(staff, personId, asked, decision.classes, now);
        return reply.status(201).send({ id, personId, classes: decision.classes, expiresAt });
      },
    );
  };
}
