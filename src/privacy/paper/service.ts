import { randomUUID } from 'node:crypto';
import { openSecret, sealSecret, type Keyring } from '../../crypto/index.ts';
import {
  ConflictError,
  NotFoundError,
  systemClock,
  ValidationError,
  type Clock,
  type PersonFile,
} from '../../domain/index.ts';
import { activeJobSeekerAccountOf, announceToAccount, announceToPerson } from '../../identity/index.ts';
import { addressee, postalBlock, renderLetters, type LetterLayout } from '../../incidents/index.ts';
import { appendEvent } from '../../ledger/index.ts';
import type { Notifier, PaperNotice } from '../../notify/index.ts';
import { inTransaction, type Executor, type PaperLetterStatus, type PaperLettersTable } from '../../store/index.ts';
import type { Selectable } from 'kysely';

/** Why a letter came back, as La Poste's return slip says it. */
export const RETURN_REASONS = ['adresse_inconnue', 'destinataire_inconnu', 'refuse', 'non_reclame', 'autre'] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];

export const RETURN_REASON_LABELS: Readonly<Record<ReturnReason, string>> = {
  adresse_inconnue: 'Adresse inconnue',
  destinataire_inconnu: 'Destinataire inconnu à l’adresse',
  refuse: 'Refusé',
  non_reclame: 'Non réclamé',
  autre: 'Autre motif',
};

/** How an agent reached a person whose letter came back (« joint par un agent »). */
export const REACHED_MEANS = ['telephone', 'agence', 'courriel', 'visite', 'autre'] as const;
export type ReachedMeans = (typeof REACHED_MEANS)[number];

export const REACHED_MEANS_LABELS: Readonly<Record<ReachedMeans, string>> = {
  telephone: 'Par téléphone',
  agence: 'À l’agence',
  courriel: 'Par courriel, à une adresse donnée par la personne',
  visite: 'Par une visite à domicile',
  autre: 'Autrement',
};

export const PAPER_LETTER_STATUSES: readonly PaperLetterStatus[] = ['queued', 'posted', 'returned'];

export const PAPER_LETTER_STATUS_LABELS: Readonly<Record<PaperLetterStatus, string>> = {
  queued: 'En attente d’impression',
  posted: 'Posté',
  returned: 'Revenu',
};

/** The notices' kinds as the desk names them (an unknown kind is shown as is). */
const KIND_LABELS: Readonly<Record<string, string>> = {
  correspondence_preference_announcement: 'Préférence de correspondance',
  factor_added_announcement: 'Sécurité : second facteur ajouté',
  factor_removed_announcement: 'Sécurité : second facteur retiré',
  password_changed_announcement: 'Sécurité : mot de passe changé',
  password_reset_announcement: 'Sécurité : mot de passe réinitialisé',
  login_locked_announcement: 'Sécurité : compte verrouillé',
  channel_added_announcement: 'Sécurité : moyen de contact ajouté',
  bank_alert: 'Changement de coordonnées bancaires',
  bank_change_notice: 'Changement de coordonnées bancaires',
  rights_request_answer: 'Réponse à une demande d’exercice des droits',
  rights_request_extension: 'Prolongation du délai de réponse à une demande d’exercice des droits',
  monthly_update_reminder: 'Rappel d’actualisation mensuelle',
  registration_ceased: 'Fin d’inscription (actualisation manquée)',
  restriction_lifted: 'Levée de la limitation du traitement',
  retention_notice: 'Avis de fin de conservation',
  employer_certificate_corrected: 'Attestation employeur corrigée',
  employer_certificate_disputed: 'Attestation employeur contestée',
  access_reported_ack: 'Signalement d’un accès transmis',
  login_lock_announcement: 'Sécurité : connexions bloquées',
  activation_announcement: 'Sécurité : mot de passe du compte défini',
  channel_verified_announcement: 'Sécurité : moyen de contact vérifié',
  federation_link_announcement: 'Sécurité : connexion par un autre service liée',
  registration_receipt: 'Récépissé d’inscription',
  registration_import_notice: 'Inscription par un partenaire',
};

const SEALING_PURPOSE = 'paper_letter';
/** The read of the address a letter is printed for, in the person's journal. */
export const PAPER_PURPOSE = 'paper_correspondence';
const SENDER = ['France Travail', 'Rempart — Correspondance', 'TSA 00000 — 75000 PARIS'];

export interface CorrespondencePreference {
  paper: boolean;
  setAt: string | null;
  /** Who set it last: the person in their espace, or an agent on their behalf. */
  setBy: 'person' | 'agent' | null;
}

