import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FIELD_CLASS_LABELS_FR,
  SENSITIVE_FIELD_CLASSES,
  ValidationError,
  type FieldClass,
} from '../../domain/index.ts';
import {
  ACTIONS,
  RISK_LABELS_FR,
  VECTORS,
  type Action,
  type BlastRadius,
  type IncidentView,
  type Vector,
} from '../../incidents/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { progressBar } from '../progress.ts';

/** The command line acts as the operator on the server: no account, "opérateur" in the register. */
const OPERATOR = { accountId: null };

const out = (line = '') => process.stdout.write(line + '\n');

function instant(text: string | undefined, field: string): Date {
  const date = text ? new Date(text) : new Date(NaN);
  if (!text || Number.isNaN(date.getTime()))
    throw new ValidationError([
      { field, rule: 'format:date-time', message: 'date et heure ISO 8601 attendues (2026-11-24T09:00:00Z)' },
    ]);
  return date;
}

function barFor(label: string) {
  let bar: ReturnType<typeof progressBar> | undefined;
  return {
    start: (total: number) => (bar = progressBar(label, total)),
    update: (done: number) => bar?.update(done),
    stop: () => bar?.stop(),
  };
}

function printView(view: IncidentView): void {
  out(
    `${view.reference} — ${view.title} [${view.status === 'open' ? 'ouvert' : 'clos'}${view.source === 'guard' ? ', ouvert par la garde' : ''}]`,
  );
  out(`  vecteur : ${view.vectorLabel}`);
  out(`  fenêtre : ${view.window.from} → ${view.window.to}`);
  out(`  délai CNIL : ${view.clock.label} (échéance ${view.clock.deadline})`);
  const c = view.compromised;
  out(
    `  identités : ${c.actors.length} acteur(s), ${c.organisations.length} organisation(s), ${c.clients.length} client(s) machine, ${c.sessions.length} session(s)`,
  );
  if (view.scope)
    out(
      `  périmètre : ${view.scope.totals.persons} personne(s), ${view.scope.totals.decoys} leurre(s), journal de taille ${view.scope.ledger.size}`,
    );
}

function printScope(radius: BlastRadius): void {
  const t = radius.totals;
  if (radius.empty) {
    out(
      `${radius.reference} : aucune donnée n’est sortie par ces identités entre ${radius.window.from} et ${radius.window.to} (${radius.events} consultation(s)).`,
    );
    return;
  }
  out(
    `${radius.reference} : ${t.persons} personne(s) exposée(s), ${t.decoys} leurre(s) consulté(s), ${radius.events} consultation(s)`,
  );
  for (const [c, n] of Object.entries(t.byClass)) out(`  ${FIELD_CLASS_LABELS_FR[c as FieldClass].padEnd(36)} ${n}`);
  out(
    `  données sensibles : ${SENSITIVE_FIELD_CLASSES.map((c) => `${FIELD_CLASS_LABELS_FR[c]} ${t.special[c]}`).join(' ; ')}`,
  );
  out(
    `  risque : ${(['high', 'medium', 'low'] as const).map((r) => `${RISK_LABELS_FR[r]} ${t.byRisk[r]}`).join(', ')}`,
  );
  if (t.alsoInOtherIncidents) out(`  déjà concernées par ${t.otherIncidents.join(', ')} : ${t.alsoInOtherIncidents}`);
  const cp = radius.ledger.checkpoint;
  out(
    `  preuve : journal de taille ${radius.ledger.size}${cp ? `, point de contrôle signé ${cp.size} (racine ${cp.root})` : ''}`,
  );
  if (radius.ledger.windowBeforeRetention)
    out(
      '  attention : la fenêtre commence avant la durée de conservation du journal ; les accès plus anciens ne sont plus connus.',
    );
}

export async function runIncidentList(runtime: Runtime): Promise<void> {
  const all = await runtime.incidents.list();
  if (all.length === 0) out('Aucun incident déclaré.');
  for (const view of all) printView(view);
}

