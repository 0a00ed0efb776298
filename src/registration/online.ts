import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { Type } from 'typebox';
import { openSecret, sealSecret, type Keyring } from '../crypto/index.ts';
import {
  AvailabilitySchema,
  ConflictError,
  MobilitySchema,
  parisDate,
  SituationSchema,
  validate,
  ValidationError,
  type Clock,
  type ValidationIssue,
} from '../domain/index.ts';
import { appendEvent } from '../ledger/index.ts';
import { categoriesOf } from './category.ts';
import {
  addChannel,
  announceToAccount,
  announceToPerson,
  blockedUntil,
  createAccount,
  hashPassword,
  isLoginTaken,
  lockThrottleScopes,
  PASSWORD_MAX_LENGTH,
  passwordIssues,
  recordFailure,
  sendMessage,
} from '../identity/index.ts';
import type { Notifier } from '../notify/index.ts';
import { afterCommit, inTransaction, lookupDigest, type Executor, type PersonStore } from '../store/index.ts';
import type { DuplicateConfirmedEvent, RegisteredEvent } from './model.ts';
import type { Registrations } from './service.ts';

/** A draft is kept 15 days after its last save (the issue's « brouillon conservé 15 jours »). */
export const DRAFT_TTL_MS = 15 * 86_400_000;
/** A code proves the address for 15 minutes, and survives 5 wrong guesses. */
export const CODE_TTL_MS = 15 * 60_000;
export const CODE_MAX_ATTEMPTS = 5;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DRAFT_MAX_BYTES = 64 * 1024;
const SEAL_PURPOSE = 'registration_draft';

/**
 * The public endpoints' limits: codes asked from one network (a /24, a /48) and for one address,
 * wrong codes from one network, and registrations submitted from one network. An endpoint that
 * creates accounts is an attack surface: a flood of codes to a stranger's mailbox, a walk of
 * codes, a farm of accounts each cost their source a count.
 */
export const REGISTRATION_LIMITS = {
  codesPerNetworkHour: 20,
  codesPerAddressHour: 5,
  wrongCodesPerNetwork: 20,
  submissionsPerNetworkDay: 10,
  /**
   * A held submission creates no account, so one proved address could otherwise try identity after
   * identity and learn from « en cours de vérification » who is registered: two sends a month per
   * mailbox, then each try costs a new mailbox proved by a code.
   */
  submissionsPerMailboxMonth: 2,
} as const;

export class RegistrationThrottled extends Error {
  constructor(readonly until: Date) {
    super('Trop de demandes depuis cette adresse : réessayez plus tard.');
    this.name = 'RegistrationThrottled';
  }
}

export interface OnlineRegistrationDeps {
  db: Executor;
  /** The person store: a renewal changes the file's registration and career, under its row lock. */
  persons: PersonStore;
  keyring: () => Keyring;
  notifier: Notifier;
  clock: Clock;
  registrations: Registrations;
  /** The person's choice of paper for all correspondence, set once their file and account exist (the paper channel's). */
  choosePaper?: (personId: string, accountId: string) => Promise<void>;
}

