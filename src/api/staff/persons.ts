import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import {
  assertNoDirectBankWrite,
  canonicalPersonPatch,
  FIELD_CLASS_SCHEMAS,
  FIELD_CLASSES,
  isValidFranceTravailId,
  isValidNir,
  PersonPatchSchema,
  ValidationError,
} from '../../domain/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { nameBirthKey } from '../../store/index.ts';
import { PersonIdParams, PersonRecordSchema } from '../schemas.ts';
import {
  accessErrorResponses as staffErrorResponses,
  answerRefusal,
  callerOf,
  ClassesQuery,
  decisionView,
  DecisionViewSchema,
  parseClasses,
  pipelineRead,
  purposeOr422,
} from '../access.ts';
import type { SearchCriterion } from '../../guard/index.ts';
import { LIST_SORTS, type SearchRequest } from '../../access/index.ts';
import type { BlindIndexKind } from '../../crypto/index.ts';

const tags = ['agents'];
const security = [{ cookieAuth: [] }];

const StaffPersonView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Enum(['active', 'erased']),
  fields: PersonRecordSchema.properties.fields,
  decision: DecisionViewSchema,
});

export const SearchBody = Type.Object(
  {
    nir: Type.Optional(
      Type.String({ minLength: 13, maxLength: 21, description: 'NIR exact : 13 chiffres et la clé (espaces admis)' }),
    ),
    franceTravailId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 32, description: 'identifiant France Travail exact' }),
    ),
    person: Type.Optional(
      Type.Object(
        {
          lastName: Type.String({
            minLength: 1,
            maxLength: 100,
            description: 'nom de naissance complet (ni joker ni préfixe)',
          }),
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
const FOLLOW_UP_MAX_ACTIONS = Number(
  (FIELD_CLASS_SCHEMAS.follow_up.properties.actions as { maxItems?: number }).maxItems ?? 200,
);

const AppointmentView = Type.Union([Type.Object({ at: Type.String(), kind: Type.String() }), Type.Null()]);

const ListQuery = Type.Object(
  {
    page: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$', description: 'numéro de page, à partir de 1' })),
    pageSize: Type.Optional(
      Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: 'personnes par page (200 au plus)' }),
    ),
    sort: Type.Optional(
      Type.Enum([...LIST_SORTS], {
        description: 'appointment : prochain rendez-vous ; since : arrivée la plus récente ; name : nom',
      }),
    ),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'partie d’un nom ou d’un prénom' })),
  },
  { additionalProperties: false },
);

const ListPage = Type.Object({
  page: Type.Integer(),
  pageSize: Type.Integer(),
  total: Type.Integer(),
  items: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      identity: Type.Object({
        lastName: Type.String(),
        usageName: Type.Optional(Type.String()),
        firstName: Type.String(),
        birthDate: Type.String({ format: 'date' }),
      }),
      since: Type.String(),
      nextAppointment: AppointmentView,
      lastAppointment: AppointmentView,
    }),
  ),
});

export type SearchBodyValue = Static<typeof SearchBody>;

/**
 * One exact identifier, checked, as the lookup and the guard take it (the guard sees its shape,
 * never the identifier); `field` names where it was given, for the error.
 */
export function searchRequestOf(body: SearchBodyValue, field: string): SearchRequest {
  const given = (['nir', 'franceTravailId', 'person'] as const).filter((k) => body[k] !== undefined);
  if (given.length !== 1)
    throw new ValidationError([
      {
        field,
        rule: 'oneOf',
        message: 'un seul critère exact : nir, franceTravailId, ou person (nom, prénom et date de naissance)',
      },
    ]);
  // A malformed identifier can match nobody: refused as such, before any lookup (and before the guard counts a miss).
  if (body.nir !== undefined && !isValidNir(body.nir)) {
    throw new ValidationError([
      {
        field: `${field}.nir`,
        rule: 'nir',
        message: 'le NIR comporte 13 chiffres et sa clé de 2 chiffres (2A ou 2B pour la Corse), et doit être valide',
      },
    ]);
  }
  if (body.franceTravailId !== undefined && !isValidFranceTravailId(body.franceTravailId)) {
    throw new ValidationError([
      {
        field: `${field}.franceTravailId`,
        rule: 'franceTravailId',
        message: 'l’identifiant France Travail comporte 7 chiffres suivis d’une lettre ou d’un chiffre',
      },
    ]);
  }
  const kind: BlindIndexKind =
    given[0] === 'nir' ? 'nir' : given[0] === 'franceTravailId' ? 'france_travail_id' : 'name_birth';
  const { person } = body;
  const searched = person
    ? nameBirthKey(person.lastName, person.firstName, person.birthDate)
    : body[given[0] as 'nir' | 'franceTravailId']!;
  // The guard sees the search's shape, never the identifier.
  const criterion: SearchCriterion = person
    ? { kind: 'name_birth', ...person }
    : { kind: kind as 'nir' | 'france_travail_id', value: searched };
  return { kind, value: searched, criterion };
}

/**
 * The staff's file API: every request declares a purpose and a case reference, is decided by
 * the policy (agreement × purpose × relationship × posture), recorded, and then decrypts
 * exactly the classes the decision names.
 */
