import { performance } from 'node:perf_hooks';
import { openExportFile } from '../../guard/exports/index.ts';
import { MINUTE_MS } from '../clock.ts';
import { actorIdOf, createActor, newClient, organisationId, signIn, Traffic, type SimContext } from '../context.ts';
import { checkGoals, type ScenarioReport } from '../report.ts';

const RECIPIENT = 'training-body';
const PURPOSE = 'entree_formation';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * A subcontractor leaking an export file: the security officer asks for an export for the
 * training body, the DPO approves (four eyes), the training body's staff downloads and opens
 * it, the file turns up outside; the security officer traces it back by its canary rows.
 * Exposure is every real person in the file: an export is contained by its size and its trace.
 */
export async function exportLeak(ctx: SimContext): Promise<ScenarioReport> {
  const traffic = new Traffic();
  const officer = await signIn(ctx, await actorIdOf(ctx, 'rssi.na'), newClient(ctx), traffic);
  const dpo = await signIn(ctx, await actorIdOf(ctx, 'dpo.na'), newClient(ctx), traffic);
  const recipientActor = await createActor(
    ctx,
    RECIPIENT,
    'iafp.sim.referent',
    ['partner_staff'],
    new Date(ctx.clock.now().getTime() - 400 * 86_400_000),
  );
  const recipient = await signIn(ctx, recipientActor, newClient(ctx), traffic);
  const notes: string[] = [];
  const unavailable = (why: string): ScenarioReport => {
    const r: Omit<ScenarioReport, 'goals'> = {
      ...base(),
      available: false,
      unavailable: why,
      ...traffic.figures(),
    };
    return { ...r, goals: checkGoals(r) };
  };

  const asked = await officer.request('POST', '/api/security/exports', {
    body: {
      recipientOrganisationId: organisationId(ctx, RECIPIENT),
      purpose: PURPOSE,
      reason: 'Session d’entrée en formation : liste des stagiaires orientés',
      days: 7,
    },
  });
  if (asked.status !== 201 || typeof asked.body.id !== 'string')
    return unavailable(`demande d’export refusée : ${asked.status} ${asked.error ?? ''}`);
  ctx.clock.advance(30 * MINUTE_MS);
  const approved = await dpo.request('POST', `/api/security/exports/${asked.body.id}/approve`);
  if (approved.status !== 200) return unavailable(`approbation refusée : ${approved.status} ${approved.error ?? ''}`);
  const passphrase = approved.body.passphrase as string;
  const view = approved.body.export as {
    rowCount: number | null;
    scopeCount: number | null;
    capped: boolean;
    canaryRows: number;
  };
  ctx.clock.advance(60 * MINUTE_MS);
  const file = await recipient.request('GET', `/api/staff/exports/${String(asked.body.id)}/file`);
  if (file.status !== 200) return unavailable(`téléchargement refusé : ${file.status} ${file.error ?? ''}`);
  // The file leaks: opened with the passphrase, posted somewhere, found by the security officer.
  const csv = await openExportFile(JSON.stringify(file.body), passphrase);
  const inFile = [...new Set(csv.match(UUID) ?? [])];
  const known = inFile.length
    ? new Set((await ctx.db.selectFrom('persons').select('id').where('id', 'in', inFile).execute()).map((r) => r.id))
    : new Set<string>();
  const real = inFile.filter((id) => known.has(id) && !ctx.decoys.has(id));
  const decoys = inFile.filter((id) => ctx.decoys.has(id));
  ctx.clock.advance(3 * 86_400_000);
  const tracedAt = performance.now();
  const trace = await officer.request('POST', '/api/security/exports/trace', { body: { text: csv } });
  const traceMs = performance.now() - tracedAt;
  const traces =
    (trace.body.exports as Array<{ exportId: string; recipientName: string; canaryRows: number }> | undefined) ?? [];
  const named = traces.some((t) => t.exportId === asked.body.id);
  notes.push(
    `export ${String(asked.body.id)} pour ${RECIPIENT} (${PURPOSE}) : ${view.rowCount ?? '?'} lignes sur ${view.scopeCount ?? '?'} personnes orientées${view.capped ? ', plafonné au plafond journalier de la convention' : ''}, ${view.canaryRows} lignes témoins`,
    `demandé par rssi.na, approuvé par dpo.na, téléchargé par le destinataire, ouvert avec la phrase de passe puis divulgué`,
    named
      ? `fuite remontée à l’export ${String(asked.body.id)} par ${traces.find((t) => t.exportId === asked.body.id)!.canaryRows} ligne(s) témoin(s) en ${Math.round(traceMs)} ms`
      : `fuite NON remontée à son export (réponse ${trace.status})`,
    'exposition : personnes réelles présentes dans le fichier divulgué (leurres et lignes témoins exclus)',
  );
  const r: Omit<ScenarioReport, 'goals'> = {
    ...base(),
    ...traffic.figures(),
    personsExposed: real.length,
    decoysRead: decoys.length,
    contained: named,
    notes,
  };
  return { ...r, goals: checkGoals(r) };
}

function base(): Omit<ScenarioReport, 'goals'> {
  return {
    scenario: 'export',
    variant: '',
    title:
      'fichier d’export d’un sous-traitant (organisme de formation) divulgué, fuite remontée jusqu’à l’export qui l’a produit',
    available: true,
    attack: true,
    requests: 0,
    refused: 0,
    refusals: {},
    personsExposed: null,
    decoysRead: null,
    contained: false,
    containment: null,
    decoyToContainmentMs: null,
    circuitBreakers: 0,
    notes: [],
  };
}
