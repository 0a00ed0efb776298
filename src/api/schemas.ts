import { Type } from 'typebox';
import { FIELD_CLASS_SCHEMAS, FIELD_CLASSES } from '../domain/index.ts';

export const ErrorSchema = Type.Object(
  {
    error: Type.String(),
    message: Type.String(),
    requestId: Type.String(),
    /** Why, when one code has several causes (`step_up_required`: `new_network`). */
    reason: Type.Optional(Type.String()),
    /** Whom to call: a contained account's organisation's security contact (from its agreement). */
    securityContact: Type.Optional(Type.String()),
    issues: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), rule: Type.String(), message: Type.String() })),
    ),
  },
  { $id: 'Error' },
);

export const PersonIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

export const FieldClassSchema = Type.Enum(FIELD_CLASSES);

export const PersonRecordSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Enum(['active', 'erased']),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  classes: Type.Array(FieldClassSchema),
  fields: Type.Object(Object.fromEntries(Object.entries(FIELD_CLASS_SCHEMAS).map(([k, s]) => [k, Type.Optional(s)])), {
    additionalProperties: false,
  }),
});

export const LookupBodySchema = Type.Object(
  {
    kind: Type.Enum(['nir', 'email', 'france_travail_id']),
    value: Type.String({ minLength: 1, maxLength: 254 }),
  },
  { additionalProperties: false },
);

/** The error answers a route documents, all of one shape: `...errorsFor(400, 401, 403)`. */
export function errorsFor<const Code extends number>(...codes: Code[]): Record<Code, typeof ErrorSchema> {
  return Object.fromEntries(codes.map((code) => [code, ErrorSchema])) as Record<Code, typeof ErrorSchema>;
}

export const errorResponses = errorsFor(400, 401, 403, 404, 409, 410);
