import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { assertNoDirectBankWrite, canonicalPersonPatch, FIELD_CLASS_SCHEMAS, FIELD_CLASSES, PersonPatchSchema, ValidationError, type FieldClass } from '../../domain/index.ts';
import { authorize, authorizeEach, authorizeWithoutPerson, listCaseload, type AccessDecision } from '../../policy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { inTransaction, nameBirthKey } from '../../store/index.ts';
import { PersonIdParams, PersonRecordSchema } from '../schemas.ts';
import { accessErrorResponses as staffErrorResponses, admitted, birthDateReader, ClassesQuery, decisionView, DecisionViewSchema, guardedActor, parseClasses, pipelineRead, purposeOr422, recordGrant, refusedByGuard, refuse } from '../access.ts';
import type { SearchCriterion } from '../../guard/index.ts';
import { appendEvent } from '../../ledger/index.ts';

const tags = ['agents'];
const security = [{ cookieAuth: [] }];


const StaffPersonView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Enum(['active', 'erased']),
  fields: PersonRecordSchema.properties.fields,
  decision: DecisionViewSchema,
});

const SearchBody = Type.Object(
  {
    nir: Type.Optional(Type.String({ minLength: 13, maxLength: 21, description: 'NIR exact (13 chiffres, clé facultative)' })),
    franceTravailId: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'identifiant France Travail exact' })),
    person: Type.Optional(
      Type.Object(
        {
          lastName: Type.String({ minLength: 1, maxLength: 100, description: 'nom de naissance complet (ni joker ni préfixe)' }),
          firstName: Type.String({ minLength: 1, maxLength: 60, description: 'premier prénom complet' }),
          birthDate: Type.String({ format: 'date', description: 'date de naissance' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** One follow-up action, as the follow_up class holds it. */
const FollowUpActionSchema = FIELD_CLASS_SCHEMAS.follow_up.properties.actions.items;
const FOLLOW_UP_MAX_ACTIONS = Number((FIELD_CLASS_SCHEMAS.follow_up.properties.actions as { maxItems?: number }).maxItems ?? 200);

const CaseloadQuery = Type.Object(
  {
    page: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$' })),
    pageSize: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })),
  },
  { additionalProperties: false },
);


/**
 * The staff's file API: every request declares a purpose and a case reference, is decided by
 * the policy (agreement × purpose × relationship × posture), recorded, and then decrypts
 * exactly the classes the decision names.
 */
export function staffPersonRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;

  const birthDateOf = birthDateReader(runtime.persons);

  async function decideFor(request: FastifyRequest, personId: string, purpose: { purpose: string; caseReference: string }, operation: 'read' | 'write', classes?: FieldClass[]): Promise<AccessDecision> {
    return authorize(db, {
      actorId: request.staff!.actorId,
      personId,
      purpose: purpose.purpose,
      caseReference: purpose.caseReference,
      operation,
      ...(classes ? { classes } : {}),
      clientAddress: request.ip,
      now: new Date(),
      birthDateOf,
    });
  }

  /** Everything but the person, for routes that do not name one yet: refused here, or the allowed decision. */
  async function decideWithoutPerson(request: FastifyRequest, reply: FastifyReply, operation: string, purpose: { purpose: string; caseReference: string }, classes?: FieldClass[]) {
    const decision = await authorizeWithoutPerson(db, { actorId: request.staff!.actorId, purpose: purpose.purpose, caseReference: purpose.caseReference, operation: 'read', ...(classes ? { classes } : {}), clientAddress: request.ip, now: new Date() });
    if (!decision.allowed) {
      await refuse(db, request, reply, decision.reason, { operation }, purpose);
      return undefined;
    }
    return decision;
  }

  return async (app) => {
    app.get(
      '/persons/:id',
      { schema: { tags, summary: 'Lire un dossier : les seules classes de données que la décision autorise', security, params: PersonIdParams, querystring: ClassesQuery, response: { 200: StaffPersonView, ...staffErrorResponses } } },
      async (request, reply) => {
        const personId = request.params.id;
        const classes = parseClasses(request.query.classes);
        const purpose = await purposeOr422(db, request, reply, { operation: 'read', personId });
        if (!purpose) return reply;
        return (await pipelineRead(db, runtime.access, request, reply, purpose, personId, classes)) ?? reply;
      },
    );

    app.patch(
      '/persons/:id',
      {
        schema: {
          tags,
          summary: 'Modifier des classes de données, si la décision les autorise en écriture (null supprime une classe)',
          security,
          params: PersonIdParams,
          body: PersonPatchSchema,
          response: { 200: Type.Object({ id: Type.String(), written: Type.Array(Type.String()), decision: DecisionViewSchema }), ...staffErrorResponses },
        },
      },
      async (request, reply) => {
        const personId = request.params.id;
        const patch = canonicalPersonPatch(request.body, 'body');
        assertNoDirectBankWrite(patch, 'POST /api/staff/persons/{id}/bank-details/changes');
        const written = FIELD_CLASSES.filter((c) => patch[c] !== undefined);
        if (written.length === 0) throw new ValidationError([{ field: 'body', rule: 'minProperties', message: 'au moins une classe de données à modifier' }]);
        const purpose = await purposeOr422(db, request, reply, { operation: 'write', personId });
        if (!purpose) return reply;
        const decision = await decideFor(request, personId, purpose, 'write', written);
        if (!decision.allowed) return refuse(db, request, reply, decision.reason, { operation: 'write', personId }, purpose);
        // One transaction: the write and its event, or neither.
        await inTransaction(db, async (trx) => {
          await recordGrant(trx, request, decision, { operation: 'write', personId });
          await runtime.persons.update(personId, patch, trx);
          // A follow-up: what a person doing their job does with the files they read.
          await runtime.guard.noteFollowUp(trx, request.staff!.actorId, personId);
        });
        return { id: personId, written: decision.classes, decision: decisionView(decision) };
      },
    );

    app.post(
      '/persons/:id/follow-up/actions',
      {
        schema: {
          tags,
          summary: 'Enregistrer une action de suivi : ajoutée à la classe follow_up (écriture décidée par la convention), sans écraser une action enregistrée au même moment',
          security,
          params: PersonIdParams,
          body: FollowUpActionSchema,
          response: { 201: Type.Object({ id: Type.String(), actions: Type.Integer({ description: 'nombre d’actions du suivi' }), decision: DecisionViewSchema }), ...staffErrorResponses },
        },
      },
      async (request, reply) => {
        const personId = request.params.id;
        const purpose = await purposeOr422(db, request, reply, { operation: 'write', personId });
        if (!purpose) return reply;
        const decision = await decideFor(request, personId, purpose, 'write', ['follow_up']);
        if (!decision.allowed) return refuse(db, request, reply, decision.reason, { operation: 'write', personId }, purpose);
        // One transaction: the event, the appended action and the follow-up note, or none of them.
        const actions = await inTransaction(db, async (trx) => {
          await recordGrant(trx, request, decision, { operation: 'write', personId });
          const next = await runtime.persons.modify(
            personId,
            'follow_up',
            (current) => {
              const base = current ?? { appointments: [], actions: [] };
              if (base.actions.length >= FOLLOW_UP_MAX_ACTIONS) throw new ValidationError([{ field: 'body', rule: 'maxItems', message: `le suivi compte déjà ${FOLLOW_UP_MAX_ACTIONS} actions` }]);
              return { ...base, actions: [...base.actions, request.body] };
            },
            trx,
          );
          await runtime.guard.noteFollowUp(trx, request.staff!.actorId, personId);
          return next.actions.length;
        });
        return reply.status(201).send({ id: personId, actions, decision: decisionView(decision) });
      },
    );

    app.post(
      '/persons/search',
      {
        schema: {
          tags,
          summary: 'Retrouver un dossier de son périmètre par critère exact (NIR, identifiant France Travail, ou nom, prénom et date de naissance) : ni joker, ni préfixe, ni liste',
          security,
          body: SearchBody,
          response: { 200: Type.Object({ results: Type.Array(Type.Object({ id: Type.String(), identity: Type.Optional(FIELD_CLASS_SCHEMAS.identity) })) }), ...staffErrorResponses },
        },
      },
      async (request, reply) => {
        const given = (['nir', 'franceTravailId', 'person'] as const).filter((k) => request.body[k] !== undefined);
        if (given.length !== 1) throw new ValidationError([{ field: 'body', rule: 'oneOf', message: 'un seul critère exact : nir, franceTravailId, ou person (nom, prénom et date de naissance)' }]);
        const kind = given[0] === 'nir' ? 'nir' : given[0] === 'franceTravailId' ? 'france_travail_id' : 'name_birth';
        const { person } = request.body;
        const searched = person ? nameBirthKey(person.lastName, person.firstName, person.birthDate) : request.body[given[0] as 'nir' | 'franceTravailId']!;
        const purpose = await purposeOr422(db, request, reply, { operation: 'search' });
        if (!purpose) return reply;
        // Refused for the caller's own reasons (posture, role, purpose) before looking anything up.
        if (!(await decideWithoutPerson(request, reply, 'search', purpose, ['identity']))) return reply;
        const matches = await runtime.persons.lookup(kind, searched);
        // The actor and organisation are loaded once for all the matches, each person then decided.
        const decisions = await authorizeEach(
          db,
          { actorId: request.staff!.actorId, purpose: purpose.purpose, caseReference: purpose.caseReference, operation: 'read', classes: ['identity'], clientAddress: request.ip, now: new Date(), birthDateOf },
          matches,
        );
        const allowed: Array<Extract<AccessDecision, { allowed: true }> & { personId: string }> = [];
        decisions.forEach((decision, i) => {
          if (decision.allowed) allowed.push({ ...decision, personId: matches[i]! });
        });
        // The guard sees the search's shape (never the identifier) before anything leaves: a sweep stops here.
        const criterion: SearchCriterion = person ? { kind: 'name_birth', ...person } : { kind: kind as 'nir' | 'france_travail_id', value: searched };
        const swept = await runtime.guard.noteSearch(guardedActor(request)!, criterion, matches, allowed.length);
        if (await refusedByGuard(db, request, reply, swept, { operation: 'search' }, purpose)) return reply;
        if (allowed.length && !(await admitted(db, request, reply, allowed[0]!, allowed.map((a) => a.personId), 'search', allowed))) return reply;
        // The search is recorded without the identifier searched; a miss and a match out of scope look the same.
        await appendEvent(db, 'person_search', {
          actorId: request.staff!.actorId,
          purpose: purpose.purpose,
          caseReference: purpose.caseReference,
          operation: 'search',
          details: { kind, results: allowed.length },
        });
        const results = [];
        for (const decision of allowed) {
          const record = await runtime.persons.read(decision.personId, ['identity']);
          results.push({ id: decision.personId, ...(record.fields.identity ? { identity: record.fields.identity } : {}) });
        }
        return { results };
      },
    );

    app.get(
      '/caseload',
      {
        schema: {
          tags,
          summary: 'Mon portefeuille actif (conseiller), page par page : identifiants des dossiers, filtrés et comptés en base',
          security,
          querystring: CaseloadQuery,
          response: { 200: Type.Object({ page: Type.Integer(), pageSize: Type.Integer(), total: Type.Integer(), items: Type.Array(Type.Object({ id: Type.String() })) }), ...staffErrorResponses },
        },
      },
      async (request, reply) => {
        const purpose = await purposeOr422(db, request, reply, { operation: 'list_caseload' });
        if (!purpose) return reply;
        const decision = await decideWithoutPerson(request, reply, 'list_caseload', purpose);
        if (!decision) return reply;
        if (decision.relationship !== 'caseload') return refuse(db, request, reply, 'operation_not_granted', { operation: 'list_caseload' }, purpose);
        const page = await listCaseload(db, request.staff!.actorId, { page: Number(request.query.page ?? 1), pageSize: Number(request.query.pageSize ?? 50) });
        await appendEvent(db, 'access_granted', {
          actorId: request.staff!.actorId,
          purpose: decision.purpose,
          caseReference: decision.caseReference,
          operation: 'list_caseload',
          details: { page: page.page, count: page.personIds.length },
        });
        return { page: page.page, pageSize: page.pageSize, total: page.total, items: page.personIds.map((id) => ({ id })) };
      },
    );
  };
}
