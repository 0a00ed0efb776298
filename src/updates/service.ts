import { randomUUID } from 'node:crypto';
import { openSecret, sealSecret, type Keyring } from '../crypto/index.ts';
import {
  ConflictError,
  parisDate,
  validate,
  type Clock,
  type DeclaredFlag,
  type DeclaredMonth,
  type PersonFile,
} from '../domain/index.ts';
import { announceToPerson } from '../identity/index.ts';
import { appendEvent } from '../ledger/index.ts';
import type { Notifier } from '../notify/index.ts';
import { inTransaction, updateObligations, type Executor, type PersonStore } from '../store/index.ts';
import { DeclarationSchema, type Declaration, type OwnDeclaration, type UpdateState } from './model.ts';
import { lastClosedWindowAt, nextWindowAfter, openWindowAt, type UpdateWindow } from './window.ts';

const SEAL_PURPOSE = 'monthly_update';
const BATCH = 500;
/** How long before the close the reminder goes: from the 13th (the window closes at the end of the 15th). */
const REMIND_BEFORE_MS = 3 * 86_400_000;

export interface MonthlyUpdateDeps {
  db: Executor;
  keyring: () => Keyring;
  notifier: Notifier;
  clock: Clock;
  persons: PersonStore;
  /**
   * Writes the month's declared figures into the person's `benefits` class, recorded, inside the
   * declaration's transaction (the access pipeline's `recordDeclaredMonth`, which this capability
   * cannot import): a declaration never commits without its figures, nor the figures without it.
   */
  recordFigures: (
    trx: Executor,
    by: { accountId: string | null; actorId?: string; mandateId?: string },
    personId: string,
    month: DeclaredMonth,
  ) => Promise<void>;
}

const FRENCH_DATE = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long' });
const MONTH = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', month: 'long', year: 'numeric' });

function monthName(period: string): string {
  return MONTH.format(new Date(`${period}-01T00:00:00Z`));
}

/**
 * The monthly update (actualisation, issue 25 §2). A person registered in a category that looks
 * for work (A, B, C) declares each month, from the 28th to the 15th of the next month, a sworn
 * statement of the month; they may correct it until the window closes (each version kept,
 * sealed). After it closes, a registration without a declaration for that month ends —
 * « cessation d'inscription », not a sanction: the person is told why and how to come back. Each
 * declaration and each end is an event of the person's journal, naming no value.
 */
export class MonthlyUpdates {
  readonly #deps: MonthlyUpdateDeps;

  constructor(deps: MonthlyUpdateDeps) {
    this.#deps = deps;
  }

