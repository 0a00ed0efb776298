import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  FIELD_CLASS_LABELS_FR,
  FIELD_CLASSES,
  NotFoundError,
  ValidationError,
  validatePersonPatch,
  type Clock,
  type FieldClass,
  type FieldValue,
  type PersonFile,
  type PersonPatch,
  type ValidationIssue,
} from '../../domain/index.ts';
import { appendEvent, organisationsGivenClassSince } from '../../ledger/index.ts';
import { sendMessage, type Notifier } from '../../notify/index.ts';
import { dpoContactOf } from '../../policy/index.ts';
import {
  inTransaction,
  type Executor,
  type PersonStore,
  type RectificationNoticesTable,
  type RectificationsTable,
} from '../../store/index.ts';
import { organisationNames } from '../activity.ts';
import { RIGHTS_REQUEST_STATUS_LABELS } from '../rights-requests/model.ts';

/**
 * Rectification (GDPR Art. 16) and its notification to recipients (Art. 19), answering a rights
 * request of kind `rectification`. The DPO writes the right value of one or more classes; for
 * each class the value it replaces is kept sealed (the store's `field_versions`), readable by the
 * DPO — each reading an event of the person's journal — until the class's retention destroys it
 * with the class. The rectification is attributed to the body that supplied the right value (the
 * person, or an organisation). Every organisation the log shows was given the class since the
 * replaced value was recorded gets a notice — in its space, where someone of it acknowledges
 * having corrected its copies, and by mail to its DPO (no value in the mail) — each an event. The
 * person's answer lists those recipients (Art. 19, last sentence). Bank details are not rectified
 * here: they change only through their own procedure (checks, notices, cooling-off).
 */

export type SuppliedBy = { kind: 'person' } | { kind: 'organisation'; organisationId: string };

export interface RectificationInput {
  /** The right values, one class or more (`bank` and removals refused: a removal is an erasure). */
  changes: Record<string, unknown>;
  suppliedBy: SuppliedBy;
}

export interface RecipientView {
  organisationId: string;
  organisation: string;
  /** Their last read of the class before the rectification. */
  lastReadAt: string;
  acknowledgedAt: string | null;
}

export interface RectificationView {
  id: string;
  requestId: string;
  personId: string;
  class: FieldClass;
  classLabel: string;
  rectifiedAt: string;
  suppliedBy: { kind: 'person' | 'organisation'; organisationId: string | null; label: string };
  /** The replaced value is still kept (sealed) for the DPO. */
  previousKept: boolean;
  previousRecordedAt: string | null;
  recipients: RecipientView[];
}

/** A value a rectification replaced, as the DPO reads it: shaped like a file of one class (the person, the class's fields). */
export interface PreviousValue {
  id: string;
  class: FieldClass;
  fields: Partial<Record<FieldClass, FieldValue>>;
  recordedAt: string;
  replacedAt: string;
}

/** A rectification as the person reads it. */
export interface OwnRectification {
  class: FieldClass;
  classLabel: string;
  rectifiedAt: string;
  /** Who supplied the right value, in words. */
  suppliedBy: string;
  recipients: Array<{ organisation: string; acknowledgedAt: string | null }>;
}

export interface NoticeView {
  id: string;
  personId: string;
  class: FieldClass;
  classLabel: string;
  rectifiedAt: string;
  lastReadAt: string;
  acknowledgedAt: string | null;
}

export interface RectificationDeps {
  db: Executor;
  persons: PersonStore;
  notifier: Notifier;
  clock: Clock;
}

type Actor = { accountId: string | null; actorId: string };
const RECTIFIABLE_STATES = new Set(['in_progress', 'extended']);
const NOTICES_MAX = 200;

export class Rectifications {
  readonly #deps: RectificationDeps;

  constructor(deps: RectificationDeps) {
    this.#deps = deps;
  }

