import type { Executor } from '../../store/index.ts';

/** An export as an incident's checks cite it: ids and figures, never the file. */
export interface ExportSummary {
  id: string;
  recipientOrganisationId: string;
  purpose: string;
  status: string;
  requestedAt: string;
  decidedAt: string | null;
  rowCount: number | null;
  downloads: number;
  requestedBy: string;
  decidedBy: string | null;
}

/**
 * The exports asked for up to `requestedUpTo` (ISO instant) that went to one of these
 * organisations or that one of these accounts asked for or decided, oldest first: what an
 * incident's compromised identities may have taken in bulk.
 */
export async function exportsTouching(
  db: Executor,
  touching: { organisations: readonly string[]; accounts: readonly string[]; requestedUpTo: string },
): Promise<ExportSummary[]> {
  const { organisations, accounts } = touching;
  const rows = await db
    .selectFrom('exports')
    .select([
      'id',
      'recipient_organisation_id',
      'purpose',
      'status',
      'requested_at',
      'decided_at',
      'row_count',
      'downloads',
      'requested_by',
      'decided_by',
    ])
    .where('requested_at', '<=', touching.requestedUpTo)
    .where((eb) =>
      eb.or([
        ...(organisations.length ? [eb('recipient_organisation_id', 'in', [...organisations])] : []),
        ...(accounts.length ? [eb('requested_by', 'in', [...accounts]), eb('decided_by', 'in', [...accounts])] : []),
        eb.lit(false),
      ]),
    )
    .orderBy('requested_at')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    recipientOrganisationId: r.recipient_organisation_id,
    purpose: r.purpose,
    status: r.status,
    requestedAt: r.requested_at,
    decidedAt: r.decided_at,
    rowCount: r.row_count,
    downloads: r.downloads,
    requestedBy: r.requested_by,
    decidedBy: r.decided_by,
  }));
}