  async state(personId: string): Promise<UpdateState> {
    const now = this.#deps.clock.now();
    const open = openWindowAt(now);
    const required = (await updateObligations(this.#deps.db, this.#deps.keyring, [personId])).has(personId);
    const rows = await this.#deps.db
      .selectFrom('monthly_updates')
      .selectAll()
      .where('person_id', '=', personId)
      .orderBy('period', 'desc')
      .orderBy('version', 'desc')
      .limit(24)
      .execute();
    return {
      required,
      open: open ? windowView(open) : null,
      nextOpensAt: nextWindowAfter(now).opensAt.toISOString(),
      declarations: rows.map((r) => ({
        period: r.period,
        version: r.version,
        declaredAt: r.declared_at,
        correction: r.version > 1,
        declaration: JSON.parse(
          openSecret(this.#deps.keyring(), r.id, SEAL_PURPOSE, {
            version: r.secret_version,
            sealed: r.sealed,
          }).toString('utf8'),
        ) as OwnDeclaration['declaration'],
      })),
    };
  }

  /**
   * Declare (or correct) the month whose window is open: a 400 naming the field for a bad
   * declaration, a 409 outside the window or for a registration that does not update; nothing
   * written then. `assisted`: declared for the person by an aidant under their mandate (issue 25
   * §4), in the caller's transaction (the guard's), the event naming the aidant and the mandate.
   */
  async declare(
    personId: string,
    accountId: string | null,
    raw: unknown,
    assisted?: { actorId: string; mandateId: string; executor: Executor },
  ): Promise<OwnDeclaration> {
    const input = validate(DeclarationSchema, raw, 'body');
    const now = this.#deps.clock.now();
    const open = openWindowAt(now);
    if (!open || (input.period !== undefined && input.period !== open.period)) {
      const next = nextWindowAfter(now);
      throw new ConflictError(
        input.period !== undefined && open
          ? `L’actualisation ouverte est celle de ${monthName(open.period)}, jusqu’au ${FRENCH_DATE.format(open.closesAt)}.`
          : `L’actualisation n’est pas ouverte : la prochaine ouvre le ${FRENCH_DATE.format(next.opensAt)}.`,
        'update_closed',
      );
    }
    // In the caller's transaction when there is one: a second connection would wait for it (SQLite).
    if (!(await updateObligations(assisted?.executor ?? this.#deps.db, this.#deps.keyring, [personId])).has(personId))
      throw new ConflictError(
        'Votre inscription ne demande pas d’actualisation mensuelle (catégories D et E, ou inscription terminée).',
        'update_not_required',
      );
    const { period: _period, ...declaration } = input;
    void _period;
    const id = randomUUID();
    const at = now.toISOString();
    const secret = sealSecret(this.#deps.keyring(), id, SEAL_PURPOSE, Buffer.from(JSON.stringify(declaration), 'utf8'));
    const version = await inTransaction(assisted?.executor ?? this.#deps.db, async (trx) => {
      const last = await trx
        .selectFrom('monthly_updates')
        .select((eb) => eb.fn.max('version').as('v'))
        .where('person_id', '=', personId)
        .where('period', '=', open.period)
        .executeTakeFirst();
      const next = Number(last?.v ?? 0) + 1;
      await trx
        .insertInto('monthly_updates')
        .values({
          id,
          person_id: personId,
          period: open.period,
          version: next,
          declared_at: at,
          account_id: accountId,
          secret_version: secret.version,
          sealed: secret.sealed,
        })
        .execute();
      await appendEvent(trx, 'monthly_update_declared', {
        accountId,
        ...(assisted ? { actorId: assisted.actorId } : {}),
        personId,
        operation: next > 1 ? 'correct' : 'declare',
        details: { period: open.period, version: next, ...(assisted ? { mandate: assisted.mandateId } : {}) },
      });
      // The figures' author is the declaration's: the person, or the aidant under their mandate.
      await this.#deps.recordFigures(
        trx,
        { accountId, ...(assisted ? { actorId: assisted.actorId, mandateId: assisted.mandateId } : {}) },
        personId,
        declaredMonth(open.period, next, declaration),
      );
      return next;
    });
    return { period: open.period, version, declaredAt: at, correction: version > 1, declaration };
  }

  /**
   * Once the last window has closed, once per month: every registration that had to update and
   * did not ends (status `deregistered`, from the day after the close), each with its event and a
   * notice to the person's espace account. Resumable: a file already ended is no longer due.
   * Returns the month checked and how many registrations ended, or null if already done.
   */
  async checkMissed(): Promise<{ period: string; ceased: number } | null> {
    const db = this.#deps.db;
    const window = lastClosedWindowAt(this.#deps.clock.now());
    const done = await db
      .selectFrom('monthly_update_checks')
      .select('period')
      .where('period', '=', window.period)
      .executeTakeFirst();
    if (done) return null;
    // Dates as Paris says them: the day after the close, and the day the window opened.
    const endedOn = parisDay(new Date(window.closesAt.getTime() + 1));
    const registeredBefore = parisDay(window.opensAt);
    let ceased = 0;
    for await (const due of this.#dueBatches(registeredBefore)) {
      const declared = new Set(
        (
          await db
            .selectFrom('monthly_updates')
            .select('person_id')
            .where('period', '=', window.period)
            .where('person_id', 'in', due)
            .execute()
        ).map((r) => r.person_id),
      );
      for (const personId of due.filter((id) => !declared.has(id))) {
        await this.#cease(personId, window, endedOn);
        ceased++;
      }
    }
    await db
      .insertInto('monthly_update_checks')
      .values({ period: window.period, checked_at: this.#deps.clock.now().toISOString(), ceased })
      .onConflict((oc) => oc.column('period').doNothing())
      .execute();
    return { period: window.period, ceased };
  }

  /**
   * From three days before the open window closes (the 13th, Paris), each person who must update
   * and has not declared yet is reminded, once per month: on their espace account's channels, and
   * by letter when they chose paper (the notifier's paper channel). Returns how many were reminded.
   */
  async remindDue(): Promise<number> {
    const db = this.#deps.db;
    const now = this.#deps.clock.now();
    const open = openWindowAt(now);
    if (!open || open.closesAt.getTime() - now.getTime() > REMIND_BEFORE_MS) return 0;
    let reminded = 0;
    for await (const due of this.#dueBatches(parisDay(open.opensAt))) {
      const done = new Set(
        [
          ...(await db
            .selectFrom('monthly_updates')
            .select('person_id')
            .where('period', '=', open.period)
            .where('person_id', 'in', due)
            .execute()),
          ...(await db
            .selectFrom('monthly_update_reminders')
            .select('person_id')
            .where('period', '=', open.period)
            .where('person_id', 'in', due)
            .execute()),
        ].map((r) => r.person_id),
      );
      for (const personId of due.filter((id) => !done.has(id))) {
        await inTransaction(db, async (trx) => {
          await trx
            .insertInto('monthly_update_reminders')
            .values({ person_id: personId, period: open.period, reminded_at: now.toISOString() })
            .execute();
          // On the espace account's channels, and as a letter when they chose paper — an account or not.
          await announceToPerson(
            { db: trx, keyring: this.#deps.keyring(), notifier: this.#deps.notifier },
            personId,
            'monthly_update_reminder',
            `Votre actualisation de ${monthName(open.period)} se termine le ${FRENCH_DATE.format(open.closesAt)}`,
            [
              'Bonjour,',
              '',
              `Vous ne vous êtes pas encore actualisé(e) pour le mois de ${monthName(open.period)}. Vous pouvez le faire jusqu’au ${FRENCH_DATE.format(open.closesAt)} inclus, dans votre espace personnel (« M’actualiser ») ou à votre agence.`,
              'Sans actualisation, votre inscription prendra fin : ce n’est pas une sanction, mais il faudrait vous réinscrire.',
            ].join('\n'),
          );
        });
        reminded++;
      }
    }
    return reminded;
  }

  /**
   * The active files that must update for a month, a batch at a time, in id order: registered in an
   * updating category since before `registeredBefore` (the day the month's window opened) — the
   * same persons the reminder reaches and the check ends.
   */
  async *#dueBatches(registeredBefore: string): AsyncGenerator<string[]> {
    const db = this.#deps.db;
    let after = '';
    for (;;) {
      const batch = (
        await db
          .selectFrom('persons')
          .select('id')
          .where('status', '=', 'active')
          .where('id', '>', after)
          .orderBy('id')
          .limit(BATCH)
          .execute()
      ).map((r) => r.id);
      if (batch.length === 0) return;
      after = batch.at(-1)!;
      const due = [...(await updateObligations(db, this.#deps.keyring, batch))]
        .filter(([, o]) => o.registeredOn < registeredBefore)
        .map(([id]) => id);
      if (due.length) yield due;
    }
  }

  async #cease(personId: string, window: UpdateWindow, endedOn: string): Promise<void> {
    await inTransaction(this.#deps.db, async (trx) => {
      await this.#deps.persons.modify(
        personId,
        'registration',
        (current) =>
          ({ ...current!, status: 'deregistered', deregisteredOn: endedOn }) as NonNullable<PersonFile['registration']>,
        trx,
      );
      await appendEvent(trx, 'registration_ceased', {
        personId,
        operation: 'cease',
        classes: ['registration'],
        details: { period: window.period, reason: 'monthly_update_missed' },
      });
      await announceToPerson(
        { db: trx, keyring: this.#deps.keyring(), notifier: this.#deps.notifier },
        personId,
        'registration_ceased',
        'Votre inscription comme demandeur d’emploi a pris fin',
        [
          'Bonjour,',
          '',
          `Vous ne vous êtes pas actualisé(e) pour le mois de ${monthName(window.period)} avant le ${FRENCH_DATE.format(window.closesAt)} : votre inscription a pris fin le ${FRENCH_DATE.format(new Date(`${endedOn}T12:00:00Z`))}.`,
          'Ce n’est pas une sanction. Si vous cherchez toujours un emploi, réinscrivez-vous dans votre espace personnel ou auprès de votre agence : vos droits reprennent à la date de votre réinscription.',
          'Si vous n’avez pas pu vous actualiser (hospitalisation, panne…), dites-le à votre conseiller : il peut en tenir compte.',
        ].join('\n'),
      );
    });
  }
}

/** What of a declaration the `benefits` class keeps: each contract's hours and gross pay (not the employer), and the situations set. */
export function declaredMonth(
  period: string,
  version: number,
  declaration: Omit<Declaration, 'period'>,
): DeclaredMonth {
  const flags: DeclaredFlag[] = [];
  if (!declaration.stillLooking) flags.push('not_looking');
  if (declaration.training) flags.push('training');
  if (declaration.sickness) flags.push('sickness');
  if (declaration.parentalLeave) flags.push('parental_leave');
  if (declaration.retirement) flags.push('retirement');
  if (declaration.invalidity) flags.push('invalidity');
  return {
    period,
    version,
    contracts: declaration.works.map((w) => ({ hours: w.hours, grossCents: w.grossCents })),
    flags,
  };
}

function parisDay(instant: Date): string {
  const { y, m, d } = parisDate(instant);
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function windowView(w: UpdateWindow) {
  return { period: w.period, opensAt: w.opensAt.toISOString(), closesAt: w.closesAt.toISOString() };
}