export async function runIncidentDeclare(
  runtime: Runtime,
  o: {
    title?: string;
    vector?: string;
    description?: string;
    actor?: string[];
    organisation?: string[];
    client?: string[];
    session?: string[];
    from?: string;
    to?: string;
    awareAt?: string;
  },
): Promise<IncidentView> {
  if (!o.title) throw new ValidationError([{ field: '--title', rule: 'required', message: 'intitulé requis' }]);
  if (!o.vector || !(VECTORS as readonly string[]).includes(o.vector))
    throw new ValidationError([{ field: '--vector', rule: 'enum', message: `attendu : ${VECTORS.join(', ')}` }]);
  const view = await runtime.incidents.declare(
    {
      title: o.title,
      vector: o.vector as Vector,
      description: o.description ?? o.title,
      compromised: {
        actors: o.actor ?? [],
        organisations: o.organisation ?? [],
        clients: o.client ?? [],
        sessions: o.session ?? [],
      },
      windowFrom: instant(o.from, '--from'),
      windowTo: instant(o.to ?? new Date().toISOString(), '--to'),
      awareAt: instant(o.awareAt ?? new Date().toISOString(), '--aware-at'),
    },
    OPERATOR,
  );
  printView(view);
  return view;
}

/** `rempart incident scope ID [--csv FILE]`: the blast radius with a progress bar, the CSV if asked. */
export async function runIncidentScope(
  runtime: Runtime,
  idOrReference: string,
  o: { csv?: string },
): Promise<BlastRadius> {
  const id = await runtime.incidents.resolve(idOrReference);
  const radius = await runtime.incidents.scope(id, OPERATOR, barFor('Périmètre'));
  printScope(radius);
  if (o.csv) {
    const doc = await runtime.incidents.exportScope(id, OPERATOR);
    const { content } = await runtime.incidents.openDocument(id, doc.id, OPERATOR);
    writeFileSync(o.csv, content, { mode: 0o600 });
    process.stderr.write(`Périmètre écrit dans ${o.csv} (sha256 ${doc.sha256}).\n`);
  }
  return radius;
}

export async function runIncidentCnil(runtime: Runtime, idOrReference: string, o: { out?: string }): Promise<void> {
  const id = await runtime.incidents.resolve(idOrReference);
  const { draft, json, pdf } = await runtime.incidents.draftCnil(id, OPERATOR);
  const dir = o.out ?? '.';
  mkdirSync(dir, { recursive: true });
  for (const doc of [json, pdf]) {
    const { content } = await runtime.incidents.openDocument(id, doc.id, OPERATOR);
    const path = join(
      dir,
      `${draft.incident.reference}-cnil-v${doc.version}.${doc.mediaType === 'application/pdf' ? 'pdf' : 'json'}`,
    );
    writeFileSync(path, content, { mode: 0o600 });
    out(`${path} (sha256 ${doc.sha256})`);
  }
  out(`Notification ${draft.notification.kind} : ${draft.persons.exact} personne(s) ; ${draft.deadline.label}.`);
}

export async function runIncidentNotices(
  runtime: Runtime,
  idOrReference: string,
  o: { batchSize?: number },
): Promise<void> {
  const id = await runtime.incidents.resolve(idOrReference);
  const plan = await runtime.incidents.planNotices(id, OPERATOR);
  if (plan.planned) process.stderr.write(`${plan.planned} personne(s) ajoutée(s) au plan d’envoi.\n`);
  const run = await runtime.incidents.runNotices(id, OPERATOR, {
    ...(o.batchSize ? { batchSize: o.batchSize } : {}),
    progress: barFor('Avis'),
  });
  out(
    `${run.emailsSent} courriel(s) envoyé(s), ${run.lettersPrinted} courrier(s) imprimé(s), ${run.noAddress} sans adresse, reste ${run.remaining}.`,
  );
}

export async function runIncidentAct(runtime: Runtime, idOrReference: string, action: string): Promise<void> {
  if (!(ACTIONS as readonly string[]).includes(action))
    throw new ValidationError([{ field: 'action', rule: 'enum', message: `attendu : ${ACTIONS.join(', ')}` }]);
  const result = await runtime.incidents.act(
    await runtime.incidents.resolve(idOrReference),
    action as Action,
    OPERATOR,
  );
  out(result.summary);
}

export async function runIncidentShow(runtime: Runtime, idOrReference: string): Promise<void> {
  const id = await runtime.incidents.resolve(idOrReference);
  printView(await runtime.incidents.view(id));
  out('Registre :');
  for (const step of await runtime.incidents.timeline(id))
    out(`  ${step.at}  ${step.summary}${step.accountId ? '' : ' (opérateur)'}`);
  for (const doc of await runtime.incidents.documents(id))
    out(`  document ${doc.title} — ${doc.bytes} octets, sha256 ${doc.sha256}`);
}
