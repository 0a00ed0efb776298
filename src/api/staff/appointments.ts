import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ValidationError } from '../../domain/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import {
  accessErrorResponses as staffErrorResponses,
  answerRefusal,
  callerOf,
  decisionView,
  DecisionViewSchema,
  purposeOr422,
} from '../access.ts';
import { PersonIdParams } from '../schemas.ts';

const APPOINTMENT_KINDS = ['entretien', 'atelier', 'telephone', 'visio'] as const;

const AppointmentBody = Type.Object(
  {
    at: Type.String({ format: 'date-time', description: 'date et heure du rendez-vous (ISO 8601)' }),
    kind: Type.Union(
      APPOINTMENT_KINDS.map((k) => Type.Literal(k)),
      { description: 'entretien, atelier, telephone ou visio' },
    ),
  },
  { additionalProperties: false },
);

/** How far ahead an appointment may be booked, and how late one already begun may still be entered. */
const BOOKING_HORIZON_DAYS = 366;
const LATE_ENTRY_HOURS = 12;

/**
 * The agenda: an agent books an appointment with a person of their scope. The booking is a
 * write of the follow-up, decided, recorded and counted by the guard; the appointment then
 * explains the agent's reads of that file around its date (and, booked by the agent, only from
 * the next day on).
 */
export function staffAppointmentRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.post(
      '/persons/:id/appointments',
      {
        schema: {
          tags: ['agents'],
          summary:
            'Fixer un rendez-vous avec la personne : écriture du suivi décidée par la convention, comptée par la garde',
          security: [{ cookieAuth: [] }],
          params: PersonIdParams,
          body: AppointmentBody,
          response: {
            201: Type.Object({
              id: Type.String(),
              personId: Type.String(),
              at: Type.String(),
              kind: Type.String(),
              decision: DecisionViewSchema,
            }),
            ...staffErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const personId = request.params.id;
        const at = new Date(request.body.at);
        const now = runtime.clock.now().getTime();
        if (
          Number.isNaN(at.getTime()) ||
          at.getTime() < now - LATE_ENTRY_HOURS * 3_600_000 ||
          at.getTime() > now + BOOKING_HORIZON_DAYS * 86_400_000
        ) {
          throw new ValidationError([
            {
              field: 'body.at',
              rule: 'range',
              message: `un rendez-vous se fixe entre il y a ${LATE_ENTRY_HOURS} heures et dans ${BOOKING_HORIZON_DAYS} jours`,
            },
          ]);
        }
        const purpose = await purposeOr422(db, request, reply, { operation: 'write', personId });
        if (!purpose) return reply;
        const result = await runtime.access.book(callerOf(request, purpose), personId, {
          at: at.toISOString(),
          kind: request.body.kind,
        });
        if (result.outcome !== 'written')
          return answerRefusal(db, request, reply, result, { operation: 'write', personId }, purpose);
        return reply.status(201).send({
          id: result.value.id,
          personId,
          at: at.toISOString(),
          kind: request.body.kind,
          decision: decisionView(result.decision),
        });
      },
    );
  };
}
