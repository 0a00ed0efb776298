import { readFileSync, writeFileSync } from 'node:fs';
import { Type } from 'typebox';
import { validate, ValidationError } from '../../domain/index.ts';
import {
  openSignedCheckpoint,
  pruneLedger,
  verifyCheckpointPair,
  verifyLedger,
  WitnessError,
  type PruneResult,
  type VerifyReport,
} from '../../ledger/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import { progressBar } from '../progress.ts';
import { OperatorError } from './keys.ts';

/**
 * `rempart ledger verify`: every event recomputed against every signed checkpoint, and the newest
 * checkpoint compared with the one kept outside the database (the witness file): a consistent
 * rollback verifies as a whole but not against it. Exit 1 on any finding.
 */
export async function runLedgerVerify(runtime: Runtime): Promise<VerifyReport> {
  const size = await runtime.ledger.size();
  const bar = progressBar('Vérification du journal', Math.max(1, size));
  let report: VerifyReport;
  try {
    report = await verifyLedger(runtime.database.db, runtime.ledger, { onProgress: (done) => bar.update(done) });
  } finally {
    bar.stop();
  }
  const fileProblem = runtime.ledger.problems.find((p) => p.source === 'file');
  const witnessed = fileProblem ? undefined : await runtime.ledger.checkAgainstWitnessed();
  if (fileProblem || witnessed) {
    const message = fileProblem?.message ?? witnessed!.message;
    report = {
      ...report,
      ok: false,
      findings: [{ kind: 'rollback', ...(witnessed ? { index: witnessed.logSize } : {}), message }, ...report.findings],
    };
  }
  const lines = [
    `Journal ${runtime.ledger.origin}`,
    report.checkpoint
      ? `Dernier point de contrôle signé : ${report.checkpoint.size} événements (${report.checkpoint.at}) ; ${report.checkpointsChecked} point(s) de contrôle vérifié(s).`
      : 'Aucun point de contrôle signé : seule la cohérence interne est vérifiée.',
    `${report.eventsChecked} événement(s) recalculé(s)${report.pruned ? `, ${report.pruned} purgé(s) (pris sur leurs empreintes conservées)` : ''}, ${report.unsigned} pas encore sous un point de contrôle, ${report.pending} en attente d'intégration.`,
  ];
  const kept = runtime.ledger.witnessed;
  lines.push(
    kept
      ? `Témoin (${runtime.config.ledgerWitnessFile}) : point de contrôle de ${kept.size} événements${kept.at ? ` (${kept.at})` : ''}.`
      : `Témoin (${runtime.config.ledgerWitnessFile}) : aucun point de contrôle conservé pour l'instant.`,
  );
  if (report.ok)
    lines.push('Journal intègre : aucun événement modifié, supprimé, inséré ou déplacé, et pas de retour en arrière.');
  else {
    lines.push(`JOURNAL ALTÉRÉ — premier constat : ${report.findings[0]!.message}`);
    for (const finding of report.findings.slice(1)) lines.push(`  puis : ${finding.message}`);
    if (report.truncatedFindings)
      lines.push('  (d’autres constats suivent ; corrigez ou expertisez d’abord les premiers)');
  }
  process.stdout.write(lines.join('\n') + '\n');
  if (!report.ok) throw new OperatorError('Vérification du journal en échec.');
  return report;
}

/** `rempart ledger checkpoint`: integrate what is pending and sign now. */
export async function runLedgerCheckpoint(runtime: Runtime, raw: unknown): Promise<string | undefined> {
  const { output } = validate(
    Type.Object({ output: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false }),
    raw,
  );
  const checkpoint = await runtime.ledger.checkpoint();
  if (!checkpoint) {
    process.stderr.write('Journal vide : aucun point de contrôle à signer.\n');
    return undefined;
  }
  if (output) {
    writeFileSync(output, checkpoint.note);
    process.stderr.write(`Point de contrôle à ${checkpoint.size} événements écrit dans ${output}.\n`);
  } else process.stdout.write(checkpoint.note);
  return checkpoint.note;
}

export function runLedgerKey(runtime: Runtime): string {
  process.stdout.write(`${runtime.ledger.verifierKey}\n`);
  return runtime.ledger.verifierKey;
}

export const CHECKPOINTS_FORMAT = 'rempart.checkpoints/v1';

/** `rempart ledger export`: the signed checkpoints and the public key, for an external witness. */
export async function runLedgerExport(runtime: Runtime, raw: unknown): Promise<number> {
  const options = validate(
    Type.Object(
      { output: Type.String({ minLength: 1 }), from: Type.Optional(Type.Integer({ minimum: 0 })) },
      { additionalProperties: false },
    ),
    raw,
  );
  const checkpoints = [];
  for (let from = options.from ?? 0; ;) {
    const page = await runtime.ledger.checkpoints({ fromSize: from, limit: 1000 });
    checkpoints.push(...page.map((c) => ({ size: Number(c.size), at: c.at, note: c.note })));
    if (page.length < 1000) break;
    from = Number(page.at(-1)!.size) + 1;
  }
  const document = {
    format: CHECKPOINTS_FORMAT,
    origin: runtime.ledger.origin,
    verifierKey: runtime.ledger.verifierKey,
    checkpoints,
  };
  writeFileSync(options.output, JSON.stringify(document, null, 2) + '\n');
  process.stderr.write(`${checkpoints.length} point(s) de contrôle exporté(s) dans ${options.output}.\n`);
  return checkpoints.length;
}