export interface PaperLetterView {
  id: string;
  personId: string;
  kind: string;
  kindLabel: string;
  status: PaperLetterStatus;
  statusLabel: string;
  queuedAt: string;
  printedAt: string | null;
  postedAt: string | null;
  returnedAt: string | null;
  returnReason: ReturnReason | null;
  returnReasonLabel: string | null;
  /** Back: how many verified channels the notice was then sent to. */
  reachedChannels: number | null;
  /** Back and reached nowhere else: an agent must reach the person. */
  needsAgent: boolean;
  /** « Joint par un agent »: how and on which day, once recorded. */
  reached: { how: ReachedMeans; howLabel: string; on: string; recordedAt: string } | null;
}

export interface PaperLetterPage {
  page: number;
  pageSize: number;
  total: number;
  letters: PaperLetterView[];
}

export const PAPER_LETTERS_MAX_PAGE_SIZE = 100;

/** The person's identity and contact, read to print a letter; the read recorded first (the runtime's, through the access pipeline). */
export type ReadLetterAddress = (
  personId: string,
  by: { accountId: string | null },
  letterId: string,
) => Promise<Pick<PersonFile, 'identity' | 'contact'> | undefined>;

export interface PaperChannelDeps {
  db: Executor;
  keyring: () => Keyring;
  /** The runtime's notifier: the fallback of a returned letter goes through it (no letter again). */
  notifier: Notifier;
  readAddress: ReadLetterAddress;
  /** The controller's name and postal address lines, and the DPO's contact: the letterhead's footer. */
  layout: LetterLayout;
  clock?: Clock;
}

type Row = Selectable<PaperLettersTable>;

/**
 * The paper channel (issue 25 §5). A person chooses paper for all correspondence (in their
 * espace, or an agent records it for them); then every notice announced to their account is
 * also queued here as a letter, in the notice's transaction. The print-and-post service (the
 * security desk's mail room) takes each letter as a PDF — the address read from the file through
 * the access pipeline, recorded first — posts it and says so, and records a letter that came
 * back with La Poste's reason: the same notice then goes to the person's verified e-mail and
 * mobile, and a person reached nowhere else is flagged for an agent. Every step is a ledger
 * event naming the letter and the person, never an address or a text.
 */
export class PaperChannel {
  readonly #deps: PaperChannelDeps;
  readonly #now: () => Date;

  constructor(deps: PaperChannelDeps) {
    this.#deps = deps;
    const clock = deps.clock ?? systemClock;
    this.#now = () => clock.now();
  }

  // ---- The preference ----

  async preference(personId: string, db: Executor = this.#deps.db): Promise<CorrespondencePreference> {
    const row = await db
      .selectFrom('correspondence_preferences')
      .selectAll()
      .where('person_id', '=', personId)
      .executeTakeFirst();
    return row
      ? { paper: Number(row.paper) === 1, setAt: row.set_at, setBy: row.set_by }
      : { paper: false, setAt: null, setBy: null };
  }

  /**
   * Set the person's choice: by themselves (their account) or by an agent on their behalf (the
   * agent's account and actor are the event's author). Recorded (`correspondence_preference_set`)
   * and announced to the person's account in one transaction — with paper on, that announcement
   * is the first letter. Setting what is already set changes nothing and announces nothing.
   */
  async setPreference(
    personId: string,
    paper: boolean,
    by: { accountId: string; actorId?: string | null; as: 'person' | 'agent' },
  ): Promise<CorrespondencePreference> {
    const person = await this.#deps.db
      .selectFrom('persons')
      .select(['id', 'status'])
      .where('id', '=', personId)
      .executeTakeFirst();
    if (!person) throw new NotFoundError('Personne');
    if (person.status !== 'active')
      throw new ConflictError('Ce dossier est effacé : aucune correspondance ne lui est adressée.', 'person_erased');
    return inTransaction(this.#deps.db, async (trx) => {
      const current = await this.preference(personId, trx);
      if (current.setAt !== null && current.paper === paper) return current;
      const at = this.#now().toISOString();
      const values = { paper: paper ? 1 : 0, set_at: at, set_by_account: by.accountId, set_by: by.as };
      await trx
        .insertInto('correspondence_preferences')
        .values({ person_id: personId, ...values })
        .onConflict((oc) => oc.column('person_id').doUpdateSet(values))
        .execute();
      await appendEvent(trx, 'correspondence_preference_set', {
        accountId: by.accountId,
        ...(by.actorId ? { actorId: by.actorId } : {}),
        personId,
        operation: 'set_correspondence_preference',
        details: { paper, by: by.as },
      });
      // Told on the person's channels; with paper on, this announcement is the first letter — also
      // for a person without an espace account, whose choice an agent recorded.
      const whom = by.as === 'agent' ? 'Un agent de France Travail a enregistré, à votre demande,' : 'Vous avez choisi';
      const body = paper
        ? `${whom} de recevoir toute votre correspondance de Rempart par courrier papier, à l’adresse postale de votre dossier. Les avis importants (sécurité, coordonnées bancaires, incidents, réponses à vos demandes) vous seront envoyés par courrier, en plus de vos autres moyens de contact. Vous pouvez changer ce choix à tout moment dans votre espace, rubrique « Sécurité du compte ».`
        : `${by.as === 'agent' ? 'Un agent de France Travail a enregistré, à votre demande, que vous ne souhaitez plus' : 'Vous avez choisi de ne plus'} recevoir votre correspondance de Rempart par courrier papier. Les avis vous parviendront par courriel et SMS, aux adresses que vous avez confirmées.`;
      await announceToPerson(
        { db: trx, keyring: this.#deps.keyring(), notifier: this.#deps.notifier },
        personId,
        'correspondence_preference_announcement',
        'Rempart : votre choix de correspondance',
        body,
        { verifiedOnly: true },
      );
      return { paper, setAt: at, setBy: by.as };
    });
  }