const EmailBody = Type.Object(
  { email: Type.String({ format: 'email', maxLength: 254 }) },
  { additionalProperties: false },
);
const VerifyBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    code: Type.String({ pattern: '^[0-9 ]{6,12}$' }),
  },
  { additionalProperties: false },
);
export const SubmitBodySchema = Type.Object(
  {
    registration: Type.Unknown(),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
    /** Every letter by post too, to the postal address given (issue 25 §5). */
    paper: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** What a person registering again declares anew: the rest of the file stays as it is. */
export const RenewalSchema = Type.Object(
  {
    situation: SituationSchema,
    availability: AvailabilitySchema,
    mobility: MobilitySchema,
    soughtJobs: Type.Array(Type.String({ format: 'rome' }), { minItems: 1, maxItems: 10, uniqueItems: true }),
  },
  { additionalProperties: false },
);

export interface DraftView {
  email: string;
  draft: Record<string, unknown> | null;
  savedAt: string | null;
  expiresAt: string;
}

/** What the person is told on submitting: never whether their NIR or their name is known. */
export type SubmitAnswer =
  | {
      outcome: 'registered';
      franceTravailId: string;
      category: string;
      administrativeCategory: number;
      registeredOn: string;
      login: string;
    }
  | { outcome: 'pending_check' };

const canonicalEmail = (email: string) => email.trim().toLowerCase();
/**
 * The mailbox an address reaches, for counting the codes sent to it: a sub-address (`+tag`) and,
 * at Gmail, the dots reach the same mailbox, and must not each get their own 5 codes an hour.
 */
export function mailboxOf(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  let local = address.slice(0, at);
  let domain = address.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (domain === 'googlemail.com') domain = 'gmail.com';
  if (domain === 'gmail.com') local = local.replace(/\./g, '');
  return `${local}@${domain}`;
}
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const codeHash = (id: string, code: string) => sha256(`${id}\u0000${code}`);

/**
 * The online registration in the espace personnel (issue 25 §1): the person first proves an
 * e-mail address with a one-time code; the draft of their registration is bound to that address,
 * sealed, and kept 15 days after its last save (expired drafts are purged on every use of the
 * drafts and by `purgeExpired`); on submitting, the registration core creates the file, and this
 * channel's hook the job-seeker account (login: the proved address; password chosen in the form
 * under the usual rules; the second factor enrolled at first sign-in like every account) and the
 * confirmation (e-mail; a letter too when the person chose paper). A registration held as a
 * possible duplicate is answered « en cours de vérification », never « ce NIR existe ».
 */
export class OnlineRegistration {
  readonly #deps: OnlineRegistrationDeps;

  constructor(deps: OnlineRegistrationDeps) {
    this.#deps = deps;
    deps.registrations.onRegistered('online', (event, trx) => this.#registered(event, trx));
    deps.registrations.onDuplicateConfirmed('online', (event, trx) => this.#confirmed(event, trx));
  }

  /** Send a code to the address (always answered the same, whether a draft exists or not). */
  async requestCode(raw: unknown, network: string): Promise<void> {
    const { email } = validate(EmailBody, raw, 'body');
    const address = canonicalEmail(email);
    const now = this.#now();
    await this.#purge(now);
    const digest = lookupDigest(this.#deps.keyring(), 'email', address);
    const mailbox = lookupDigest(this.#deps.keyring(), 'email', mailboxOf(address));
    const scopes = [
      {
        key: `registration-code-network:${network}`,
        maxFailures: REGISTRATION_LIMITS.codesPerNetworkHour,
        windowMs: HOUR,
        firstLockMs: HOUR,
      },
      {
        key: `registration-code-address:${mailbox.toString('hex')}`,
        maxFailures: REGISTRATION_LIMITS.codesPerAddressHour,
        windowMs: HOUR,
        firstLockMs: HOUR,
      },
    ];
    const code = String(randomInt(0, 100_000_000)).padStart(8, '0');
    await inTransaction(this.#deps.db, async (trx) => {
      // Checked and counted under the scopes' locks, with the draft: parallel requests cannot all pass.
      await this.#throttle(scopes, now, true, trx);
      const existing = await trx
        .selectFrom('registration_drafts')
        .select('id')
        .where('email_digest', '=', digest)
        .executeTakeFirst();
      const id = existing?.id ?? randomUUID();
      const values = {
        code_hash: codeHash(id, code),
        code_expires_at: new Date(now.getTime() + CODE_TTL_MS).toISOString(),
        code_attempts: 0,
      };
      if (existing) await trx.updateTable('registration_drafts').set(values).where('id', '=', id).execute();
      else
        await trx
          .insertInto('registration_drafts')
          .values({
            id,
            email_digest: digest,
            ...values,
            verified_at: null,
            token_hash: null,
            secret_version: null,
            sealed: null,
            created_at: now.toISOString(),
            updated_at: now.toISOString(),
            // Unproved, it goes when its code does (no content is saved before the proof).
            expires_at: new Date(now.getTime() + DAY).toISOString(),
          })
          .execute();
      await sendMessage({ db: trx, notifier: this.#deps.notifier }, 'registration_code', {
        channel: 'email',
        to: address,
        subject: 'Votre code pour vous inscrire à France Travail',
        body: [
          'Bonjour,',
          '',
          `Votre code de confirmation est : ${code}`,
          'Il est valable 15 minutes. Saisissez-le dans le formulaire d’inscription pour continuer.',
          '',
          'Si vous n’avez rien demandé, ignorez ce message : aucune inscription ne sera faite sans ce code.',
        ].join('\n'),
      });
    });
  }

  /**
   * The code proves the address: a token for the browser (its digest kept) and the draft saved
   * under that address, if any. Whatever is wrong (no code, expired, wrong, too many tries), one
   * answer, and the network pays a count.
   */
  async verify(raw: unknown, network: string): Promise<{ token: string } & DraftView> {
    const body = validate(VerifyBody, raw, 'body');
    const address = canonicalEmail(body.email);
    const code = body.code.replace(/\s/g, '');
    const now = this.#now();
    await this.#purge(now);
    const scope = {
      key: `registration-verify-network:${network}`,
      maxFailures: REGISTRATION_LIMITS.wrongCodesPerNetwork,
    };
    const digest = lookupDigest(this.#deps.keyring(), 'email', address);
    // The network's count, the code's tries and the code itself are read and written under locks
    // (the network's, the address's): parallel guesses each pay, and a code survives 5 of them.
    const checked = await inTransaction(this.#deps.db, async (trx) => {
      await lockThrottleScopes(trx, [scope.key, `registration-draft:${digest.toString('hex')}`]);
      const until = await blockedUntil(trx, [scope], now);
      if (until) return { throttled: new RegistrationThrottled(until) };
      const row = await trx
        .selectFrom('registration_drafts')
        .selectAll()
        .where('email_digest', '=', digest)
        .executeTakeFirst();
      const good =
        row !== undefined &&
        row.code_hash !== null &&
        row.code_expires_at !== null &&
        row.code_expires_at > now.toISOString() &&
        row.code_attempts < CODE_MAX_ATTEMPTS &&
        timingSafeEqual(Buffer.from(row.code_hash), Buffer.from(codeHash(row.id, code)));
      if (!good) {
        if (row?.code_hash)
          await trx
            .updateTable('registration_drafts')
            .set({ code_attempts: row.code_attempts + 1 })
            .where('id', '=', row.id)
            .execute();
        await recordFailure(trx, scope, now);
        return { wrong: true as const };
      }
      const token = randomBytes(32).toString('base64url');
      // The proved address is sealed with the draft: the account's login and the file's e-mail come from it.
      const sealed = row.sealed
        ? null
        : sealSecret(
            this.#deps.keyring(),
            row.id,
            SEAL_PURPOSE,
            Buffer.from(JSON.stringify({ __email: address }), 'utf8'),
          );
      await trx
        .updateTable('registration_drafts')
        .set({
          ...(sealed ? { secret_version: sealed.version, sealed: sealed.sealed } : {}),
          code_hash: null,
          code_expires_at: null,
          code_attempts: 0,
          verified_at: now.toISOString(),
          token_hash: sha256(token),
          // Proved, the draft is kept 15 days from now even before its first save.
          expires_at: new Date(now.getTime() + DRAFT_TTL_MS).toISOString(),
          updated_at: now.toISOString(),
        })
        .where('id', '=', row.id)
        .execute();
      return { token };
    });
    if ('throttled' in checked) throw checked.throttled;
    if ('wrong' in checked)
      throw new ValidationError([
        {
          field: 'body.code',
          rule: 'invalid_code',
          message: 'Code incorrect, expiré ou déjà utilisé : vérifiez-le ou demandez un nouveau code.',
        },
      ]);
    const { token } = checked;
    return { token, ...(await this.draft(token)) };
  }

  /** The draft bound to this token (the address the person proved), or a 409 when it expired. */
  async draft(token: string): Promise<DraftView> {
    const row = await this.#byToken(token);
    const { email, draft } = this.#contentOf(row);
    const saved = Object.keys(draft).length > 0;
    return { email, draft: saved ? draft : null, savedAt: saved ? row.updated_at : null, expiresAt: row.expires_at };
  }

  /**
   * Save the form as it stands (any step, unfinished): sealed, bound to the draft, 15 more days.
   * Neither a password nor the NIR is ever kept in a draft (the NIR is asked again on resuming, so
   * that it is never sent back to a browser).
   */
  async save(token: string, raw: unknown): Promise<DraftView> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new ValidationError([
        { field: 'body.draft', rule: 'type:object', message: 'Le brouillon est un formulaire.' },
      ]);
    const draft = withoutSecrets(raw) as Record<string, unknown>;
    const row = await this.#byToken(token);
    const { email } = this.#contentOf(row);
    const text = JSON.stringify({ ...draft, __email: email });
    if (Buffer.byteLength(text) > DRAFT_MAX_BYTES)
      throw new ValidationError([{ field: 'body.draft', rule: 'maxLength', message: 'Le brouillon est trop long.' }]);
    const now = this.#now();
    const secret = sealSecret(this.#deps.keyring(), row.id, SEAL_PURPOSE, Buffer.from(text, 'utf8'));
    const expiresAt = new Date(now.getTime() + DRAFT_TTL_MS).toISOString();
    await this.#deps.db
      .updateTable('registration_drafts')
      .set({
        secret_version: secret.version,
        sealed: secret.sealed,
        updated_at: now.toISOString(),
        expires_at: expiresAt,
      })
      .where('id', '=', row.id)
      .execute();
    return { email, draft, savedAt: now.toISOString(), expiresAt };
  }

  /**
   * Submit the registration: the whole form checked (each bad field a 400 naming it, nothing
   * written), then the core. Registered: the file, the account and the confirmation. Held as a
   * possible duplicate: « en cours de vérification », by e-mail too. The draft is gone either way.
   */
  async submit(token: string, raw: unknown, network: string): Promise<SubmitAnswer> {
    const now = this.#now();
    const row = await this.#byToken(token);
    const body = validate(SubmitBodySchema, raw, 'body');
    const { email } = this.#contentOf(row);
    const input = this.#deps.registrations.validate(body.registration, 'online', 'body.registration');
    const issues: ValidationIssue[] = [];
    if (input.contact.email !== email)
      issues.push({
        field: 'body.registration.contact.email',
        rule: 'email.verified',
        message: 'L’adresse électronique doit être celle que vous avez confirmée avec le code.',
      });
    const words = [email, input.identity.lastName, ...input.identity.firstNames, input.identity.birthDate];
    issues.push(
      ...passwordIssues(body.password, words, 'body.password').map((i) => ({
        ...i,
        message: `Mot de passe : ${i.message}.`,
      })),
    );
    if (body.paper && !input.contact.address)
      issues.push({
        field: 'body.registration.contact.address',
        rule: 'paper.address',
        message: 'Pour recevoir vos courriers par la poste, saisissez votre adresse postale.',
      });
    if (issues.length) throw new ValidationError(issues);
    if (await isLoginTaken(this.#deps.db, email))
      throw new ConflictError(
        'Un compte utilise déjà cette adresse électronique : connectez-vous, ou choisissez « Mot de passe oublié ».',
        'login_taken',
      );
    await this.#throttle(
      [
        {
          key: `registration-submit-network:${network}`,
          maxFailures: REGISTRATION_LIMITS.submissionsPerNetworkDay,
          windowMs: DAY,
          firstLockMs: DAY,
        },
        {
          key: `registration-submit-mailbox:${lookupDigest(this.#deps.keyring(), 'email', mailboxOf(email)).toString('hex')}`,
          maxFailures: REGISTRATION_LIMITS.submissionsPerMailboxMonth,
          windowMs: 30 * DAY,
          firstLockMs: 30 * DAY,
        },
      ],
      now,
    );
    const passwordHash = await hashPassword(body.password);
    const attempt = () =>
      inTransaction(this.#deps.db, async (trx) => {
        const result = await this.#deps.registrations.register(
          input,
          { kind: 'online' },
          {
            executor: trx,
            prefix: 'body.registration',
            attachment: { email, passwordHash, paper: body.paper === true },
          },
        );
        await trx.deleteFrom('registration_drafts').where('id', '=', row.id).execute();
        if (result.outcome === 'held_as_duplicate')
          await sendMessage({ db: trx, notifier: this.#deps.notifier }, 'registration_pending_check', {
            channel: 'email',
            to: email,
            subject: 'Votre demande d’inscription est en cours de vérification',
            body: [
              'Bonjour,',
              '',
              'Nous avons bien reçu votre demande d’inscription comme demandeur d’emploi. Elle est en cours de vérification par un conseiller France Travail.',
              'Vous recevrez un message dès qu’elle aura été examinée. Vous n’avez rien à faire d’ici là.',
            ].join('\n'),
          });
        return result;
      });
    let outcome;
    try {
      outcome = await attempt();
    } catch (error) {
      // Another registration with the same identifier committed between the lookup and the insert
      // (the store's unique index): once more, and the lookup now holds it — never a 409 that would
      // say the NIR exists.
      if (!(error instanceof ConflictError) || !error.code.endsWith('_already_registered')) throw error;
      outcome = await attempt();
    }
    if (outcome.outcome === 'held_as_duplicate') return { outcome: 'pending_check' };
    return {
      outcome: 'registered',
      franceTravailId: outcome.franceTravailId,
      category: outcome.category,
      administrativeCategory: outcome.administrativeCategory,
      registeredOn: outcome.registeredOn,
      login: email,
    };
  }

  /**
   * A signed-in person whose registration ended (« cessation d'inscription », a missed monthly
   * update) registers again from their espace: what may have changed (situation, availability,
   * mobility, jobs sought) is declared anew, the same file and France Travail id are kept, the
   * registration starts again today in the categories the new situation gives. A running
   * registration is a 409; bad input a 400 naming the field; nothing written then. An event of the
   * person's journal, no value, and a confirmation on their account's channels.
   */
  async renew(
    personId: string,
    accountId: string,
    raw: unknown,
  ): Promise<{ franceTravailId: string; category: string; administrativeCategory: number; registeredOn: string }> {
    const input = validate(RenewalSchema, raw, 'body');
    if (input.situation.kind === 'reduced_activity' && input.situation.hoursLastMonth === undefined)
      throw new ValidationError([
        {
          field: 'body.situation.hoursLastMonth',
          rule: 'required',
          message: 'Saisissez le nombre d’heures travaillées le mois dernier.',
        },
      ]);
    if (input.situation.kind !== 'reduced_activity' && input.situation.hoursLastMonth !== undefined)
      throw new ValidationError([
        {
          field: 'body.situation.hoursLastMonth',
          rule: 'situation.hours_without_activity',
          message: 'Les heures travaillées ne se déclarent que pour une activité réduite.',
        },
      ]);
    const { category, administrativeCategory } = categoriesOf(input);
    const { y, m, d } = parisDate(this.#now());
    const today = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    return inTransaction(this.#deps.db, async (trx) => {
      const registration = await this.#deps.persons.modify(
        personId,
        'registration',
        (current) => {
          if (!current || current.status !== 'deregistered')
            throw new ConflictError(
              'Votre inscription est en cours : vous n’avez pas à vous réinscrire.',
              'registration_running',
            );
          const { deregisteredOn: _ended, ...kept } = current;
          void _ended;
          return {
            ...kept,
            category,
            administrativeCategory,
            registeredOn: today,
            status: 'registered' as const,
            situation: input.situation,
            channel: 'online' as const,
          };
        },
        trx,
      );
      await this.#deps.persons.modify(
        personId,
        'career',
        (current) => ({
          experiences: current?.experiences ?? [],
          diplomas: current?.diplomas ?? [],
          soughtJobs: input.soughtJobs,
          availability: input.availability,
          mobility: input.mobility,
        }),
        trx,
      );
      await appendEvent(trx, 'registration_renewed', {
        accountId,
        personId,
        operation: 'renew',
        classes: ['registration', 'career'],
        details: { channel: 'online' },
      });
      await announceToAccount(
        { db: trx, keyring: this.#deps.keyring(), notifier: this.#deps.notifier },
        accountId,
        'registration_renewed',
        'Votre réinscription à France Travail est enregistrée',
        [
          'Bonjour,',
          '',
          `Votre réinscription comme demandeur d’emploi est enregistrée depuis le ${frenchDate(today)}.`,
          `Votre identifiant France Travail reste le ${registration.franceTravailId}.`,
          `Catégorie d’inscription : ${administrativeCategory} (catégorie statistique ${category}).`,
          '',
          'Chaque mois, pensez à vous actualiser entre le 28 et le 15 du mois suivant.',
        ].join('\n'),
      );
      return { franceTravailId: registration.franceTravailId, category, administrativeCategory, registeredOn: today };
    });
  }

  /** Drop every draft past its 15 days (also done on each use of the drafts). Answers how many went. */
  async purgeExpired(): Promise<number> {
    return this.#purge(this.#now());
  }

  async #purge(now: Date): Promise<number> {
    const result = await this.#deps.db
      .deleteFrom('registration_drafts')
      .where('expires_at', '<=', now.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows ?? 0);
  }

  /** The channel's part once the file exists: the account, its proved address, the confirmation. */
  async #registered(event: RegisteredEvent, trx: Executor): Promise<void> {
    const email = String(event.attachment?.email ?? '');
    const passwordHash = String(event.attachment?.passwordHash ?? '');
    // Only this channel's own submissions ask for an account (the core's callers may register online without one).
    if (!email || !passwordHash) return;
    const accountId = await createAccount(trx, {
      kind: 'job_seeker',
      login: email,
      passwordHash,
      personId: event.personId,
    });
    await addChannel(trx, this.#deps.keyring(), accountId, 'email', email, { verified: true, now: this.#now() });
    const subject = 'Votre inscription à France Travail est enregistrée';
    const body = [
      'Bonjour,',
      '',
      `Votre inscription comme demandeur d’emploi est enregistrée depuis le ${frenchDate(event.registeredOn)}.`,
      `Votre identifiant France Travail : ${event.franceTravailId}.`,
      `Catégorie d’inscription : ${event.administrativeCategory} (catégorie statistique ${event.category}).`,
      '',
      `Pour vous connecter à votre espace personnel, utilisez votre adresse électronique (${email}) et le mot de passe que vous avez choisi. À la première connexion, vous ajouterez un second facteur d’authentification.`,
      ...(event.nirWithheld
        ? [
            '',
            'Votre numéro de sécurité sociale n’a pas pu être enregistré : un conseiller vous contactera pour le vérifier avec vous.',
          ]
        : []),
      '',
      'Chaque mois, pensez à vous actualiser entre le 28 et le 15 du mois suivant.',
    ].join('\n');
    const m = { db: trx, keyring: this.#deps.keyring(), notifier: this.#deps.notifier };
    await announceToAccount(m, accountId, 'registration_confirmed', subject, body);
    if (event.attachment?.paper === true && this.#deps.choosePaper) {
      const personId = event.personId;
      const choosePaper = this.#deps.choosePaper;
      // The choice of paper is the paper channel's own write, made once the file is committed; the
      // confirmation then goes as a letter too.
      await afterCommit(trx, async () => {
        try {
          await choosePaper(personId, accountId);
          await this.#deps.notifier.paper?.(
            { personId, accountId, kind: 'registration_confirmed', subject, body },
            this.#deps.db,
          );
        } catch {
          // The e-mail went with the registration; the person can still choose paper in their espace.
        }
      });
    }
  }

  /** An agent found the candidate is an existing person: they are told at the address they proved. */
  async #confirmed(event: DuplicateConfirmedEvent, trx: Executor): Promise<void> {
    const messenger = { db: trx, keyring: this.#deps.keyring(), notifier: this.#deps.notifier };
    // The file's own channels hear what was done, never the address the request came from: whoever
    // registered with another person's identity learns nothing more, and the person can object.
    await announceToPerson(
      messenger,
      event.personId,
      'registration_attached',
      'Une demande d’inscription a été rattachée à votre dossier',
      [
        'Bonjour,',
        '',
        `Une demande d’inscription en ligne à votre nom a été rattachée à votre dossier par un conseiller le ${frenchDate(this.#now().toISOString().slice(0, 10))}.`,
        event.reopened
          ? 'Votre inscription, qui avait pris fin, est de nouveau ouverte à compter de ce jour.'
          : 'Votre inscription était déjà en cours : rien n’a changé.',
        'Si vous n’êtes pas à l’origine de cette demande, signalez-le depuis « Qui a consulté mon dossier » dans votre espace personnel ou à votre agence.',
      ].join('\n'),
    );
    const email = String(event.attachment?.email ?? '');
    if (!email) return;
    await sendMessage(messenger, 'registration_duplicate_confirmed', {
      channel: 'email',
      to: email,
      subject: 'Votre demande d’inscription a été examinée',
      body: [
        'Bonjour,',
        '',
        'Un conseiller a examiné votre demande d’inscription : elle a été rattachée à un dossier existant, aucun nouveau dossier n’a été créé.',
        'La suite vous est adressée par les moyens de contact déjà connus de ce dossier. Si vous avez un espace personnel, connectez-vous avec vos identifiants habituels (« Mot de passe oublié » au besoin) ; sinon, adressez-vous à votre agence muni d’une pièce d’identité.',
      ].join('\n'),
    });
  }

  async #byToken(token: string) {
    const now = this.#now();
    await this.#purge(now);
    const row =
      token.length >= 32 && token.length <= 64
        ? await this.#deps.db
            .selectFrom('registration_drafts')
            .selectAll()
            .where('token_hash', '=', sha256(token))
            .executeTakeFirst()
        : undefined;
    if (!row || row.verified_at === null || row.sealed === null)
      throw new ConflictError(
        'Votre brouillon a expiré ou n’existe plus : confirmez de nouveau votre adresse électronique.',
        'draft_expired',
      );
    return row;
  }

  /** The proved address and the form as saved, opened from the draft's seal. */
  #contentOf(row: { id: string; secret_version: number | null; sealed: Buffer | null }): {
    email: string;
    draft: Record<string, unknown>;
  } {
    const { __email, ...draft } = JSON.parse(
      openSecret(this.#deps.keyring(), row.id, SEAL_PURPOSE, {
        version: row.secret_version!,
        sealed: row.sealed!,
      }).toString('utf8'),
    ) as Record<string, unknown>;
    return { email: String(__email), draft };
  }

  /**
   * Check the scopes and count this request in them, atomically: under each scope's lock (in
   * `executor`'s transaction when given), so that parallel requests cannot all pass the check
   * before any of them is counted.
   */
  async #throttle(
    scopes: ReadonlyArray<{ key: string; maxFailures: number; windowMs?: number; firstLockMs?: number }>,
    now: Date,
    count = true,
    executor: Executor = this.#deps.db,
  ): Promise<void> {
    await inTransaction(executor, async (trx) => {
      await lockThrottleScopes(
        trx,
        scopes.map((s) => s.key),
      );
      const until = await blockedUntil(trx, scopes, now);
      if (until) throw new RegistrationThrottled(until);
      if (count) for (const scope of scopes) await recordFailure(trx, scope, now);
    });
  }

  #now(): Date {
    return this.#deps.clock.now();
  }
}

function frenchDate(day: string): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', dateStyle: 'long' }).format(new Date(`${day}T12:00:00Z`));
}

/** The form without any `password` or `nir`, at any depth. */
function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'password' && key !== 'nir')
      .map(([key, v]) => [key, withoutSecrets(v)]),
  );
}
