import { randomUUID } from 'node:crypto';
import { DecryptionError, openField, sealField, type Keyring, type KeyringAccess } from '../crypto/index.ts';
import type { CertificateContent, CertificateStatus, DisputeReason } from '../domain/index.ts';
import type { EmployerCertificatesTable } from './tables/employer-certificates.ts';
import type { Executor } from './transaction.ts';

/** The class whose master key wraps a certificate's data key: what the certificate feeds. */
const CERTIFICATE_CLASS = 'benefits' as const;

/** The context a certificate's data key is bound to (as a bank change's is to `bank-change:<id>`). */
export const certificateContext = (id: string) => `employer-certificate:${id}`;

/** A certificate as routed: everything in clear, nothing decrypted. */
export interface CertificateRow {
  id: string;
  personId: string;
  organisationId: string;
  clientId: string;
  actorId: string;
  employerReference: string;
  status: CertificateStatus;
  receivedAt: string;
  supersedes: string | null;
  supersededBy: string | null;
  supersededAt: string | null;
  disputedAt: string | null;
  disputeReason: DisputeReason | null;
}

/** A certificate with its values still sealed. */
export interface SealedCertificate extends CertificateRow {
  sealed: { kekVersion: number; wrappedKey: Buffer; ciphertext: Buffer };
}

/** A certificate opened: its values, and the dispute's comment when there is one. */
export interface CertificateRecord extends CertificateRow {
  content: CertificateContent;
  disputeComment?: string;
}

interface SealedPayload {
  content: CertificateContent;
  disputeComment?: string;
}

function rowOf(row: EmployerCertificatesTable): SealedCertificate {
  return {
    id: row.id,
    personId: row.person_id,
    organisationId: row.organisation_id,
    clientId: row.client_id,
    actorId: row.actor_id,
    employerReference: row.employer_reference,
    status: row.status,
    receivedAt: row.received_at,
    supersedes: row.supersedes,
    supersededBy: row.superseded_by,
    supersededAt: row.superseded_at,
    disputedAt: row.disputed_at,
    disputeReason: row.dispute_reason as DisputeReason | null,
    sealed: { kekVersion: row.kek_version, wrappedKey: row.wrapped_key, ciphertext: row.ciphertext },
  };
}

/**
 * Employers' end-of-contract certificates as stored (issue 25 §3): each sealed under a data key
 * of its own, drawn at random and wrapped by the `benefits` class's master key, bound to
 * `employer-certificate:<id>` — what a rotation rewraps (`keys.ts`), what erasing the person or
 * destroying their `benefits` class deletes with it (`persons.ts`, `shred.ts`). This module only
 * stores and opens; deciding who may write or read a certificate, the guard's admission and
 * the access event are the access pipeline's, which alone calls it.
 */
export class EmployerCertificateStore {
  constructor(
    private readonly db: Executor,
    private readonly keys: KeyringAccess,
  ) {}

  private get keyring(): Keyring {
    return this.keys.current;
  }

  /** Seal and insert a certificate received (in the caller's transaction, with its event); returns its id. */
  async insert(
    trx: Executor,
    certificate: {
      id?: string;
      personId: string;
      organisationId: string;
      clientId: string;
      actorId: string;
      employerReference: string;
      supersedes: string | null;
      receivedAt: string;
    },
    content: CertificateContent,
  ): Promise<string> {
    const id = certificate.id ?? randomUUID();
    const sealed = this.#seal(id, { content });
    await trx
      .insertInto('employer_certificates')
      .values({
        id,
        person_id: certificate.personId,
        organisation_id: certificate.organisationId,
        client_id: certificate.clientId,
        actor_id: certificate.actorId,
        employer_reference: certificate.employerReference,
        status: 'received',
        received_at: certificate.receivedAt,
        supersedes: certificate.supersedes,
        superseded_by: null,
        superseded_at: null,
        disputed_at: null,
        dispute_reason: null,
        disputed_by_account: null,
        disputed_by_actor: null,
        kek_version: sealed.kekVersion,
        wrapped_key: sealed.wrappedKey,
        ciphertext: sealed.ciphertext,
      })
      .execute();
    return id;
  }

