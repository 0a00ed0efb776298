import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  CERTIFICATE_STATUSES,
  CertificateContentSchema,
  CONTRACT_KIND_LABELS_FR,
  DISPUTE_REASON_LABELS_FR,
  DISPUTE_REASONS,
  DisputeSchema,
  END_REASON_LABELS_FR,
} from '../../domain/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import type { CertificateRecord } from '../../store/index.ts';
import { errorResponses } from '../schemas.ts';
import { requireSession } from '../session.ts';
import { requireJobSeeker } from './job-seeker.ts';

const tags = ['mon espace'];
const security = [{ cookieAuth: [] }];

export const CertificateView = Type.Object({
  id: Type.String(),
  employer: Type.Object({ id: Type.String(), name: Type.String() }),
  employerReference: Type.String(),
  status: Type.Enum(CERTIFICATE_STATUSES),
  receivedAt: Type.String(),
  supersedes: Type.Union([Type.String(), Type.Null()]),
  supersededBy: Type.Union([Type.String(), Type.Null()]),
  dispute: Type.Union([
    Type.Object({
      at: Type.String(),
      reason: Type.Enum(DISPUTE_REASONS),
      reasonLabel: Type.String(),
      comment: Type.Optional(Type.String()),
    }),
    Type.Null(),
  ]),
  content: CertificateContentSchema,
  /** The contract kind and the reason for its end in words, as the espace shows them. */
  labels: Type.Object({ contractKind: Type.String(), endReason: Type.String() }),
});

/**
 * What a certificate route's answer releases of the person, for the OpenAPI document (an `x-`
 * extension): its views carry `content`, not a file's `fields`, so the inventory of routes that
 * release person data (test/backend/person-routes.test.ts) finds them by this mark.
 */
export const RELEASES_BENEFITS = { 'x-person-classes': ['benefits'] };

const CertificateIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

/** A certificate as its person (or an agent) sees it: the employer by name, the dispute in words. */
export async function certificateViews(runtime: Runtime, records: readonly CertificateRecord[]) {
  const ids = [...new Set(records.map((r) => r.organisationId))];
  const names = new Map(
    ids.length
      ? (
          await runtime.database.db.selectFrom('organisations').select(['id', 'name']).where('id', 'in', ids).execute()
        ).map((o) => [o.id, o.name])
      : [],
  );
  return records.map((r) => ({
    id: r.id,
    employer: { id: r.organisationId, name: names.get(r.organisationId) ?? 'Employeur' },
    employerReference: r.employerReference,
    status: r.status,
    receivedAt: r.receivedAt,
    supersedes: r.supersedes,
    supersededBy: r.supersededBy,
    dispute:
      r.disputedAt && r.disputeReason
        ? {
            at: r.disputedAt,
            reason: r.disputeReason,
            reasonLabel: DISPUTE_REASON_LABELS_FR[r.disputeReason],
            ...(r.disputeComment !== undefined ? { comment: r.disputeComment } : {}),
          }
        : null,
    content: r.content,
    labels: {
      contractKind: CONTRACT_KIND_LABELS_FR[r.content.employment.contractKind],
      endReason: END_REASON_LABELS_FR[r.content.endReason],
    },
  }));
}

/**
 * The job seeker's end-of-contract certificates (issue 25 §3): what their former employers sent,
 * read in their espace (recorded first as a `subject_access`), and disputed there with a reason —
 * the dispute goes back to the employer, whose correction supersedes the certificate.
 */
export function myEmployerCertificateRoutes(runtime: Runtime): FastifyPluginAsyncTypebox {
  const db = runtime.database.db;
  return async (app) => {
    app.addHook('onRequest', requireSession(db));
    app.addHook('onRequest', requireJobSeeker);

    app.get(
      '/employer-certificates',
      {
        schema: {
          tags,
          summary: 'Mes attestations employeur : ce que mes anciens employeurs ont transmis à la fin de mes contrats',
          security,
          response: {
            200: Type.Object({ certificates: Type.Array(CertificateView) }, RELEASES_BENEFITS),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const account = request.account!;
        const records = await runtime.access.ownCertificates(account.id, account.person_id!);
        return { certificates: await certificateViews(runtime, records) };
      },
    );

    app.post(
      '/employer-certificates/:id/dispute',
      {
        schema: {
          tags,
          summary:
            'Contester une attestation employeur : elle est renvoyée à l’employeur, qui transmet une attestation corrigée',
          security,
          params: CertificateIdParams,
          body: DisputeSchema,
          response: { 200: Type.Object({ id: Type.String(), status: Type.Literal('disputed') }), ...errorResponses },
        },
      },
      async (request) => {
        const account = request.account!;
        const personId = account.person_id!;
        await runtime.access.disputeCertificate(
          { accountId: account.id, personId },
          personId,
          request.params.id,
          request.body,
        );
        return { id: request.params.id, status: 'disputed' as const };
      },
    );
  };
}
