import { randomUUID } from 'node:crypto';
import { openSecret, sealSecret, type Keyring } from '../crypto/index.ts';
import { NotFoundError, parisDate, ValidationError, type Clock, type ValidationIssue } from '../domain/index.ts';
import { DESK_REGISTRATION_PURPOSE } from '../guard/index.ts';
import type { LetterLayout } from '../incidents/index.ts';
import { appendEvent } from '../ledger/index.ts';
import type { PaperNotice } from '../notify/index.ts';
import type { Executor } from '../store/index.ts';
import { consentIssues, consentVersionOf, type Consent, type ReceiptDelivery } from './consent.ts';
import type { RegisteredEvent, RegistrationChannelKind, RegistrationInput, RegistrationOutcome } from './model.ts';
import {
  importNoticeText,
  letterBody,
  receiptText,
  renderReceipt,
  type ImportSource,
  type ReceiptText,
} from './receipt.ts';
import type { Registrations } from './service.ts';

const SEAL_PURPOSE = 'registration_receipt';
/** The sender block of a receipt handed over at the desk (the same service writes the posted ones). */
const SENDER = ['France Travail', 'Rempart — Inscription', 'TSA 00000 — 75000 PARIS'];

/** Which partner sends which people: its organisation's kind decides, never the batch. */
export const IMPORT_SOURCES: Readonly<Record<string, ImportSource>> = {
  departement: 'rsa',
  mission_locale: 'young_person',
  cap_emploi: 'cap_emploi',
};

/** Why an imported person is referred to the partner that sent them, as the referral records it. */
const REFERRAL_REASONS: Readonly<Record<ImportSource, string>> = {
  rsa: 'Inscription par import : allocataire du RSA orienté vers France Travail',
  young_person: 'Inscription par import : jeune accompagné par la mission locale',
  cap_emploi: 'Inscription par import : personne orientée par Cap emploi',
};

/** The most records one batch may hold: a batch is one transaction, and one answer listing each record. */
export const IMPORT_MAX_RECORDS = 500;

export interface IntakeDeps {
  db: Executor;
  keyring: () => Keyring;
  clock: Clock;
  registrations: Registrations;
  /** The paper channel's unconditional queue (a letter whatever the person's choice), in the caller's transaction. */
  queueLetter: (notice: PaperNotice, db: Executor) => Promise<string>;
  layout: LetterLayout;
}

/** The agent at the desk, as the session established them. */
export interface Agent {
  accountId: string;
  actorId: string;
  organisationId: string;
}

/** A partner's information system sending a batch (or, later, one of its agents). */
export interface Importer {
  actorId: string;
  organisationId: string;
  clientId: string | null;
  source: ImportSource;
  /** The agreement's purpose the batch was decided under (its journal entries name it). */
  purpose: string;
}

export interface DeskRequest {
  registration: RegistrationInput;
  consent: Consent;
  receipt: ReceiptDelivery;
}

export type IntakeOutcome = RegistrationOutcome & { intakeId: string };

export interface ImportResult {
  batchId: string;
  records: Array<{ index: number } & IntakeOutcome>;
}

/** A receipt to hand over: the PDF and what the download recorded. */
export interface HandedReceipt {
  personId: string;
  content: Buffer;
  firstIssue: boolean;
}

/**
 * Registration by an agent and by a partner's import (issue 25 §1), on the registration core
 * (`Registrations`): the agent's consent record or the partner's batch, then the core's
 * registration — a file, or a candidate held for an agent when it matches one — and, once the
 * file exists (at once, or when an agent decides « personnes différentes »), the receipt or the
 * import's notice built and sealed with the intake, a letter queued when it is to be posted, and a
 * `registration_intake_recorded` event in the person's journal. Everything is written in the
 * caller's transaction (the guard's, which counted the registrations first): a batch whose tenth
 * record fails leaves nothing of the nine before it.
 */
export class RegistrationIntake {
  readonly #deps: IntakeDeps;

