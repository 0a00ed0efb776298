import { Type, type Static } from 'typebox';
import {
  AvailabilitySchema,
  ContactSchema,
  DiplomaSchema,
  ExperienceSchema,
  IdentitySchema,
  MobilitySchema,
  SituationSchema,
  type FieldValues,
} from '../domain/index.ts';

const strict = { additionalProperties: false } as const;

/**
 * What a registration asks (issue 25 §1), whatever the channel: identity, NIR, contact,
 * education, experience, the jobs sought (ROME codes), availability, mobility and the situation
 * the categories follow from. Only what registering needs: no bank detail, no health, nothing
 * judicial. The NIR identifies the person (and finds a duplicate); it is never a login or a secret.
 */
export const RegistrationInputSchema = Type.Object(
  {
    identity: IdentitySchema,
    nir: Type.Optional(Type.String({ format: 'nir' })),
    contact: ContactSchema,
    education: Type.Array(DiplomaSchema, { maxItems: 30 }),
    experience: Type.Array(ExperienceSchema, { maxItems: 50 }),
    soughtJobs: Type.Array(Type.String({ format: 'rome' }), { minItems: 1, maxItems: 10, uniqueItems: true }),
    availability: AvailabilitySchema,
    mobility: MobilitySchema,
    situation: SituationSchema,
  },
  strict,
);
export type RegistrationInput = Static<typeof RegistrationInputSchema>;

export const REGISTRATION_CHANNELS = ['online', 'desk', 'paper', 'import'] as const;
export type RegistrationChannelKind = (typeof REGISTRATION_CHANNELS)[number];

/**
 * How a registration came, and who is answerable for it: the person themselves online (no
 * account yet: the one they ask for is created on registration), an agent at the desk or keying
 * in a paper form (their account, actor and organisation), a partner's import (the acting
 * machine client's or agent's actor and organisation, and the organisation the file comes from).
 */
export interface RegistrationChannel {
  kind: RegistrationChannelKind;
  accountId?: string | null;
  actorId?: string | null;
  organisationId?: string | null;
  /** For an import: the organisation the person comes from (a département, a mission locale, Cap emploi). */
  sourceOrganisationId?: string | null;
}

export type StatisticalCategory = FieldValues['registration']['category'];
export type AdministrativeCategory = 1 | 2 | 3 | 4 | 5;

/** A file created by a registration. */
export interface Registered {
  outcome: 'registered';
  personId: string;
  franceTravailId: string;
  category: StatisticalCategory;
  administrativeCategory: AdministrativeCategory;
  registeredOn: string;
}

/** A registration matching an existing file: kept sealed for an agent, no file created. */
export interface HeldAsDuplicate {
  outcome: 'held_as_duplicate';
  reviewId: string;
}

export type RegistrationOutcome = Registered | HeldAsDuplicate;

/** What a channel keeps with a candidate for later (online: the verified address and the password's hash). */
export type Attachment = Record<string, string | number | boolean | null>;

/** Given to a channel's hook when a file is created, in the creating transaction (directly or after review). */
export interface RegisteredEvent extends Registered {
  channel: RegistrationChannel;
  input: RegistrationInput;
  attachment: Attachment | null;
  /** `direct`: no match; `review`: an agent decided « personnes différentes ». */
  via: 'direct' | 'review';
  /** After review of a NIR match, the file is created without the NIR (see docs/registration.md). */
  nirWithheld: boolean;
}

/** Given to a channel's hook when an agent decides the candidate is an existing person. */
export interface DuplicateConfirmedEvent {
  personId: string;
  channel: RegistrationChannel;
  input: RegistrationInput;
  attachment: Attachment | null;
  /** The existing registration had ended and is re-opened. */
  reopened: boolean;
}

export const MATCH_KINDS = ['nir', 'name_birth'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

/** One candidate in the agents' queue: what is needed to decide, no value of the candidate. */
export interface ReviewSummary {
  id: string;
  createdAt: string;
  channel: RegistrationChannelKind;
  sourceOrganisationId: string | null;
  matchedOn: MatchKind[];
  matchedPersonIds: string[];
  status: 'pending' | 'same_person' | 'different_persons';
  decidedAt: string | null;
  personId: string | null;
}

/** The candidate as an agent compares it with the matched files: identity only, the NIR masked. */
export interface CandidateView {
  identity: FieldValues['identity'];
  /** The NIR's last three digits (key included), or null when none was given. */
  nirEnd: string | null;
  /**
   * The matched files that already hold the candidate's e-mail address (by its blind index, nothing
   * decrypted); null when the candidate gave none. Empty: the request comes from an address no
   * matched file knows — someone may be registering with another person's identity, so « même
   * personne » needs the person's proof of identity first.
   */
  emailOnFile: string[] | null;
}

export const REVIEW_DECISIONS = ['same_person', 'different_persons'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** The agent who decides, as the event records them. */
export interface Decider {
  accountId: string;
  actorId: string;
  organisationId: string;
}
