import { Type, type Static } from 'typebox';

/**
 * What a person declares each month (the « actualisation », issue 25 §2): a sworn statement of
 * the month — the work done, contract by contract (hours and gross pay), training, sickness,
 * maternity or paternity, retirement, invalidity — and whether they are still looking for work.
 * Only what this step needs: no address, no bank detail, no identifier.
 */
const Flag = (description: string) => Type.Boolean({ description });

export const WorkSchema = Type.Object(
  {
    employer: Type.String({ minLength: 2, maxLength: 200, description: 'l’employeur' }),
    hours: Type.Integer({ minimum: 1, maximum: 744, description: 'heures travaillées dans le mois' }),
    grossCents: Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'salaire brut, en centimes' }),
  },
  { additionalProperties: false },
);

export const DeclarationSchema = Type.Object(
  {
    period: Type.Optional(
      Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'le mois déclaré, AAAA-MM' }),
    ),
    stillLooking: Flag('toujours à la recherche d’un emploi'),
    works: Type.Array(WorkSchema, { maxItems: 20 }),
    training: Flag('en formation'),
    sickness: Flag('en arrêt maladie'),
    parentalLeave: Flag('en congé de maternité ou de paternité'),
    retirement: Flag('à la retraite'),
    invalidity: Flag('en invalidité'),
    sworn: Type.Literal(true, { description: 'déclaration sur l’honneur' }),
  },
  { additionalProperties: false },
);
export type Declaration = Static<typeof DeclarationSchema>;

/** A declaration as its author reads it back. */
export interface OwnDeclaration {
  period: string;
  version: number;
  declaredAt: string;
  /** A correction of an earlier version of the same month. */
  correction: boolean;
  declaration: Omit<Declaration, 'period'>;
}

/** The person's view of their monthly update: what is open, until when, and what they declared. */
export interface UpdateState {
  /** Whether the person's registration asks for a monthly update (categories A, B and C). */
  required: boolean;
  open: { period: string; opensAt: string; closesAt: string } | null;
  nextOpensAt: string;
  declarations: OwnDeclaration[];
}