  constructor(deps: IntakeDeps) {
    this.#deps = deps;
    for (const channel of ['desk', 'paper', 'import'] as const)
      deps.registrations.onRegistered(channel, (event, trx) => this.#registered(event, trx));
  }

  /**
   * Every field of a desk or paper registration checked before anything is counted or written:
   * the registration (the core's rules), the consent, and an address when the receipt is posted.
   */
  validateDesk(body: DeskRequest): DeskRequest {
    const issues: ValidationIssue[] = [];
    const channel: RegistrationChannelKind = body.consent.given;
    let registration = body.registration;
    try {
      registration = this.#deps.registrations.validate(body.registration, channel, 'body.registration');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...error.issues);
    }
    issues.push(...consentIssues(body.consent, this.#today()));
    if (body.receipt === 'posted' && !body.registration.contact.address)
      issues.push({
        field: 'body.registration.contact.address',
        rule: 'required',
        message: 'obligatoire pour envoyer le récépissé par courrier : saisissez l’adresse postale',
      });
    if (issues.length) throw new ValidationError(issues);
    return { ...body, registration };
  }

  /** Each record of a batch checked, its index in every field named; all issues at once, nothing written. */
  validateBatch(records: readonly unknown[]): RegistrationInput[] {
    const issues: ValidationIssue[] = [];
    const valid: RegistrationInput[] = [];
    records.forEach((record, index) => {
      const prefix = `body.records.${index}`;
      try {
        const input = this.#deps.registrations.validate(record, 'import', prefix);
        // The person learns of the registration by letter: a record must say where to write.
        if (!input.contact.address)
          issues.push({
            field: `${prefix}.contact.address`,
            rule: 'required',
            message: 'obligatoire pour une inscription par un partenaire : la personne en est avertie par courrier',
          });
        valid.push(input);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        issues.push(...error.issues);
      }
    });
    if (issues.length) throw new ValidationError(issues);
    return valid;
  }

  /** One registration at the desk or from a paper form, in `trx` (validated by `validateDesk` first). */
  async registerAtDesk(
    trx: Executor,
    agent: Agent,
    request: DeskRequest,
    id: string = randomUUID(),
  ): Promise<IntakeOutcome> {
    const consent = request.consent;
    await trx
      .insertInto('registration_intakes')
      .values({
        ...this.#emptyIntake(id, consent.given, agent.organisationId, agent.actorId, agent.accountId),
        consent_given: consent.given,
        consent_received_on: consent.receivedOn ?? null,
        consent_text_hash: consent.textHash,
        receipt: request.receipt,
      })
      .execute();
    const outcome = await this.#deps.registrations.register(
      request.registration,
      { kind: consent.given, ...agent },
      { executor: trx, prefix: 'body.registration', attachment: { intake: id, purpose: DESK_REGISTRATION_PURPOSE } },
    );
    if (outcome.outcome === 'held_as_duplicate') await this.#held(trx, id, outcome.reviewId);
    return { ...outcome, intakeId: id };
  }

  /**
   * A partner's batch, in `trx` (validated by `validateBatch` first): the batch, then each record
   * registered or held, then the batch's event. Any failure rolls the whole batch back.
   */
  async importBatch(
    trx: Executor,
    importer: Importer,
    reference: string,
    records: readonly RegistrationInput[],
    ids: readonly string[] = records.map(() => randomUUID()),
  ): Promise<ImportResult> {
    const batchId = randomUUID();
    const receivedAt = this.#deps.clock.now().toISOString();
    await trx
      .insertInto('registration_import_batches')
      .values({
        id: batchId,
        organisation_id: importer.organisationId,
        client_id: importer.clientId,
        actor_id: importer.actorId,
        source: importer.source,
        reference,
        records: records.length,
        registered: 0,
        held: 0,
        received_at: receivedAt,
      })
      .execute();
    const results: ImportResult['records'] = [];
    for (const [index, record] of records.entries()) {
      const id = ids[index]!;
      await trx
        .insertInto('registration_intakes')
        .values({
          ...this.#emptyIntake(id, 'import', importer.organisationId, importer.actorId, null),
          batch_id: batchId,
          receipt: 'notice',
        })
        .execute();
      const outcome = await this.#deps.registrations.register(
        record,
        {
          kind: 'import',
          actorId: importer.actorId,
          organisationId: importer.organisationId,
          sourceOrganisationId: importer.organisationId,
        },
        {
          executor: trx,
          prefix: `body.records.${index}`,
          attachment: { intake: id, source: importer.source, purpose: importer.purpose, reference },
        },
      );
      if (outcome.outcome === 'held_as_duplicate') await this.#held(trx, id, outcome.reviewId);
      results.push({ index, ...outcome, intakeId: id });
    }
    const registered = results.filter((r) => r.outcome === 'registered').length;
    await trx
      .updateTable('registration_import_batches')
      .set({ registered, held: results.length - registered })
      .where('id', '=', batchId)
      .execute();
    await appendEvent(trx, 'registration_import_received', {
      actorId: importer.actorId,
      organisationId: importer.organisationId,
      caseReference: reference,
      operation: 'import_registrations',
      details: {
        batch: batchId,
        source: importer.source,
        records: records.length,
        registered,
        held: results.length - registered,
      },
    });
    return { batchId, records: results };
  }

  /**
   * The agent's organisation's intake for a receipt to hand over: its person once the file exists.
   * Another organisation's intake, one still held, or one whose receipt was posted answers as unknown.
   */
  async handedIntake(intakeId: string, organisationId: string): Promise<{ personId: string }> {
    const row = await this.#deps.db
      .selectFrom('registration_intakes')
      .select(['person_id', 'organisation_id', 'receipt', 'sealed'])
      .where('id', '=', intakeId)
      .executeTakeFirst();
    if (
      !row ||
      row.organisation_id !== organisationId ||
      row.receipt !== 'handed' ||
      row.person_id === null ||
      row.sealed === null
    )
      throw new NotFoundError('Récépissé');
    return { personId: row.person_id };
  }

  /** The receipt's PDF, from its sealed text; the first download is kept as the receipt's issue. */
  async handedReceipt(intakeId: string, trx: Executor): Promise<HandedReceipt> {
    const row = await trx
      .selectFrom('registration_intakes')
      .selectAll()
      .where('id', '=', intakeId)
      .executeTakeFirstOrThrow();
    const text = this.#open(row);
    const issuedAt = new Date(row.registered_at ?? row.recorded_at);
    const content = await renderReceipt(text, issuedAt, intakeId.slice(0, 8).toUpperCase(), SENDER, this.#deps.layout);
    const firstIssue = row.receipt_issued_at === null;
    if (firstIssue)
      await trx
        .updateTable('registration_intakes')
        .set({ receipt_issued_at: this.#deps.clock.now().toISOString() })
        .where('id', '=', intakeId)
        .where('receipt_issued_at', 'is', null)
        .execute();
    return { personId: row.person_id!, content, firstIssue };
  }

  /** An intake as the tests and the console see it: no value of the person. */
  async intake(intakeId: string) {
    const row = await this.#deps.db
      .selectFrom('registration_intakes')
      .select([
        'id',
        'channel',
        'person_id',
        'review_id',
        'organisation_id',
        'batch_id',
        'consent_given',
        'consent_received_on',
        'receipt',
        'letter_id',
        'recorded_at',
        'registered_at',
        'receipt_issued_at',
      ])
      .where('id', '=', intakeId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Inscription');
    return row;
  }

  /** Once the core created the file: the receipt or notice sealed, a letter queued if it goes by post, the event. */
  async #registered(event: RegisteredEvent, trx: Executor): Promise<void> {
    const intakeId = event.attachment?.intake;
    // A registration of these channels made without an intake (a test, a script) has nothing to add.
    if (typeof intakeId !== 'string') return;
    const row = await trx
      .selectFrom('registration_intakes')
      .selectAll()
      .where('id', '=', intakeId)
      .executeTakeFirstOrThrow();
    const organisation = await trx
      .selectFrom('organisations')
      .select('name')
      .where('id', '=', row.organisation_id)
      .executeTakeFirstOrThrow();
    const facts = {
      franceTravailId: event.franceTravailId,
      category: event.category,
      administrativeCategory: event.administrativeCategory,
      registeredOn: event.registeredOn,
      input: event.input,
      organisationName: organisation.name,
      ...(row.consent_given && row.consent_text_hash
        ? {
            consent: {
              given: row.consent_given,
              receivedOn: row.consent_received_on ?? undefined,
              version: consentVersionOf(row.consent_text_hash) ?? '?',
            },
          }
        : {}),
    };
    const source = event.attachment?.source as ImportSource | undefined;
    const text = row.channel === 'import' && source ? importNoticeText(facts, source) : receiptText(facts);
    const sealed = sealSecret(this.#deps.keyring(), intakeId, SEAL_PURPOSE, Buffer.from(JSON.stringify(text), 'utf8'));
    const letterId =
      row.receipt === 'handed'
        ? null
        : await this.#deps.queueLetter(
            {
              personId: event.personId,
              accountId: null,
              kind: row.receipt === 'notice' ? 'registration_import_notice' : 'registration_receipt',
              subject: text.subject,
              body: letterBody(text),
            },
            trx,
          );
    const referralId = row.channel === 'import' && source ? await this.#refer(trx, row, event, source) : null;
    await trx
      .updateTable('registration_intakes')
      .set({
        person_id: event.personId,
        registered_at: this.#deps.clock.now().toISOString(),
        key_version: sealed.version,
        sealed: sealed.sealed,
        letter_id: letterId,
      })
      .where('id', '=', intakeId)
      .execute();
    await appendEvent(trx, 'registration_intake_recorded', {
      accountId: row.account_id,
      actorId: row.actor_id,
      organisationId: row.organisation_id,
      personId: event.personId,
      purpose: typeof event.attachment?.purpose === 'string' ? event.attachment.purpose : null,
      caseReference: typeof event.attachment?.reference === 'string' ? event.attachment.reference : null,
      operation: 'register',
      details: {
        intake: intakeId,
        channel: row.channel,
        via: event.via,
        consent: row.consent_given,
        consentReceivedOn: row.consent_received_on,
        consentText: row.consent_text_hash ? (consentVersionOf(row.consent_text_hash) ?? null) : null,
        receipt: row.receipt,
        letter: letterId,
        batch: row.batch_id,
        source: source ?? null,
        referral: referralId,
      },
    });
  }

  /**
   * The partner that sent the person keeps following them: a referral from today, so its staff
   * and system reach the file under their agreement's referral purposes — and nothing more.
   */
  async #refer(
    trx: Executor,
    row: { organisation_id: string; actor_id: string },
    event: RegisteredEvent,
    source: ImportSource,
  ): Promise<string> {
    const id = randomUUID();
    await trx
      .insertInto('referrals')
      .values({
        id,
        person_id: event.personId,
        organisation_id: row.organisation_id,
        referred_by_actor_id: row.actor_id,
        reason: REFERRAL_REASONS[source],
        starts_on: event.registeredOn,
        ends_on: null,
        status: 'active',
        created_at: this.#deps.clock.now().toISOString(),
      })
      .execute();
    return id;
  }

  async #held(trx: Executor, intakeId: string, reviewId: string): Promise<void> {
    await trx.updateTable('registration_intakes').set({ review_id: reviewId }).where('id', '=', intakeId).execute();
  }

  #emptyIntake(
    id: string,
    channel: 'desk' | 'paper' | 'import',
    organisationId: string,
    actorId: string,
    accountId: string | null,
  ) {
    return {
      id,
      channel,
      person_id: null,
      review_id: null,
      organisation_id: organisationId,
      actor_id: actorId,
      account_id: accountId,
      batch_id: null,
      consent_given: null,
      consent_received_on: null,
      consent_text_hash: null,
      receipt: 'handed' as const,
      letter_id: null,
      key_version: null,
      sealed: null,
      recorded_at: this.#deps.clock.now().toISOString(),
      registered_at: null,
      receipt_issued_at: null,
    };
  }

  #open(row: { id: string; key_version: number | null; sealed: Buffer | null }): ReceiptText {
    if (row.key_version === null || row.sealed === null) throw new NotFoundError('Récépissé');
    return JSON.parse(
      openSecret(this.#deps.keyring(), row.id, SEAL_PURPOSE, {
        version: row.key_version,
        sealed: row.sealed,
      }).toString('utf8'),
    ) as ReceiptText;
  }

  #today(): string {
    const { y, m, d } = parisDate(this.#deps.clock.now());
    return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  }
}
