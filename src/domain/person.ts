import { Type, type Static, type TSchema } from 'typebox';
import type { FieldClass } from './field-classes.ts';

const text = (maxLength: number) => Type.String({ minLength: 1, maxLength });
const date = () => Type.String({ format: 'date' });
const strict = { additionalProperties: false } as const;

export const IdentitySchema = Type.Object(
  {
    lastName: text(100),
    usageName: Type.Optional(text(100)),
    firstNames: Type.Array(text(60), { minItems: 1, maxItems: 5 }),
    sex: Type.Enum(['F', 'M']),
    birthDate: date(),
    birthPlace: Type.Optional(text(120)),
  },
  strict,
);

export const NirSchema = Type.Object({ nir: Type.String({ format: 'nir' }) }, strict);

export const AddressSchema = Type.Object(
  {
    line1: text(200),
    line2: Type.Optional(text(200)),
    postalCode: Type.String({ format: 'postal-code-fr' }),
    communeCode: Type.String({ format: 'insee-commune' }),
    commune: text(100),
  },
  strict,
);

export const ContactSchema = Type.Object(
  {
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    phone: Type.Optional(Type.String({ format: 'phone-fr' })),
    address: Type.Optional(AddressSchema),
    location: Type.Optional(
      Type.Object(
        {
          latitude: Type.Number({ minimum: -90, maximum: 90 }),
          longitude: Type.Number({ minimum: -180, maximum: 180 }),
        },
        strict,
      ),
    ),
  },
  strict,
);

export const IdDocumentSchema = Type.Object(
  {
    kind: Type.Enum(['driving_licence', 'identity_card', 'passport', 'residence_permit']),
    number: Type.String({ pattern: '^[A-Z0-9]{6,20}$' }),
    expiresOn: Type.Optional(date()),
  },
  strict,
);

/**
 * The situation a person declares when registering (issue 25 §1), from which both categories
 * follow: the statistical A–E and the administrative 1–5 (src/registration/category.ts).
 */
export const SituationSchema = Type.Object(
  {
    kind: Type.Enum(['available', 'reduced_activity', 'training', 'sickness', 'other_unavailable', 'employed']),
    /** Hours worked last month, for a reduced activity (B up to 78 hours, C beyond). */
    hoursLastMonth: Type.Optional(Type.Integer({ minimum: 1, maximum: 744 })),
  },
  strict,
);

export const RegistrationSchema = Type.Object(
  {
    franceTravailId: Type.String({ format: 'france-travail-id' }),
    category: Type.Enum(['A', 'B', 'C', 'D', 'E']),
    /** The administrative registration category (1–5), when the registration recorded it. */
    administrativeCategory: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    registeredOn: date(),
    status: Type.Enum(['registered', 'suspended', 'deregistered']),
    deregisteredOn: Type.Optional(date()),
    situation: Type.Optional(SituationSchema),
    /** How the registration came: the person online, an agent at the desk, a paper form keyed in, an import. */
    channel: Type.Optional(Type.Enum(['online', 'desk', 'paper', 'import'])),
  },
  strict,
);

/** When and how the person can work: what a counsellor matches offers against. */
export const AvailabilitySchema = Type.Object(
  {
    availableFrom: date(),
    workingTime: Type.Enum(['full_time', 'part_time', 'either']),
    contract: Type.Enum(['permanent', 'fixed_term', 'temporary', 'seasonal', 'any']),
  },
  strict,
);

export const MobilitySchema = Type.Object(
  {
    maxDistanceKm: Type.Integer({ minimum: 0, maximum: 1000 }),
    transport: Type.Array(Type.Enum(['car', 'motorbike', 'public_transport', 'bike', 'walk']), {
      maxItems: 5,
      uniqueItems: true,
    }),
    drivingLicence: Type.Boolean(),
  },
  strict,
);

/** One job held: shared by the file's career and a registration's « expériences ». */
export const ExperienceSchema = Type.Object(
  {
    romeCode: Type.String({ format: 'rome' }),
    title: text(200),
    employer: Type.Optional(text(200)),
    from: date(),
    to: Type.Optional(date()),
  },
  strict,
);

/** One diploma or training: the file's career and a registration's « formation ». */
export const DiplomaSchema = Type.Object(
  {
    title: text(200),
    level: Type.Optional(Type.Integer({ minimum: 3, maximum: 8 })),
    year: Type.Optional(Type.Integer({ minimum: 1930, maximum: 2100 })),
  },
  strict,
);

export const CareerSchema = Type.Object(
  {
    experiences: Type.Array(ExperienceSchema, { maxItems: 50 }),
    diplomas: Type.Array(DiplomaSchema, {
      maxItems: 30,
    }),
    soughtJobs: Type.Array(Type.String({ format: 'rome' }), { maxItems: 10 }),
    availability: Type.Optional(AvailabilitySchema),
    mobility: Type.Optional(MobilitySchema),
  },
  strict,
);

