import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../domain/index.ts';
import {
  DESK_REGISTRATION_DAILY_CEILING,
  DESK_REGISTRATION_PROFILE,
  DESK_REGISTRATION_PURPOSE,
  GuardUnavailableError,
  type Admission,
  type GuardedActor,
} from '../../guard/index.ts';
import { networkOf, staffMemberOf } from '../../identity/index.ts';
import { appendEvent, updateEventContext } from '../../ledger/index.ts';
import { can } from '../../policy/index.ts';
import {
  CONSENT_TEXTS,
  ConsentSchema,
  consentTextHash,
  RECEIPT_DELIVERIES,
  RegistrationInputSchema,
  type IntakeOutcome,
} from '../../registration/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import type { Executor } from '../../store/index.ts';
import { refusedByGuard } from '../access.ts';
import { matchedFiles } from '../registration-matches.ts';
import { errorResponses } from '../schemas.ts';
import { requireSession } from '../session.ts';

const tags = ['inscription'];
const security = [{ cookieAuth: [] }];

const DeskBody = Type.Object(
  {
    registration: RegistrationInputSchema,
    consent: ConsentSchema,
    receipt: Type.Enum(RECEIPT_DELIVERIES, {
      description: '« handed » : remis à la personne (l’agent le télécharge) ; « posted » : envoyé par courrier',
    }),
  },
  { additionalProperties: false },
);

const Registered = Type.Object({
  outcome: Type.Literal('registered'),
  intakeId: Type.String(),
  personId: Type.String(),
  franceTravailId: Type.String(),
  category: Type.String(),
  administrativeCategory: Type.Integer(),
  registeredOn: Type.String(),
  receipt: Type.Object({
    delivery: Type.Enum(RECEIPT_DELIVERIES),
    /** A handed receipt: the agent downloads it here. */
    download: Type.Union([Type.String(), Type.Null()]),
  }),
});

const Held = Type.Object({
  outcome: Type.Literal('held_as_duplicate'),
  intakeId: Type.String(),
  reviewId: Type.String(),
  message: Type.String(),
});

const HELD_MESSAGE =
  'Un dossier existant correspond à cette personne (NIR, ou nom et date de naissance) : la demande est transmise à un agent pour vérification, rien n’est fusionné. Le récépissé sera disponible si un nouveau dossier est créé.';

/** An agent of an active organisation whom the abilities table lets register persons, or 403. */
function requireRegistrar(db: Executor) {
  return async function registrar(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const member = request.account ? await staffMemberOf(db, request.account.id) : undefined;
    if (!member || !can(member, 'register', 'persons')) {
      void reply.status(403).send({
        error: 'role_required',
        message: 'Réservé aux conseillers d’une agence France Travail.',
        requestId: request.id,
      });
      return reply;
    }
    if (member.organisationStatus !== 'active' || member.actorStatus !== 'active') {
      void reply.status(403).send({
        error: 'actor_contained',
        message: 'Votre compte ou votre organisation est suspendu : contactez le responsable de la sécurité.',
        requestId: request.id,
      });
      return reply;
    }
    request.staff = member;
    updateEventContext({ actorId: member.actorId, organisationId: member.organisationId });
  };
}

/** The agent as the guard counts a desk registration: under the registration profile, whatever their roles. */
function registrarActor(request: FastifyRequest): GuardedActor {
  const staff = request.staff!;
  return {
    id: staff.actorId,
    organisationId: staff.organisationId,
    accountId: staff.accountId,
    roles: [DESK_REGISTRATION_PROFILE],
    ...(request.session ? { session: { publicId: request.session.public_id, network: request.session.network } } : {}),
  };
}

/** A rule broken inside the guard's transaction (bad input, a conflict) is the caller's error, not the guard's. */
function unwrapped(error: unknown): never {
  const cause = error instanceof GuardUnavailableError ? error.cause : undefined;
  if (
    cause instanceof ValidationError ||
    cause instanceof ConflictError ||
    cause instanceof NotFoundError ||
    cause instanceof ForbiddenError
  )
    throw cause;
  throw error;
}

/**
 * Registration by an agent (issue 25 §1): at the desk with the person present and signing, or from
 * a signed paper form received. The agent's ability is checked before the body is read; every
 * field is checked before anything is counted; then the guard counts the registration in the
 * agent's windows like a read (a stolen desk account creating files en masse is contained as a
 * mass reader is), and in its transaction the intake, the file (or the candidate held as a
 * duplicate) and their events are written together. The receipt is downloaded by the agent (the
 * same count, once per registration) or queued as a letter.
 */