export function staffPersonRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;

  return async (app) => {
    app.get(
      '/persons/:id',
      {
        schema: {
          tags,
          summary: 'Lire un dossier : les seules classes de données que la décision autorise',
          security,
          params: PersonIdParams,
          querystring: ClassesQuery,
          response: { 200: StaffPersonView, ...staffErrorResponses },
        },
      },
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
          summary:
            'Modifier des classes de données, si la décision les autorise en écriture (null supprime une classe)',
          security,
          params: PersonIdParams,
          body: PersonPatchSchema,
          response: {
            200: Type.Object({ id: Type.String(), written: Type.Array(Type.String()), decision: DecisionViewSchema }),
            ...staffErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const personId = request.params.id;
        const patch = canonicalPersonPatch(request.body, 'body');
        assertNoDirectBankWrite(patch, 'POST /api/staff/persons/{id}/bank-details/changes');
        const written = FIELD_CLASSES.filter((c) => patch[c] !== undefined);
        if (written.length === 0)
          throw new ValidationError([
            { field: 'body', rule: 'minProperties', message: 'au moins une classe de données à modifier' },
          ]);
        const purpose = await purposeOr422(db, request, reply, { operation: 'write', personId });
        if (!purpose) return reply;
        const result = await runtime.access.write(callerOf(request, purpose), personId, patch);
        if (result.outcome !== 'written')
          return answerRefusal(db, request, reply, result, { operation: 'write', personId }, purpose);
        // A rewritten email, phone or address is announced at once on the channels known before it.
        if (patch.contact !== undefined) {
          // The write is committed: a failed announcement is retried by the scheduler (and the bank change stays held meanwhile).
          await runtime.bank
            .announceContactChanges(personId)
            .catch((error: unknown) =>
              request.log.error({ err: { message: String(error) } }, 'contact change not announced yet'),
            );
        }
        const { decision } = result;
        return { id: personId, written: decision.classes, decision: decisionView(decision) };
      },
    );

    app.post(
      '/persons/:id/follow-up/actions',
      {
        schema: {
          tags,
          summary:
            'Enregistrer une action de suivi : ajoutée à la classe follow_up (écriture décidée par la convention), sans écraser une action enregistrée au même moment',
          security,
          params: PersonIdParams,
          body: FollowUpActionSchema,
          response: {
            201: Type.Object({
              id: Type.String(),
              actions: Type.Integer({ description: 'nombre d’actions du suivi' }),
              decision: DecisionViewSchema,
            }),
            ...staffErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const personId = request.params.id;
        const purpose = await purposeOr422(db, request, reply, { operation: 'write', personId });
        if (!purpose) return reply;
        const result = await runtime.access.modify(callerOf(request, purpose), personId, 'follow_up', (current) => {
          const base = current ?? { appointments: [], actions: [] };
          if (base.actions.length >= FOLLOW_UP_MAX_ACTIONS)
            throw new ValidationError([
              { field: 'body', rule: 'maxItems', message: `le suivi compte déjà ${FOLLOW_UP_MAX_ACTIONS} actions` },
            ]);
          return { ...base, actions: [...base.actions, request.body] };
        });
        if (result.outcome !== 'written')
          return answerRefusal(db, request, reply, result, { operation: 'write', personId }, purpose);
        const { decision } = result;
        const actions = result.value.actions.length;
        return reply.status(201).send({ id: personId, actions, decision: decisionView(decision) });
      },
    );

    app.post(
      '/persons/search',
      {
        schema: {
          tags,
          summary:
            'Retrouver un dossier de son périmètre par critère exact (NIR, identifiant France Travail, ou nom, prénom et date de naissance) : ni joker, ni préfixe, ni liste',
          security,
          body: SearchBody,
          response: {
            200: Type.Object({
              results: Type.Array(
                Type.Object({ id: Type.String(), identity: Type.Optional(FIELD_CLASS_SCHEMAS.identity) }),
              ),
            }),
            ...staffErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const searched = searchRequestOf(request.body, 'body');
        const purpose = await purposeOr422(db, request, reply, { operation: 'search' });
        if (!purpose) return reply;
        const result = await runtime.access.search(callerOf(request, purpose), searched);
        if (result.outcome !== 'found')
          return answerRefusal(db, request, reply, result, { operation: 'search' }, purpose);
        const { results } = result;
        return { results };
      },
    );

    const listRoute = (path: '/caseload' | '/referrals', relationship: 'caseload' | 'referral', summary: string) =>
      app.get(
        path,
        {
          schema: {
            tags,
            summary,
            security,
            querystring: ListQuery,
            response: { 200: ListPage, ...staffErrorResponses },
          },
        },
        async (request, reply) => {
          const operation = relationship === 'caseload' ? 'list_caseload' : 'list_referrals';
          const purpose = await purposeOr422(db, request, reply, { operation });
          if (!purpose) return reply;
          const filter = request.query.q?.trim();
          const result = await runtime.access.list(callerOf(request, purpose), {
            relationship,
            page: Number(request.query.page ?? 1),
            pageSize: Number(request.query.pageSize ?? 50),
            sort: request.query.sort ?? 'appointment',
            ...(filter ? { filter } : {}),
          });
          if (result.outcome !== 'listed') return answerRefusal(db, request, reply, result, { operation }, purpose);
          return {
            page: result.page,
            pageSize: result.pageSize,
            total: result.total,
            items: result.items.map((item) => ({
              id: item.personId,
              identity: item.identity,
              since: item.since,
              nextAppointment: item.nextAppointment,
              lastAppointment: item.lastAppointment,
            })),
          };
        },
      );
    listRoute(
      '/caseload',
      'caseload',
      'Mon portefeuille actif (conseiller), page par page : nom, prénom, date de naissance et rendez-vous de chaque personne, chacune inscrite à son journal',
    );
    listRoute(
      '/referrals',
      'referral',
      'Les personnes orientées vers mon organisation (partenaire), page par page, comme un portefeuille',
    );
  };
}