  /** One certificate, sealed; undefined when there is none by that id. */
  async one(id: string, executor: Executor = this.db): Promise<SealedCertificate | undefined> {
    const row = await executor.selectFrom('employer_certificates').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? rowOf(row) : undefined;
  }

  /** A person's certificates, newest first, sealed. */
  async ofPerson(personId: string, executor: Executor = this.db): Promise<SealedCertificate[]> {
    const rows = await executor
      .selectFrom('employer_certificates')
      .selectAll()
      .where('person_id', '=', personId)
      .orderBy('received_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(rowOf);
  }

  /** An employer's certificates of one status, oldest first (a queue to work), sealed; `limit` at most. */
  async ofEmployer(
    organisationId: string,
    status: CertificateStatus,
    limit: number,
    executor: Executor = this.db,
  ): Promise<SealedCertificate[]> {
    const rows = await executor
      .selectFrom('employer_certificates')
      .selectAll()
      .where('organisation_id', '=', organisationId)
      .where('status', '=', status)
      .orderBy('received_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(rowOf);
  }

  /** Whether this organisation ever sent a certificate for this person (the policy's `employment` tie for a dispute's answer). */
  async issuedFor(organisationId: string, personId: string, executor: Executor = this.db): Promise<boolean> {
    const row = await executor
      .selectFrom('employer_certificates')
      .select('id')
      .where('person_id', '=', personId)
      .where('organisation_id', '=', organisationId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Decrypt a certificate (the pipeline records the access first). */
  open(certificate: SealedCertificate): CertificateRecord {
    const { sealed, ...row } = certificate;
    const payload = this.#open(certificate.id, sealed);
    return {
      ...row,
      content: payload.content,
      ...(payload.disputeComment !== undefined ? { disputeComment: payload.disputeComment } : {}),
    };
  }

  /**
   * Mark a received certificate disputed, its comment sealed with it (re-sealed under a fresh data
   * key): a conditional update, so two disputes at once do not both win. False when it was no
   * longer `received`.
   */
  async dispute(
    trx: Executor,
    certificate: SealedCertificate,
    dispute: { reason: DisputeReason; comment?: string; accountId: string | null; actorId: string | null; at: string },
  ): Promise<boolean> {
    const payload = this.#open(certificate.id, certificate.sealed);
    const sealed =
      dispute.comment === undefined
        ? certificate.sealed
        : this.#seal(certificate.id, { content: payload.content, disputeComment: dispute.comment });
    const result = await trx
      .updateTable('employer_certificates')
      .set({
        status: 'disputed',
        disputed_at: dispute.at,
        dispute_reason: dispute.reason,
        disputed_by_account: dispute.accountId,
        disputed_by_actor: dispute.actorId,
        kek_version: sealed.kekVersion,
        wrapped_key: sealed.wrappedKey,
        ciphertext: sealed.ciphertext,
      })
      .where('id', '=', certificate.id)
      .where('status', '=', 'received')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** A disputed certificate superseded by its correction (conditional: false when it was no longer disputed). */
  async supersede(trx: Executor, id: string, by: string, at: string): Promise<boolean> {
    const result = await trx
      .updateTable('employer_certificates')
      .set({ status: 'superseded', superseded_by: by, superseded_at: at })
      .where('id', '=', id)
      .where('status', '=', 'disputed')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  #seal(id: string, payload: SealedPayload) {
    return sealField(this.keyring, certificateContext(id), CERTIFICATE_CLASS, Buffer.from(JSON.stringify(payload)));
  }

  #open(id: string, sealed: SealedCertificate['sealed']): SealedPayload {
    const open = () =>
      JSON.parse(
        openField(this.keyring, certificateContext(id), CERTIFICATE_CLASS, sealed).toString('utf8'),
      ) as SealedPayload;
    try {
      return open();
    } catch (error) {
      // A key version this process has not seen yet: a rotation ran beside it. Look once more.
      if (!(error instanceof DecryptionError && error.reason === 'unknown_key' && this.keys.refresh())) throw error;
      return open();
    }
  }
}