export function staffRegistrationRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  const admitRegistration = (
    request: FastifyRequest,
    subjects: readonly string[],
    work: (trx: Executor) => Promise<void>,
  ) =>
    runtime.guard
      .admit(
        {
          actor: registrarActor(request),
          network: networkOf(request.ip),
          purpose: DESK_REGISTRATION_PURPOSE,
          dailyCeiling: DESK_REGISTRATION_DAILY_CEILING,
          followUpExpected: false,
          personIds: subjects,
        },
        work,
      )
      .catch(unwrapped);
  const refused = (request: FastifyRequest, reply: FastifyReply, admission: Admission, operation: string) =>
    refusedByGuard(db, request, reply, admission, { operation }, { purpose: DESK_REGISTRATION_PURPOSE });

  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('preValidation', requireRegistrar(db));

    app.get(
      '/consent-text',
      {
        schema: {
          tags,
          summary:
            'Le texte de consentement à montrer ou à faire signer avant une inscription par un agent, et son empreinte à enregistrer',
          security,
          response: {
            200: Type.Object({ version: Type.String(), text: Type.String(), textHash: Type.String() }),
            ...errorResponses,
          },
        },
      },
      async () => {
        const current = CONSENT_TEXTS[0]!;
        return { version: current.version, text: current.text, textHash: consentTextHash(current.text) };
      },
    );

    app.post(
      '/',
      {
        schema: {
          tags,
          summary:
            'Inscrire une personne à l’accueil ou saisir son formulaire papier signé : son consentement enregistré, le récépissé remis ou posté',
          security,
          body: DeskBody,
          response: { 201: Registered, 202: Held, ...errorResponses },
        },
      },
      async (request, reply) => {
        const body = runtime.intake.validateDesk(request.body);
        const staff = request.staff!;
        const intakeId = randomUUID();
        let outcome: IntakeOutcome | undefined;
        // The files it matches are counted with it (an agent typing a decoy's identity is contained).
        const matched = await matchedFiles(runtime, [body.registration]);
        const admission = await admitRegistration(request, [intakeId, ...matched], async (trx) => {
          outcome = await runtime.intake.registerAtDesk(
            trx,
            { accountId: staff.accountId, actorId: staff.actorId, organisationId: staff.organisationId },
            body,
            intakeId,
          );
        });
        if (await refused(request, reply, admission, 'register')) return reply;
        if (outcome!.outcome === 'held_as_duplicate')
          return reply
            .status(202)
            .send({ outcome: 'held_as_duplicate', intakeId, reviewId: outcome!.reviewId, message: HELD_MESSAGE });
        const registered = outcome!;
        request.log.info({ personId: registered.personId, intakeId }, 'person registered at the desk');
        return reply.status(201).send({
          outcome: 'registered',
          intakeId,
          personId: registered.personId,
          franceTravailId: registered.franceTravailId,
          category: registered.category,
          administrativeCategory: registered.administrativeCategory,
          registeredOn: registered.registeredOn,
          receipt: {
            delivery: body.receipt,
            download: body.receipt === 'handed' ? `/api/staff/registrations/desk/${intakeId}/receipt` : null,
          },
        });
      },
    );

    app.get(
      '/:intakeId/receipt',
      {
        schema: {
          tags,
          summary:
            'Télécharger le récépissé d’inscription à remettre à la personne (PDF), pour une inscription de son organisation',
          security,
          params: Type.Object({ intakeId: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
          response: { 200: Type.Unknown(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const staff = request.staff!;
        const intakeId = request.params.intakeId;
        let personId: string;
        try {
          ({ personId } = await runtime.intake.handedIntake(intakeId, staff.organisationId));
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          return reply.status(404).send({
            error: 'not_found',
            message: 'Aucun récépissé à remettre pour cette inscription dans votre organisation.',
            requestId: request.id,
            issues: [
              {
                field: 'params.intakeId',
                rule: 'exists',
                message: 'aucun récépissé à remettre ne porte cet identifiant',
              },
            ],
          });
        }
        let content: Buffer | undefined;
        // Counted on the intake, as the registration was: registering and handing its receipt is one person.
        const admission = await admitRegistration(request, [intakeId], async (trx) => {
          await appendEvent(trx, 'access_granted', {
            accountId: staff.accountId,
            actorId: staff.actorId,
            organisationId: staff.organisationId,
            personId,
            purpose: DESK_REGISTRATION_PURPOSE,
            operation: 'registration_receipt',
            classes: ['identity', 'registration'],
            details: { intake: intakeId },
          });
          content = (await runtime.intake.handedReceipt(intakeId, trx)).content;
        });
        if (await refused(request, reply, admission, 'registration_receipt')) return reply;
        return reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="recepisse-${intakeId.slice(0, 8)}.pdf"`)
          .header('cache-control', 'no-store')
          .send(content);
      },
    );
  };
}