  /**
   * Rectify classes of the person a rectification request is about: all of them, their kept
   * versions, the events and the notices in one transaction, or nothing.
   */
  async rectify(requestId: string, input: RectificationInput, by: Actor): Promise<RectificationView[]> {
    const db = this.#deps.db;
    const request = await db
      .selectFrom('rights_requests')
      .select(['id', 'person_id', 'kind', 'status'])
      .where('id', '=', requestId)
      .executeTakeFirst();
    if (!request) throw new NotFoundError('Demande');
    if (request.kind !== 'rectification')
      throw new ConflictError('Cette demande n’est pas une demande de rectification.', 'not_a_rectification');
    if (!RECTIFIABLE_STATES.has(request.status))
      throw new ConflictError(
        `Cette demande est à l’état « ${RIGHTS_REQUEST_STATUS_LABELS[request.status]} » (${request.status}) : une rectification se fait sur une demande en cours de traitement.`,
        'invalid_transition',
      );
    assertRectifiable(input.changes);
    const supplier = await this.#supplier(input.suppliedBy);
    const person = await db
      .selectFrom('persons')
      .select('status')
      .where('id', '=', request.person_id)
      .executeTakeFirst();
    if (person?.status !== 'active')
      throw new ConflictError('Le dossier de cette personne a été effacé.', 'person_erased');
    const classes = FIELD_CLASSES.filter((c) => input.changes[c] !== undefined);
    const at = this.#deps.clock.now().toISOString();
    const ids = await inTransaction(db, async (trx) => {
      // The parts given replace those of the class as it stands (read inside the transaction, so
      // a change made meanwhile is not lost); the result must be a valid class, or nothing is written.
      const kept = await this.#deps.persons.rectify(
        request.person_id,
        classes,
        (current) => rectifiedPatch(current, input.changes),
        trx,
        { actorId: by.actorId, accountId: by.accountId },
      );
      const out: string[] = [];
      for (const fieldClass of classes) {
        const id = randomUUID();
        const version = kept.get(fieldClass);
        await trx
          .insertInto('rectifications')
          .values({
            id,
            rights_request_id: requestId,
            person_id: request.person_id,
            field_class: fieldClass,
            rectified_at: at,
            actor_id: by.actorId,
            supplied_by: supplier.kind,
            supplied_by_organisation_id: supplier.organisationId,
            version_id: version?.versionId ?? null,
            previous_recorded_at: version?.recordedAt ?? null,
          })
          .execute();
        // Nothing was replaced in an empty class: nobody was given a value to correct.
        const recipients = version
          ? await organisationsGivenClassSince(trx, request.person_id, fieldClass, version.recordedAt)
          : [];
        await appendEvent(trx, 'data_rectified', {
          actorId: by.actorId,
          personId: request.person_id,
          operation: 'rectify',
          classes: [fieldClass],
          details: {
            rightsRequestId: requestId,
            rectificationId: id,
            suppliedBy: supplier.kind,
            suppliedByOrganisation: supplier.organisationId,
            recipients: recipients.length,
          },
        });
        for (const recipient of recipients) await this.#notify(trx, id, request.person_id, fieldClass, at, recipient);
        out.push(id);
      }
      return out;
    });
    return this.#views(await db.selectFrom('rectifications').selectAll().where('id', 'in', ids).execute());
  }

  /** The rectifications made for a request, oldest first, with their recipients. */
  async ofRequest(requestId: string): Promise<RectificationView[]> {
    const rows = await this.#deps.db
      .selectFrom('rectifications')
      .selectAll()
      .where('rights_request_id', '=', requestId)
      .orderBy('rectified_at')
      .orderBy('field_class')
      .execute();
    return this.#views(rows);
  }

  /**
   * What the person reads of the rectifications answering their own request (Art. 19, last
   * sentence: the recipients told): the class, when, on whose information, and the organisations
   * told with whether they corrected their copies. Never a value, old or new.
   */
  async ofOwnRequest(personId: string, requestId: string): Promise<OwnRectification[]> {
    const rows = await this.#deps.db
      .selectFrom('rectifications')
      .selectAll()
      .where('rights_request_id', '=', requestId)
      .where('person_id', '=', personId)
      .execute();
    return (await this.#views(rows)).map((v) => ({
      class: v.class,
      classLabel: v.classLabel,
      rectifiedAt: v.rectifiedAt,
      suppliedBy: v.suppliedBy.label,
      recipients: v.recipients.map((r) => ({ organisation: r.organisation, acknowledgedAt: r.acknowledgedAt })),
    }));
  }

  /**
   * The value a rectification replaced, for the DPO: the reading is recorded first, an event of
   * the person's journal; 404 for an unknown rectification, 410 once its class was destroyed.
   */
  async previousValue(rectificationId: string, by: Actor): Promise<PreviousValue> {
    const db = this.#deps.db;
    const row = await db.selectFrom('rectifications').selectAll().where('id', '=', rectificationId).executeTakeFirst();
    if (!row) throw new NotFoundError('Rectification');
    const version = row.version_id
      ? await db
          .selectFrom('field_versions')
          .select(['id', 'recorded_at', 'replaced_at'])
          .where('id', '=', row.version_id)
          .executeTakeFirst()
      : undefined;
    if (!version)
      throw new ConflictError(
        row.version_id
          ? 'L’ancienne valeur a été détruite avec sa classe, à la fin de sa durée de conservation.'
          : 'La classe était vide : la rectification n’a remplacé aucune valeur.',
        'previous_value_gone',
      );
    const fieldClass = row.field_class as FieldClass;
    await appendEvent(db, 'previous_value_read', {
      actorId: by.actorId,
      personId: row.person_id,
      operation: 'read_previous',
      classes: [fieldClass],
      purpose: 'rectification_review',
      details: { rectificationId, rightsRequestId: row.rights_request_id },
    });
    const opened = await this.#deps.persons.openVersion(version.id);
    const value = opened?.fields[fieldClass];
    if (value === undefined) throw new ConflictError('L’ancienne valeur ne s’ouvre plus.', 'previous_value_gone');
    return {
      id: row.person_id,
      class: fieldClass,
      fields: { [fieldClass]: value },
      recordedAt: version.recorded_at,
      replacedAt: version.replaced_at,
    };
  }

  /** An organisation's notices, those to act on first then the newest. */
  async noticesOf(organisationId: string, options: { pending?: boolean } = {}): Promise<NoticeView[]> {
    let query = this.#deps.db
      .selectFrom('rectification_notices')
      .selectAll()
      .where('organisation_id', '=', organisationId);
    if (options.pending) query = query.where('acknowledged_at', 'is', null);
    const rows = await query.orderBy('created_at', 'desc').limit(NOTICES_MAX).execute();
    return rows.map(noticeView).sort((a, b) => Number(a.acknowledgedAt !== null) - Number(b.acknowledgedAt !== null));
  }

  /** Someone of the organisation says its copies are corrected; another organisation's notice is answered as unknown. */
  async acknowledge(noticeId: string, by: { actorId: string; organisationId: string }): Promise<NoticeView> {
    return inTransaction(this.#deps.db, async (trx) => {
      const row = await trx
        .selectFrom('rectification_notices')
        .selectAll()
        .where('id', '=', noticeId)
        .where('organisation_id', '=', by.organisationId)
        .executeTakeFirst();
      if (!row) throw new NotFoundError('Notification de rectification');
      if (row.acknowledged_at)
        throw new ConflictError('Cette rectification a déjà été prise en compte.', 'already_acknowledged');
      const at = this.#deps.clock.now().toISOString();
      const updated = await trx
        .updateTable('rectification_notices')
        .set({ acknowledged_at: at, acknowledged_by: by.actorId })
        .where('id', '=', noticeId)
        .where('acknowledged_at', 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1)
        throw new ConflictError('Cette rectification a déjà été prise en compte.', 'already_acknowledged');
      await appendEvent(trx, 'rectification_acknowledged', {
        actorId: by.actorId,
        organisationId: by.organisationId,
        personId: row.person_id,
        classes: [row.field_class],
        operation: 'acknowledge',
        details: { noticeId, rectificationId: row.rectification_id },
      });
      return noticeView({ ...row, acknowledged_at: at, acknowledged_by: by.actorId });
    });
  }

  async #supplier(suppliedBy: SuppliedBy): Promise<{ kind: 'person' | 'organisation'; organisationId: string | null }> {
    if (suppliedBy.kind === 'person') return { kind: 'person', organisationId: null };
    const org = await this.#deps.db
      .selectFrom('organisations')
      .select('id')
      .where('id', '=', suppliedBy.organisationId)
      .executeTakeFirst();
    if (!org)
      throw new ValidationError([
        { field: 'body.suppliedBy.organisationId', rule: 'exists', message: 'organisation inconnue' },
      ]);
    return { kind: 'organisation', organisationId: org.id };
  }

  /** One recipient told: its notice, its event, and a mail to its DPO (no value, no name: where to look). */
  async #notify(
    trx: Executor,
    rectificationId: string,
    personId: string,
    fieldClass: FieldClass,
    at: string,
    recipient: { organisationId: string; lastAt: string },
  ): Promise<void> {
    const id = randomUUID();
    await trx
      .insertInto('rectification_notices')
      .values({
        id,
        rectification_id: rectificationId,
        organisation_id: recipient.organisationId,
        person_id: personId,
        field_class: fieldClass,
        created_at: at,
        last_read_at: recipient.lastAt,
        acknowledged_at: null,
        acknowledged_by: null,
      })
      .execute();
    await appendEvent(trx, 'rectification_notified', {
      organisationId: recipient.organisationId,
      personId,
      classes: [fieldClass],
      operation: 'notify',
      details: { noticeId: id, rectificationId, lastReadAt: recipient.lastAt },
    });
    const contact = await dpoContactOf(trx, recipient.organisationId);
    if (!contact) return;
    await sendMessage(
      { db: trx, notifier: this.#deps.notifier },
      'rectification_notice',
      {
        channel: 'email',
        to: contact,
        subject: 'Rempart — une donnée que vous avez consultée a été rectifiée (RGPD art. 19)',
        body: [
          'Bonjour,',
          '',
          `France Travail a rectifié, à la demande de la personne concernée, la donnée « ${FIELD_CLASS_LABELS_FR[fieldClass]} » d’un dossier que votre organisme a consulté (dernière consultation le ${recipient.lastAt.slice(0, 10)}).`,
          'Si vous en conservez une copie, corrigez-la : la notification, avec le dossier concerné, est dans votre espace Rempart, rubrique « Rectifications à répercuter », où un membre de votre organisme indique qu’elle a été prise en compte.',
          '',
          `Référence de la notification : ${id}`,
          'Ce message ne contient aucune donnée personnelle.',
        ].join('\n'),
      },
      { organisationId: recipient.organisationId },
    );
  }

  async #views(rows: readonly RectificationsTable[]): Promise<RectificationView[]> {
    if (rows.length === 0) return [];
    const db = this.#deps.db;
    const ids = rows.map((r) => r.id);
    const notices = await db
      .selectFrom('rectification_notices')
      .selectAll()
      .where('rectification_id', 'in', ids)
      .execute();
    const versions = new Set(
      (
        await db
          .selectFrom('field_versions')
          .select('id')
          .where(
            'id',
            'in',
            rows.map((r) => r.version_id ?? ''),
          )
          .execute()
      ).map((v) => v.id),
    );
    const names = await organisationNames(db, [
      ...notices.map((n) => n.organisation_id),
      ...rows.map((r) => r.supplied_by_organisation_id),
    ]);
    return rows
      .map((row) => {
        const fieldClass = row.field_class as FieldClass;
        return {
          id: row.id,
          requestId: row.rights_request_id,
          personId: row.person_id,
          class: fieldClass,
          classLabel: FIELD_CLASS_LABELS_FR[fieldClass],
          rectifiedAt: row.rectified_at,
          suppliedBy: {
            kind: row.supplied_by,
            organisationId: row.supplied_by_organisation_id,
            label:
              row.supplied_by === 'person'
                ? 'la personne concernée'
                : (names.get(row.supplied_by_organisation_id ?? '') ?? 'un organisme'),
          },
          previousKept: row.version_id !== null && versions.has(row.version_id),
          previousRecordedAt: row.previous_recorded_at,
          recipients: notices
            .filter((n) => n.rectification_id === row.id)
            .map((n) => ({
              organisationId: n.organisation_id,
              organisation: names.get(n.organisation_id) ?? n.organisation_id,
              lastReadAt: n.last_read_at,
              acknowledgedAt: n.acknowledged_at,
            }))
            .sort((a, b) => a.organisation.localeCompare(b.organisation, 'fr')),
        };
      })
      .sort((a, b) => a.rectifiedAt.localeCompare(b.rectifiedAt) || a.class.localeCompare(b.class));
  }
}

