import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { FIELD_CLASSES } from '../../domain/index.ts';
import { declarablePurposes, loadActor, loadOrganisation, RELATIONSHIPS } from '../../policy/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { accessErrorResponses as staffErrorResponses } from '../access.ts';

const tags = ['agents'];
const security = [{ cookieAuth: [] }];

const PurposeView = Type.Object({
  purpose: Type.String(),
  label: Type.String(),
  agreement: Type.Object({ reference: Type.String(), version: Type.Integer(), validUntil: Type.String() }),
  read: Type.Array(Type.Enum(FIELD_CLASSES)),
  write: Type.Array(Type.Enum(FIELD_CLASSES)),
  relationship: Type.Enum(RELATIONSHIPS),
  conditions: Type.Object({ maxAge: Type.Optional(Type.Integer()) }),
  /** Break-glass can lift this purpose's relationship (never anything else): it has classes to read. */
  breakGlass: Type.Boolean(),
});

const ProfileView = Type.Object({
  displayName: Type.String(),
  organisation: Type.Object({ id: Type.String(), name: Type.String(), kind: Type.String() }),
  roles: Type.Array(Type.String()),
  purposes: Type.Array(PurposeView),
  /** A purpose the agent may declare ties files to its own caseload (counsellors). */
  hasCaseload: Type.Boolean(),
  /** The partner security gate as the policy evaluates it for this request: not compliant, nothing opens. */
  gate: Type.Object({ compliant: Type.Boolean(), unmet: Type.Array(Type.String()) }),
});

/** What the signed-in agent may do: organisation, roles and the purposes of its agreements (issue 9). */
export function staffProfileRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.get(
      '/profile',
      {
        schema: {
          tags,
          summary:
            'Mon profil d’agent : organisation, rôles et finalités que je peux déclarer (classes lisibles et modifiables, lien exigé). Aucune donnée personnelle, rien n’est journalisé.',
          security,
          response: { 200: ProfileView, ...staffErrorResponses },
        },
      },
      async (request) => {
        const staff = request.staff!;
        const now = new Date();
        const actor = await loadActor(db, staff.actorId);
        const organisation = await loadOrganisation(db, staff.organisationId, now, request.ip);
        const names = await db
          .selectFrom('actors')
          .innerJoin('organisations', 'organisations.id', 'actors.organisation_id')
          .select(['actors.display_name', 'organisations.name'])
          .where('actors.id', '=', staff.actorId)
          .executeTakeFirstOrThrow();
        const roles = actor?.roles ? [...actor.roles] : staff.roles;
        const purposes = organisation ? declarablePurposes(organisation, roles, now) : [];
        return {
          displayName: names.display_name,
          organisation: { id: staff.organisationId, name: names.name, kind: staff.organisationKind },
          roles,
          purposes: purposes.map(({ rule, agreement }) => ({
            purpose: rule.purpose,
            label: rule.label,
            agreement: { reference: agreement.reference, version: agreement.version, validUntil: agreement.validUntil },
            read: rule.read,
            write: rule.write,
            relationship: rule.relationship,
            conditions: rule.conditions?.maxAge !== undefined ? { maxAge: rule.conditions.maxAge } : {},
            breakGlass: rule.read.length > 0,
          })),
          hasCaseload: purposes.some(({ rule }) => rule.relationship === 'caseload'),
          gate: { compliant: organisation?.gate.compliant ?? false, unmet: [...(organisation?.gate.unmet ?? [])] },
        };
      },
    );
  };
}
