import { stringify } from 'csv-stringify/sync';
import type { Ledger } from '../ledger/index.ts';
import { inTransaction, type Executor } from '../store/index.ts';
import { computeBlastRadius, storedExposures, storeExposures, type ScopeProgress } from './blast-radius.ts';
import type { By, Desk } from './desk.ts';
import { produceDocument } from './document-flow.ts';
import type { DocumentInfo } from './documents.ts';
import type { BlastRadius, CitedCheckpoint, Compromised, Exposure } from './model.ts';
import { frozenScope, incidentRow, openIncidentRow } from './register.ts';

/** The blast radius: computed from the ledger, frozen on the incident, listed and exported. */

/**
 * The blast radius, from the ledger. The ledger is first brought up to date (pending events
 * integrated, a checkpoint signed), so the result covers every event recorded until now and
 * cites the signed checkpoint of exactly that size.
 */
export async function scope(desk: Desk, id: string, by: By, progress?: ScopeProgress): Promise<BlastRadius> {
  const row = await openIncidentRow(desk.db, id);
  const ledger = await ledgerBroughtUpToDate(desk.ledger, desk.clock.now());
  const radius = await computeBlastRadius(
    desk.db,
    {
      incidentId: id,
      reference: row.reference,
      compromised: JSON.parse(row.compromised) as Compromised,
      windowFrom: row.window_from,
      windowTo: row.window_to,
    },
    ledger,
    progress,
  );
  await freeze(desk, id, radius, by);
  return radius;
}

async function ledgerBroughtUpToDate(
  ledger: Ledger,
  now: Date,
): Promise<{ size: number; checkpoint: CitedCheckpoint | null }> {
  await ledger.integrate();
  await ledger.checkpoint(now);
  const size = await ledger.size();
  const signed = await ledger.latestCheckpoint();
  const checkpoint: CitedCheckpoint | null = signed
    ? { size: Number(signed.size), root: signed.root.toString('hex'), at: signed.at }
    : null;
  return { size, checkpoint };
}

/** The exposures and the summary kept on the incident, with the step that says what was found. */
async function freeze(desk: Desk, id: string, radius: BlastRadius, by: By): Promise<void> {
  const { persons: _p, decoys: _d, ...summary } = radius;
  await inTransaction(desk.db, async (trx) => {
    await storeExposures(trx, radius);
    await trx
      .updateTable('incidents')
      .set({ scope_summary: JSON.stringify(summary) })
      .where('id', '=', id)
      .execute();
    const t = radius.totals;
    await desk.step(
      trx,
      id,
      'incident_scoped',
      by.accountId,
      radius.empty
        ? 'Périmètre calculé : aucune donnée n’est sortie par ces identités dans cette fenêtre'
        : `Périmètre calculé : ${t.persons} personne(s) exposée(s), ${t.decoys} leurre(s), ${radius.events} consultation(s)`,
      {
        persons: t.persons,
        decoys: t.decoys,
        events: radius.events,
        high: t.byRisk.high,
        medium: t.byRisk.medium,
        low: t.byRisk.low,
        ledgerSize: radius.ledger.size,
        checkpointRoot: radius.ledger.checkpoint?.root ?? null,
      },
    );
  });
}

export async function exposures(
  db: Executor,
  id: string,
  options: { decoys?: boolean; afterPersonId?: string; limit?: number } = {},
): Promise<Exposure[]> {
  await incidentRow(db, id);
  return storedExposures(db, id, options);
}

/** The exposures as CSV (one row per person, decoys flagged), kept as a document. */
export async function exportScope(desk: Desk, id: string, by: By): Promise<DocumentInfo> {
  const row = await incidentRow(desk.db, id);
  const summary = frozenScope(row);
  return produceDocument(desk, row, {
    kind: 'scope_csv',
    title: `Périmètre ${row.reference}`,
    mediaType: 'text/csv; charset=utf-8',
    content: await scopeCsv(desk.db, id),
    ledgerSize: summary.ledger.size,
    accountId: by.accountId,
  });
}

async function scopeCsv(db: Executor, id: string): Promise<Buffer> {
  const rows: string[][] = [];
  for (const decoys of [false, true]) {
    for (const e of await storedExposures(db, id, { decoys })) {
      rows.push([
        e.personId,
        decoys ? 'leurre' : 'personne',
        e.classes.join(' '),
        e.firstAt,
        e.lastAt,
        e.via.join(' '),
        String(e.events),
        e.risk,
        e.rules.join(' '),
      ]);
    }
  }
  return Buffer.from(
    stringify([
      [
        'personne',
        'nature',
        'classes',
        'premiere_exposition',
        'derniere_exposition',
        'via_acteurs',
        'consultations',
        'risque',
        'regles',
      ],
      ...rows,
    ]),
    'utf8',
  );
}