export const FollowUpSchema = Type.Object(
  {
    orientation: Type.Optional(Type.Enum(['suivi', 'guide', 'renforce', 'global'])),
    appointments: Type.Array(Type.Object({ date: date(), kind: text(60), note: Type.Optional(text(1000)) }, strict), {
      maxItems: 200,
    }),
    actions: Type.Array(Type.Object({ date: date(), kind: text(60), label: text(500) }, strict), { maxItems: 200 }),
  },
  strict,
);

/** A situation of the month that changes entitlement, as the monthly update declares it (issue 25 §2). */
export const DECLARED_FLAGS = [
  'not_looking',
  'training',
  'sickness',
  'parental_leave',
  'retirement',
  'invalidity',
] as const;
export type DeclaredFlag = (typeof DECLARED_FLAGS)[number];

/**
 * A month's figures as the person declared them (their monthly update, issue 25 §2): per contract
 * the hours and the gross pay — never the employer, which the computation of entitlement does not
 * need — and the situations set that month. A correction replaces its month.
 */
export const DeclaredMonthSchema = Type.Object(
  {
    period: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' }),
    version: Type.Integer({ minimum: 1, maximum: 10_000 }),
    contracts: Type.Array(
      Type.Object(
        {
          hours: Type.Integer({ minimum: 1, maximum: 744 }),
          grossCents: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
        },
        strict,
      ),
      { maxItems: 20 },
    ),
    flags: Type.Array(Type.Enum([...DECLARED_FLAGS]), { maxItems: DECLARED_FLAGS.length, uniqueItems: true }),
  },
  strict,
);
export type DeclaredMonth = Static<typeof DeclaredMonthSchema>;

export const BenefitsSchema = Type.Object(
  {
    allowance: Type.Enum(['ARE', 'AER', 'ASS', 'AREF', 'none']),
    dailyAmountCents: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    since: Type.Optional(date()),
    until: Type.Optional(date()),
    payments: Type.Array(
      Type.Object({ date: date(), amountCents: Type.Integer({ minimum: 0, maximum: 10_000_000 }) }, strict),
      { maxItems: 120 },
    ),
    /** The months the person declared, oldest first (ten years of them: the declarations' own retention). */
    declaredMonths: Type.Optional(Type.Array(DeclaredMonthSchema, { maxItems: 120 })),
  },
  strict,
);

export const BankSchema = Type.Object(
  {
    iban: Type.String({ format: 'iban' }),
    bic: Type.String({ format: 'bic' }),
    holder: text(140),
  },
  strict,
);

export const HealthSchema = Type.Object(
  {
    rqth: Type.Boolean(),
    rqthUntil: Type.Optional(date()),
    restrictions: Type.Optional(Type.Array(text(200), { maxItems: 20 })),
  },
  strict,
);

export const JudicialSchema = Type.Object(
  {
    measures: Type.Array(
      Type.Object(
        {
          kind: Type.Enum([
            'sursis_probatoire',
            'travail_interet_general',
            'controle_judiciaire',
            'placement_exterieur',
            'semi_liberte',
          ]),
          since: date(),
          until: Type.Optional(date()),
          authority: Type.Optional(text(200)),
        },
        strict,
      ),
      { maxItems: 20 },
    ),
  },
  strict,
);

/** The schema of each field class's value: what is encrypted as one unit. */
export const FIELD_CLASS_SCHEMAS = {
  identity: IdentitySchema,
  nir: NirSchema,
  contact: ContactSchema,
  id_document: IdDocumentSchema,
  registration: RegistrationSchema,
  career: CareerSchema,
  follow_up: FollowUpSchema,
  benefits: BenefitsSchema,
  bank: BankSchema,
  health: HealthSchema,
  judicial: JudicialSchema,
} as const satisfies Record<FieldClass, TSchema>;

export type FieldValues = { [K in FieldClass]: Static<(typeof FIELD_CLASS_SCHEMAS)[K]> };
export type FieldValue<K extends FieldClass = FieldClass> = FieldValues[K];

/** A person's file as held in memory: any subset of field classes. */
export type PersonFile = Partial<FieldValues>;

const optionalClasses = Object.fromEntries(Object.entries(FIELD_CLASS_SCHEMAS).map(([k, s]) => [k, Type.Optional(s)]));

/** Creating a file: identity is required, the rest optional. */
export const NewPersonSchema = Type.Object({ ...optionalClasses, identity: IdentitySchema }, strict);

/** Updating a file: each class present replaces that class's value; `null` removes the class. */
export const PersonPatchSchema = Type.Object(
  Object.fromEntries(
    Object.entries(FIELD_CLASS_SCHEMAS).map(([k, s]) => [k, Type.Optional(Type.Union([s, Type.Null()]))]),
  ),
  { ...strict, minProperties: 1 },
);

export type PersonPatch = { [K in FieldClass]?: FieldValues[K] | null };