  // ---- Letters ----

  /**
   * The notifier's paper channel: when the person chose paper, the notice is queued as a letter
   * in `db` (the notice's transaction), sealed, with its event. Answers whether it was queued.
   */
  async queueNotice(notice: PaperNotice, db: Executor): Promise<boolean> {
    if (!(await this.preference(notice.personId, db)).paper) return false;
    await this.queueLetter(notice, db);
    return true;
  }

  /**
   * A letter queued whatever the person's choice: what must reach them on paper (a registration's
   * receipt the agent posts, the notice of a registration by a partner's import). Answers its id.
   */
  async queueLetter(notice: PaperNotice, db: Executor): Promise<string> {
    const id = randomUUID();
    const sealed = sealSecret(
      this.#deps.keyring(),
      id,
      SEALING_PURPOSE,
      Buffer.from(JSON.stringify({ subject: notice.subject, body: notice.body }), 'utf8'),
    );
    await inTransaction(db, async (trx) => {
      await trx
        .insertInto('paper_letters')
        .values({
          id,
          person_id: notice.personId,
          account_id: notice.accountId,
          kind: notice.kind,
          key_version: sealed.version,
          sealed: sealed.sealed,
          status: 'queued',
          queued_at: this.#now().toISOString(),
          printed_at: null,
          posted_at: null,
          returned_at: null,
          return_reason: null,
          reached_channels: null,
          needs_agent: 0,
        })
        .execute();
      await appendEvent(trx, 'paper_letter_queued', {
        personId: notice.personId,
        operation: 'queue_letter',
        details: { letter: id, notice: notice.kind },
      });
    });
    return id;
  }

  /** The mail room's queue: newest first, by status; no address, no text. */
  async list(
    options: { status?: PaperLetterStatus; needsAgent?: boolean; page?: number; pageSize?: number } = {},
  ): Promise<PaperLetterPage> {
    const page = Math.max(1, options.page ?? 1);
    const pageSize = Math.min(PAPER_LETTERS_MAX_PAGE_SIZE, Math.max(1, options.pageSize ?? 20));
    let query = this.#deps.db.selectFrom('paper_letters');
    if (options.status) query = query.where('status', '=', options.status);
    if (options.needsAgent !== undefined) query = query.where('needs_agent', '=', options.needsAgent ? 1 : 0);
    const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await query
      .selectAll()
      .orderBy('queued_at', 'desc')
      .orderBy('id')
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .execute();
    return { page, pageSize, total: Number(total.n), letters: rows.map(view) };
  }

