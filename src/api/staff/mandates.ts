import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ConflictError, NotFoundError, ValidationError, validate, type FieldClass } from '../../domain/index.ts';
import type { MandateScope } from '../../domain/mandates.ts';
import { networkOf } from '../../identity/index.ts';
import { renderReport } from '../../incidents/index.ts';
import { appendEvent } from '../../ledger/index.ts';
import { Mandates, type MandateView } from '../../mandates/index.ts';
import { can, declarablePurposes, loadOrganisation } from '../../policy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { DeclarationSchema } from '../../updates/index.ts';
import { grantEvent } from '../../access/index.ts';
import {
  accessErrorResponses,
  admitted,
  answerRefusal,
  callerOf,
  decisionView,
  DecisionViewSchema,
  guardedActor,
  pipelineRead,
  purposeOr422,
  refuse,
  refusedByGuard,
} from '../access.ts';
import type { DeclaredPurpose } from '../purpose.ts';
import { PersonRecordSchema } from '../schemas.ts';
import { certificateViews } from '../me/employer-certificates.ts';

const tags = ['aidants France Services'];
const security = [{ cookieAuth: [] }];
// Views are documented by their TypeScript types (src/mandates/model.ts: MandateView).
const Loose = Type.Unknown();
const Params = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const PersonMandateParams = Type.Object(
  { personId: Type.String({ format: 'uuid' }), id: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);
const PersonParams = Type.Object({ personId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
/** What an aidant reads under a mandate: exactly the classes decided (its step's), recorded first. */
const AssistedFileView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Enum(['active', 'erased']),
  fields: PersonRecordSchema.properties.fields,
  decision: DecisionViewSchema,
});

/** The case reference an act under a mandate is recorded with: the mandate itself. */
function mandateCase(id: string): string {
  return `mandat:${id}`;
}

function isAidant(request: FastifyRequest, reply: FastifyReply): boolean {
  if (request.staff!.roles.includes('aidant')) return true;
  void reply.status(403).send({
    error: 'role_required',
    message: 'Réservé aux aidants France Services.',
    requestId: request.id,
  });
  return false;
}

/**
 * The purpose of the aidant's agreement that acts in a step of a mandate (`mandateScope`), as the
 * policy reads the agreements: none, and the aidant's house has no agreement for that step.
 */
async function purposeForScope(
  runtime: Runtime,
  request: FastifyRequest,
  scope: MandateScope,
): Promise<{ purpose: string; read: FieldClass[] } | undefined> {
  const staff = request.staff!;
  const now = new Date();
  const organisation = await loadOrganisation(runtime.database.db, staff.organisationId, now, request.ip);
  const governing = organisation
    ? declarablePurposes(organisation, staff.roles, now).find(
        (g) => g.rule.relationship === 'mandate' && g.rule.mandateScope === scope,
      )
    : undefined;
  return governing ? { purpose: governing.rule.purpose, read: [...governing.rule.read] } : undefined;
}

/** The aidant's own mandate (another aidant's is one that does not exist), or a 404 answered. */
async function ownMandate(
  runtime: Runtime,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
): Promise<MandateView | undefined> {
  const mandate = await runtime.mandates.one(id);
  if (mandate && mandate.helper.actorId === request.staff!.actorId) return mandate;
  void reply.status(404).send({ error: 'not_found', message: 'Mandat introuvable.', requestId: request.id });
  return undefined;
}

/**
 * What an act under a mandate declares: the purpose of its step and the mandate as the case; a
 * step the aidant's house has no agreement for is refused (recorded) before anything else.
 */
async function declaredFor(
  runtime: Runtime,
  request: FastifyRequest,
  reply: FastifyReply,
  mandate: MandateView,
  scope: MandateScope,
  operation: string,
): Promise<(DeclaredPurpose & { read: FieldClass[] }) | undefined> {
  const found = await purposeForScope(runtime, request, scope);
  if (!found) {
    await refuse(runtime.database.db, request, reply, 'operation_not_granted', {
      operation,
      personId: mandate.personId,
    });
    return undefined;
  }
  return { purpose: found.purpose, caseReference: mandateCase(mandate.id), read: found.read };
}

/**
 * A France Services aidant and their mandates (issue 25 §4): prepare one with the person (it does
 * nothing until the person confirms it), confirm it with the code the person received, and act
 * within its steps only — each act decided by the policy over the `mandate` relationship (the
 * person's confirmed mandate to this aidant for that step), counted by the guard, recorded naming
 * the mandate. And an agency's agent recording a letter by which a person withdraws a mandate.
 */
export function staffMandateRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.get(
      '/mandates',
      {
        schema: {
          tags,
          summary: 'Les mandats que j’ai préparés (aidant), du plus récent au plus ancien',
          security,
          response: { 200: Loose, ...accessErrorResponses },
        },
      },
      async (request, reply) => {
        if (!isAidant(request, reply)) return reply;
        return { mandates: await runtime.mandates.ofHelper(request.staff!.actorId) };
      },
    );

    app.post(
      '/mandates',
      {
        schema: {
          tags,
          summary:
            'Préparer un mandat avec la personne (démarches, durée, consentement) : un code part vers son moyen de contact vérifié ; le mandat ne fait rien tant qu’elle ne l’a pas confirmé',
          security,
          body: Loose,
          response: { 201: Loose, ...accessErrorResponses },
        },
      },
      async (request, reply) => {
        if (!isAidant(request, reply)) return reply;
        // Bad fields first: a 400 naming them, nothing looked up nor written.
        const body = Mandates.parseRequest(request.body);
        const staff = request.staff!;
        // Each step asked for must be one the aidant's agreement acts in, decided as any access is.
        for (const scope of body.scopes) {
          const found = await purposeForScope(runtime, request, scope);
          if (!found) return refuse(db, request, reply, 'operation_not_granted', { operation: 'mandate_request' });
          const declared = { purpose: found.purpose, caseReference: 'mandat:nouveau' };
          const decision = await runtime.access.decideWithoutPerson(callerOf(request, declared), 'read', found.read);
          if (!decision.allowed)
            return refuse(db, request, reply, decision.reason, { operation: 'mandate_request' }, declared);
        }
        // Finding the person is a search by identifier: the guard counts it, misses included.
        const matches = await runtime.persons.lookup('france_travail_id', body.franceTravailId);
        const personId = matches.length === 1 ? matches[0]! : undefined;
        const admission = await runtime.guard.noteSearch(
          guardedActor(request)!,
          { kind: 'france_travail_id', value: body.franceTravailId },
          matches,
          personId ? 1 : 0,
        );
        if (
          await refusedByGuard(db, request, reply, admission, {
            operation: 'mandate_request',
            ...(personId ? { personId } : {}),
          })
        )
          return reply;
        await appendEvent(db, 'person_search', {
          actorId: staff.actorId,
          operation: 'search',
          details: { kind: 'france_travail_id', results: personId ? 1 : 0, via: 'mandate_request' },
        });
        if (!personId)
          return reply.status(404).send({
            error: 'not_found',
            message: 'Aucun dossier ne porte cet identifiant France Travail.',
            issues: [
              { field: 'body.franceTravailId', rule: 'exists', message: 'aucun dossier ne porte cet identifiant' },
            ],
            requestId: request.id,
          });
        const prepared = await runtime.mandates.prepare(
          { actorId: staff.actorId, organisationId: staff.organisationId },
          personId,
          body,
        );
        return reply.status(201).send(prepared);
      },
    );

    app.get(
      '/mandates/:id',
      {
        schema: {
          tags,
          summary: 'Un mandat que j’ai préparé : son texte, son état, ses démarches',
          security,
          params: Params,
          response: { 200: Loose, ...accessErrorResponses },
        },
      },
      async (request, reply) => {
        if (!isAidant(request, reply)) return reply;
        return (await ownMandate(runtime, request, reply, request.params.id)) ?? reply;
      },
    );

    app.get(
      '/mandates/:id/pdf',
      {
        schema: {
          tags,
          summary:
            'Le mandat imprimable (PDF) à faire signer en personne : son texte, son empreinte SHA-256 et les cases de signature',
          security,
          params: Params,
          response: { 200: Type.Unknown({ description: 'application/pdf' }), ...accessErrorResponses },
        },
      },
      async (request, reply) => {
        if (!isAidant(request, reply)) return reply;
        const mandate = await ownMandate(runtime, request, reply, request.params.id);
        if (!mandate) return reply;
        const content = await renderReport(
          new Date(mandate.createdAt),
          'Mandat d’aide aux démarches auprès de France Travail',
          `${mandate.helper.name} — ${mandate.organisation.name}`,
          [
            {
              heading: 'Texte du mandat',
              lines: mandate.text.split('\n').map((line) => ['', line] as [string, string]),
            },
            {
              heading: 'Signatures',
              lines: [
                ['La personne (nom, date et signature)', ''],
                ['', ' '],
                [`L’aidant(e), ${mandate.helper.name}`, ''],
              ],
            },
            { heading: 'Empreinte du texte', lines: [['SHA-256', mandate.textSha256]] },
          ],
        );
        return reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="mandat-${mandate.id}.pdf"`)
          .header('cache-control', 'no-store')
          .send(content);
      },
    );

    app.post(
      '/mandates/:id/confirm',
      {
        schema: {
          tags,
          summary: 'Saisir le code que la personne a reçu : le mandat fonctionne dès maintenant (cinq essais au plus)',
          security,
          params: Params,
          body: Loose,
          response: { 200: Loose, ...accessErrorResponses },
        },
      },
      async (request, reply) => {
        if (!isAidant(request, reply)) return reply;
        return runtime.mandates.confirmByCode(request.staff!.actorId, request.params.id, request.body);
      },
    );

    app.get(
      '/mandates/:id/registration',
      {
        schema: {
          tags,
          summary:
            'Sous mandat (démarche « inscription ») : l’inscription et les coordonnées de la personne, lecture décidée et journalisée',
          security,
          params: Params,
          response: { 200: AssistedFileView, ...accessErrorResponses },
        },
      },
      async (request, reply) => {
        if (!isAidant(request, reply)) return reply;
        const mandate = await ownMandate(runtime, request, reply, request.params.id);
        if (!mandate) return reply;
        const declared = await declaredFor(runtime, request, reply, mandate, 'registration', 'read');
        if (!declared) return reply;
        const { read, ...purpose } = declared;
        return (await pipelineRead(db, runtime.access, request, reply, purpose, mandate.personId, read)) ?? reply;
      },
    );

    app.get(
      '/mandates/:id/documents',
      {
        schema: {
          tags,
          summary:
            'Sous mandat (démarche « documents ») : les attestations employeur de la personne, lecture décidée et journalisée',
          security,
          params: Params,
          response: { 200: Loose, ...accessErrorResponses },
        },
      },
      async (request, reply) => {
        if (!isAidant(request, reply)) return reply;
        const mandate = await ownMandate(runtime, request, reply, request.params.id);
        if (!mandate) return reply;
        const declared = await declaredFor(runtime, request, reply, mandate, 'documents', 'read_certificates');
        if (!declared) return reply;
        const { read: _read, ...purpose } = declared;
        void _read;
        const personId = mandate.personId;
        const result = await runtime.access.readCertificates(callerOf(request, purpose), personId);
        if (result.outcome !== 'read')
          return answerRefusal(db, request, reply, result, { operation: 'read_certificates', personId }, purpose);
        return {
          certificates: await certificateViews(runtime, result.records),
          decision: decisionView(result.decision),
        };
      },
    );

    app.post(
      '/mandates/:id/monthly-update',
      {
        schema: {
          tags,
          summary:
            'Sous mandat (démarche « actualisation ») : déclarer avec la personne son actualisation du mois, à son nom, l’aidant et le mandat journalisés',
          security,
          params: Params,
          body: Loose,
          response: { 201: Loose, ...accessErrorResponses },
        },
      },
      async (request, reply) => {
        if (!isAidant(request, reply)) return reply;
        // Bad fields first: a 400 naming them, nothing decided nor written.
        validate(DeclarationSchema, request.body, 'body');
        const mandate = await ownMandate(runtime, request, reply, request.params.id);
        if (!mandate) return reply;
        const declared = await declaredFor(runtime, request, reply, mandate, 'update', 'assisted_update');
        if (!declared) return reply;
        const { read: _read, ...purpose } = declared;
        void _read;
        const personId = mandate.personId;
        const caller = callerOf(request, purpose);
        const decision = await runtime.access.decide(caller, personId, 'write', ['benefits']);
        if (!decision.allowed)
          return refuse(db, request, reply, decision.reason, { operation: 'assisted_update', personId }, purpose);
        let declaration: unknown;
        // Counted by the guard like a read of the person, and recorded in its transaction with the declaration.
        const admission = await runtime.guard
          .admit(
            {
              actor: caller.guarded,
              network: networkOf(request.ip),
              purpose: decision.purpose,
              dailyCeiling: decision.obligations.dailyCeiling,
              followUpExpected: false,
              personIds: [personId],
            },
            async (trx) => {
              await appendEvent(
                trx,
                'access_granted',
                grantEvent(caller, decision, personId, 'assisted_update', ['benefits']),
              );
              declaration = await runtime.monthlyUpdates.declare(personId, null, request.body, {
                actorId: caller.guarded.id,
                mandateId: decision.mandateId!,
                executor: trx,
              });
            },
          )
          .catch((error: unknown) => {
            // A closed window or a registration that does not update: the transaction rolled back, nothing written.
            const cause = (error as { cause?: unknown }).cause;
            throw cause instanceof ConflictError || cause instanceof ValidationError ? cause : error;
          });
        if (await refusedByGuard(db, request, reply, admission, { operation: 'assisted_update', personId }, purpose))
          return reply;
        return reply.status(201).send({ declaration, decision: decisionView(decision) });
      },
    );

    // An agency's agent and a person's mandates (a letter withdrawing one, seen at the desk).
    const mayRecordLetters = (request: FastifyRequest, reply: FastifyReply): boolean => {
      if (can(request.staff!, 'record', 'mandate_revocation_letters')) return true;
      void reply.status(403).send({
        error: 'role_required',
        message: 'Réservé aux conseillers d’une agence.',
        requestId: request.id,
      });
      return false;
    };

    /** The agent's declared purpose decided for the person (a read of `identity`), admitted and recorded; or answered. */
    const decidedForPerson = async (
      request: FastifyRequest,
      reply: FastifyReply,
      personId: string,
      operation: string,
    ): Promise<boolean> => {
      const purpose = await purposeOr422(db, request, reply, { operation, personId });
      if (!purpose) return false;
      const decision = await runtime.access.decide(callerOf(request, purpose), personId, 'read', ['identity']);
      if (!decision.allowed) {
        await refuse(db, request, reply, decision.reason, { operation, personId }, purpose);
        return false;
      }
      return (await admitted(db, request, reply, decision, [personId], operation)) !== false;
    };

    app.get(
      '/persons/:personId/mandates',
      {
        schema: {
          tags,
          summary:
            'Les mandats d’une personne (agent d’agence, finalité déclarée et décidée pour cette personne, journalisé)',
          security,
          params: PersonParams,
          response: { 200: Loose, ...accessErrorResponses },
        },
      },
      async (request, reply) => {
        if (!mayRecordLetters(request, reply)) return reply;
        const { personId } = request.params;
        if (!(await decidedForPerson(request, reply, personId, 'read_mandates'))) return reply;
        return { mandates: await runtime.mandates.ofPerson(personId) };
      },
    );

    app.post(
      '/persons/:personId/mandates/:id/revocation-letter',
      {
        schema: {
          tags,
          summary:
            'Enregistrer le courrier par lequel une personne retire un mandat (toutes ses démarches, ou celles nommées)',
          security,
          params: PersonMandateParams,
          body: Loose,
          response: { 200: Loose, ...accessErrorResponses },
        },
      },
      async (request, reply) => {
        if (!mayRecordLetters(request, reply)) return reply;
        const { personId, id } = request.params;
        if (!(await decidedForPerson(request, reply, personId, 'revoke_mandate'))) return reply;
        try {
          return await runtime.mandates.revokeByLetter(request.staff!.actorId, personId, id, request.body);
        } catch (error) {
          if (error instanceof NotFoundError)
            return reply
              .status(404)
              .send({ error: 'not_found', message: 'Mandat introuvable.', requestId: request.id });
          throw error;
        }
      },
    );
  };
}