function readText(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new ValidationError([{ field, rule: 'file.readable', message: 'fichier illisible ou introuvable' }]);
  }
}

const WitnessSchema = Type.Object(
  {
    key: Type.String({ minLength: 1 }),
    older: Type.String({ minLength: 1 }),
    newer: Type.Optional(Type.String({ minLength: 1 })),
    proof: Type.Optional(Type.String({ minLength: 1 })),
    url: Type.Optional(Type.String({ pattern: '^https?://' })),
  },
  { additionalProperties: false },
);

/** A signed note, from a note file or from a witness file (`ledger-witness.json`, whose `note` it is). */
function readNote(path: string, field: string): string {
  const text = readText(path, field);
  if (!text.trimStart().startsWith('{')) return text;
  try {
    const note = (JSON.parse(text) as { note?: unknown }).note;
    if (typeof note === 'string') return note;
  } catch {
    // not JSON after all: taken as a note, which will not open
  }
  throw new ValidationError([
    { field, rule: 'file.note', message: 'ni une note signée, ni un fichier témoin (champ « note »)' },
  ]);
}

/**
 * `rempart ledger witness`: what an auditor runs with only the public key and two checkpoints
 * it kept: both signed by the log, and the newer one extends the older one. The consistency
 * proof comes from a file or from the server's public API; neither has to be trusted. With
 * `--url` and no `--newer`, the newer one is the server's latest. A newer checkpoint smaller
 * than the older one is named for what it is, a rollback, before any proof is asked for.
 */
export async function runLedgerWitness(raw: unknown): Promise<void> {
  const options = validate(WitnessSchema, raw);
  if (!options.newer && !options.url)
    throw new ValidationError([
      {
        field: '--newer',
        rule: 'required',
        message: 'le point de contrôle récent (--newer fichier), ou --url du serveur qui le sert',
      },
    ]);
  const older = readNote(options.older, '--older');
  const base = options.url?.replace(/\/$/, '');
  try {
    let newer: string;
    if (options.newer) newer = readNote(options.newer, '--newer');
    else {
      const response = await fetch(`${base}/api/ledger/checkpoint`, { signal: AbortSignal.timeout(30_000) }).catch(
        (error: unknown) => {
          throw new WitnessError(`serveur injoignable (${error instanceof Error ? error.message : String(error)})`);
        },
      );
      if (!response.ok)
        throw new WitnessError(`le serveur n’a pas fourni son dernier point de contrôle (HTTP ${response.status})`);
      newer = await response.text();
    }
    const a = openSignedCheckpoint(older, options.key);
    const b = openSignedCheckpoint(newer, options.key, a.origin);
    if (b.size < a.size) {
      throw new WitnessError(
        `RETOUR EN ARRIÈRE (rollback) : le point de contrôle le plus récent (${b.size} événements) est plus petit que l’ancien (${a.size} événements) ; le journal a perdu ${a.size - b.size} événement(s) qu’il avait signés`,
      );
    }
    let proof: string[] = [];
    if (a.size > 0n && a.size !== b.size) {
      if (options.proof) proof = (JSON.parse(readText(options.proof, '--proof')) as { proof: string[] }).proof;
      else if (base) {
        const response = await fetch(`${base}/api/ledger/proofs/consistency?from=${a.size}&to=${b.size}`, {
          signal: AbortSignal.timeout(30_000),
        });
        if (!response.ok)
          throw new WitnessError(
            `le serveur n’a pas fourni la preuve de cohérence de ${a.size} à ${b.size} événements (HTTP ${response.status})`,
          );
        proof = ((await response.json()) as { proof: string[] }).proof;
      } else
        throw new ValidationError([
          {
            field: '--proof',
            rule: 'required',
            message: 'une preuve de cohérence (--proof fichier ou --url du serveur) est nécessaire',
          },
        ]);
    }
    verifyCheckpointPair(
      older,
      newer,
      proof.map((p) => Buffer.from(p, 'base64')),
      options.key,
    );
    process.stdout.write(
      `Cohérent : le point de contrôle à ${b.size} événements prolonge celui à ${a.size} (${a.origin}).\n`,
    );
  } catch (error) {
    if (error instanceof WitnessError) throw new OperatorError(`Témoin : ${error.message}`);
    throw error;
  }
}

/** `rempart ledger prune --before DATE`: retention; bodies go, leaf hashes and checkpoints stay. */
export async function runLedgerPrune(runtime: Runtime, raw: unknown): Promise<PruneResult> {
  const { before } = validate(
    Type.Object({ before: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }) }, { additionalProperties: false }),
    raw,
  );
  let result: PruneResult;
  try {
    result = await pruneLedger(runtime.database.db, runtime.ledger, new Date(`${before}T00:00:00Z`));
  } catch (error) {
    if (error instanceof ValidationError)
      throw new ValidationError(error.issues.map((i) => ({ ...i, field: '--before' })));
    throw error;
  }
  process.stdout.write(
    result.pruned === 0
      ? 'Rien à purger avant cette date (ou rien qui soit déjà sous un point de contrôle signé).\n'
      : `${result.pruned} événement(s) antérieurs au ${before} purgé(s) : leurs empreintes restent dans l’arbre, qui se vérifie toujours` +
          (result.droppedPartitions.length ? ` ; partitions supprimées : ${result.droppedPartitions.join(', ')}` : '') +
          '.\n',
  );
  return result;
}