  async get(id: string): Promise<PaperLetterView> {
    return view(await this.#row(id));
  }

  /** A person's letters, for their espace: kinds and statuses only. */
  async ofPerson(personId: string, limit = 20): Promise<PaperLetterView[]> {
    const rows = await this.#deps.db
      .selectFrom('paper_letters')
      .selectAll()
      .where('person_id', '=', personId)
      .orderBy('queued_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(view);
  }

  /**
   * The letter as a PDF for the print-and-post service: the State's letterhead, the postal block
   * in the envelope's window, the notice, the controller and the DPO at the foot. The address is
   * read from the file through the access pipeline (recorded before it is opened). A letter
   * already back is not printed again; a file without an address answers `no_address`.
   */
  async pdf(id: string, by: { accountId: string | null }): Promise<{ content: Buffer; letter: PaperLetterView }> {
    const row = await this.#row(id);
    if (row.status === 'returned')
      throw new ConflictError('Ce courrier est revenu : il n’est plus à imprimer.', 'letter_returned');
    const notice = this.#open(row);
    if (!notice) throw new ConflictError('Le texte de ce courrier n’est plus conservé.', 'letter_text_gone');
    const file = await this.#deps.readAddress(row.person_id, by, row.id);
    const block = file?.identity ? postalBlock(file.identity, file.contact) : undefined;
    if (!file?.identity || !block)
      throw new ConflictError(
        'Le dossier ne porte pas d’adresse postale : le courrier ne peut pas être imprimé.',
        'no_address',
      );
    const asOf = new Date(row.queued_at);
    const date = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' }).format(asOf);
    const paragraphs = notice.body
      .split(/\n+/)
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    const rendered = await renderLetters(
      asOf,
      `Courrier ${row.id}`,
      SENDER,
      [
        {
          address: block,
          place: 'Paris',
          date,
          reference: row.id.slice(0, 8).toUpperCase(),
          subject: capitalised(notice.subject.replace(/^\[Rempart\]\s*|^Rempart\s*:\s*/, '')),
          paragraphs: [`${addressee(file.identity)},`, ...paragraphs],
          signature: ['France Travail'],
        },
      ],
      this.#deps.layout,
    );
    if (!row.printed_at)
      await this.#deps.db
        .updateTable('paper_letters')
        .set({ printed_at: this.#now().toISOString() })
        .where('id', '=', id)
        .where('printed_at', 'is', null)
        .execute();
    return {
      content: rendered.content,
      letter: view({ ...row, printed_at: row.printed_at ?? this.#now().toISOString() }),
    };
  }

  /** « Posté »: handed to La Poste on `postedAt` (today when absent). Only a queued letter. */
  async markPosted(
    id: string,
    input: { postedAt?: string },
    by: { accountId: string; actorId?: string | null },
  ): Promise<PaperLetterView> {
    const row = await this.#row(id);
    const at = input.postedAt ?? this.#now().toISOString();
    return inTransaction(this.#deps.db, async (trx) => {
      const updated = await trx
        .updateTable('paper_letters')
        .set({ status: 'posted', posted_at: at })
        .where('id', '=', id)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw invalid('posted', row.status);
      await appendEvent(trx, 'paper_letter_posted', {
        accountId: by.accountId,
        ...(by.actorId ? { actorId: by.actorId } : {}),
        personId: row.person_id,
        operation: 'post_letter',
        details: { letter: id, notice: row.kind, postedAt: at },
      });
      return view(await this.#row(id, trx));
    });
  }

  /**
   * « Revenu »: La Poste brought it back, for `reason`. In the same transaction the notice goes
   * to the person's verified e-mail and mobile (never a letter again); reached nowhere, the letter
   * is flagged for an agent. A queued letter that could not be posted (no address) comes back too.
   */
  async markReturned(
    id: string,
    input: { reason: ReturnReason; returnedAt?: string },
    by: { accountId: string; actorId?: string | null },
  ): Promise<PaperLetterView> {
    const row = await this.#row(id);
    const at = input.returnedAt ?? this.#now().toISOString();
    const notice = this.#open(row);
    return inTransaction(this.#deps.db, async (trx) => {
      const updated = await trx
        .updateTable('paper_letters')
        .set({ status: 'returned', returned_at: at, return_reason: input.reason })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'posted'])
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw invalid('returned', row.status);
      let reached = 0;
      const accountId = row.account_id ?? (await activeJobSeekerAccountOf(trx, row.person_id))?.id;
      if (notice && accountId)
        reached = await announceToAccount(
          { db: trx, keyring: this.#deps.keyring(), notifier: this.#deps.notifier },
          accountId,
          row.kind,
          notice.subject,
          `${notice.body}\n\n(Ce message vous avait été envoyé par courrier ; ce courrier nous est revenu. Vérifiez l’adresse postale de votre dossier auprès de votre conseiller.)`,
          { verifiedOnly: true, paper: false },
        );
      await trx
        .updateTable('paper_letters')
        .set({ reached_channels: reached, needs_agent: reached === 0 ? 1 : 0 })
        .where('id', '=', id)
        .execute();
      await appendEvent(trx, 'paper_letter_returned', {
        accountId: by.accountId,
        ...(by.actorId ? { actorId: by.actorId } : {}),
        personId: row.person_id,
        operation: 'return_letter',
        details: {
          letter: id,
          notice: row.kind,
          reason: input.reason,
          reachedChannels: reached,
          needsAgent: reached === 0,
        },
      });
      return view(await this.#row(id, trx));
    });
  }

  /**
   * « Joint par un agent »: a letter that came back and reached the person on no other channel
   * (`needsAgent`) is closed by the agent who reached them another way, saying how and on which day
   * (not before the letter came back, not in the future). The flag is lifted by a conditional
   * update with its event, in one transaction: two agents recording it at once get one 200 and one
   * 409. Only the means and the day are kept, never what was said.
   */
  async markReached(
    id: string,
    input: { how: ReachedMeans; reachedOn?: string },
    by: { accountId: string; actorId?: string | null },
  ): Promise<PaperLetterView> {
    const row = await this.#row(id);
    const now = this.#now();
    const today = now.toISOString().slice(0, 10);
    const on = input.reachedOn ?? today;
    if (row.status !== 'returned' || Number(row.needs_agent) !== 1)
      throw new ConflictError(
        row.reached_on
          ? 'La personne a déjà été jointe pour ce courrier.'
          : 'Seul un courrier revenu qu’aucun autre moyen n’a remplacé attend qu’un agent joigne la personne.',
        'not_waiting_for_agent',
      );
    if (on > today || (row.returned_at && on < row.returned_at.slice(0, 10)))
      throw new ValidationError([
        {
          field: 'body.reachedOn',
          rule: 'range',
          message: 'la date doit être entre le retour du courrier et aujourd’hui',
        },
      ]);
    return inTransaction(this.#deps.db, async (trx) => {
      const updated = await trx
        .updateTable('paper_letters')
        .set({
          needs_agent: 0,
          reached_how: input.how,
          reached_on: on,
          reached_recorded_at: now.toISOString(),
          reached_by_account: by.accountId,
        })
        .where('id', '=', id)
        .where('status', '=', 'returned')
        .where('needs_agent', '=', 1)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1)
        throw new ConflictError('La personne vient d’être jointe pour ce courrier.', 'not_waiting_for_agent');
      await appendEvent(trx, 'paper_letter_reached', {
        accountId: by.accountId,
        ...(by.actorId ? { actorId: by.actorId } : {}),
        personId: row.person_id,
        operation: 'reach_person',
        details: { letter: id, notice: row.kind, how: input.how, reachedOn: on },
      });
      return view(await this.#row(id, trx));
    });
  }

  async #row(id: string, db: Executor = this.#deps.db): Promise<Row> {
    const row = await db.selectFrom('paper_letters').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('Courrier');
    return row;
  }

  #open(row: Row): { subject: string; body: string } | undefined {
    if (!row.sealed) return undefined;
    return JSON.parse(
      openSecret(this.#deps.keyring(), row.id, SEALING_PURPOSE, {
        version: row.key_version,
        sealed: Buffer.from(row.sealed),
      }).toString('utf8'),
    ) as { subject: string; body: string };
  }
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function invalid(to: 'posted' | 'returned', from: PaperLetterStatus): ConflictError {
  return new ConflictError(
    `Ce courrier est « ${PAPER_LETTER_STATUS_LABELS[from]} » : il ne peut pas être marqué « ${to === 'posted' ? 'posté' : 'revenu'} ».`,
    'invalid_transition',
  );
}

function view(row: Row): PaperLetterView {
  const reason = (row.return_reason as ReturnReason | null) ?? null;
  return {
    id: row.id,
    personId: row.person_id,
    kind: row.kind,
    kindLabel: KIND_LABELS[row.kind] ?? row.kind,
    status: row.status,
    statusLabel: PAPER_LETTER_STATUS_LABELS[row.status],
    queuedAt: row.queued_at,
    printedAt: row.printed_at,
    postedAt: row.posted_at,
    returnedAt: row.returned_at,
    returnReason: reason,
    returnReasonLabel: reason ? (RETURN_REASON_LABELS[reason] ?? reason) : null,
    reachedChannels: row.reached_channels === null ? null : Number(row.reached_channels),
    needsAgent: Number(row.needs_agent) === 1,
    reached:
      row.reached_how && row.reached_on && row.reached_recorded_at
        ? {
            how: row.reached_how as ReachedMeans,
            howLabel: REACHED_MEANS_LABELS[row.reached_how as ReachedMeans] ?? row.reached_how,
            on: row.reached_on,
            recordedAt: row.reached_recorded_at,
          }
        : null,
  };
}