/**
 * What a rectification may say, before anything is read: at least one class, known classes only,
 * never `bank` (its own procedure) nor a whole class removed (an erasure, not a rectification).
 * Each class is an object of the parts to correct.
 */
function assertRectifiable(changes: Record<string, unknown>): void {
  const issues: ValidationIssue[] = [];
  if (Object.keys(changes).length === 0)
    issues.push({
      field: 'body.changes',
      rule: 'minProperties',
      message: 'au moins une classe de données à rectifier',
    });
  for (const [key, value] of Object.entries(changes)) {
    if (key === 'bank')
      issues.push({
        field: 'body.changes.bank',
        rule: 'procedure',
        message: 'les coordonnées bancaires se changent par leur procédure (vérifications, avis, délai)',
      });
    else if (value === null)
      issues.push({
        field: `body.changes.${key}`,
        rule: 'not_null',
        message: 'une rectification corrige une donnée ; la supprimer relève du droit à l’effacement',
      });
    else if (!(FIELD_CLASSES as readonly string[]).includes(key))
      issues.push({
        field: `body.changes.${key}`,
        rule: 'additionalProperties',
        message: 'classe de données inconnue',
      });
    else if (typeof value !== 'object' || Array.isArray(value))
      issues.push({
        field: `body.changes.${key}`,
        rule: 'type:object',
        message: 'les parties de la classe à corriger',
      });
  }
  if (issues.length) throw new ValidationError(issues);
}

/**
 * The classes after rectification: each part given replaces the class's part of that name (a
 * part set to `null` is removed: a wrong phone number taken out), the others stay; each class
 * then validated as a file's, every broken field named under `body.changes`.
 */
export function rectifiedPatch(current: PersonFile, changes: Record<string, unknown>): PersonPatch {
  const merged: Record<string, unknown> = {};
  for (const [key, parts] of Object.entries(changes)) {
    const next: Record<string, unknown> = { ...((current as Record<string, unknown>)[key] as object | undefined) };
    for (const [part, value] of Object.entries(parts as Record<string, unknown>)) {
      if (value === null) delete next[part];
      else next[part] = value;
    }
    merged[key] = next;
  }
  return validatePersonPatch(merged, 'body.changes');
}

function noticeView(row: RectificationNoticesTable): NoticeView {
  const fieldClass = row.field_class as FieldClass;
  return {
    id: row.id,
    personId: row.person_id,
    class: fieldClass,
    classLabel: FIELD_CLASS_LABELS_FR[fieldClass],
    rectifiedAt: row.created_at,
    lastReadAt: row.last_read_at,
    acknowledgedAt: row.acknowledged_at,
  };
}
