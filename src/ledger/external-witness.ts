import type { Checkpoint } from './checkpoint.ts';
import { parseCosignerKey, verifyCosignature, type CosignerKey } from './cosignature.ts';

/**
 * A client of an external witness speaking the C2SP tlog-witness protocol
 * (https://c2sp.org/tlog-witness): `POST <prefix>/add-checkpoint` with the size the witness
 * last cosigned, a consistency proof from it and the signed checkpoint; the witness answers
 * with its cosignature, or 409 and the size it holds. A witness that holds a larger checkpoint
 * than the log's newest has seen a history the store no longer has: a rollback, caught outside
 * the data folder as well as outside the database.
 */

export type WitnessOutcome =
  | { kind: 'cosigned'; size: bigint; cosignature: string; timestamp: bigint | null }
  /** The witness holds a larger checkpoint than the one submitted. */
  | { kind: 'rollback'; witnessSize: bigint; logSize: bigint }
  /** The witness's checkpoint and this one disagree about the past (same size, other root; or no consistency). */
  | { kind: 'fork'; witnessSize: bigint | null; logSize: bigint; message: string }
  /** Unreachable, refusing the log (403/404), or answering something else: says nothing about the log. */
  | { kind: 'unavailable'; message: string };

export interface ExternalWitnessOptions {
  url: string;
  /** The witness's cosigner key (type 0x04); without it cosignatures are kept unverified. */
  key?: string;
  timeoutMs?: number;
}

export class ExternalWitness {
  readonly url: string;
  readonly #key: CosignerKey | undefined;
  readonly #timeoutMs: number;

  constructor(options: ExternalWitnessOptions) {
    this.url = options.url.replace(/\/$/, '');
    this.#key = options.key ? parseCosignerKey(options.key) : undefined;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
  }

  /**
   * Submit `note` (checkpoint `checkpoint`) as following the one of `oldSize` the witness is
   * believed to hold; on a 409 naming a smaller size, once more from that size. `proof(from)`
   * gives the consistency proof from a size to the checkpoint's.
   */
  async submit(
    note: string,
    checkpoint: Checkpoint,
    oldSize: bigint,
    proof: (from: bigint) => Promise<Buffer[]>,
  ): Promise<WitnessOutcome> {
    let old = oldSize > checkpoint.size ? 0n : oldSize;
    for (let attempt = 0; attempt < 3; attempt++) {
      const lines = old > 0n && old < checkpoint.size ? (await proof(old)).map((p) => p.toString('base64')) : [];
      let response: Response;
      try {
        response = await fetch(`${this.url}/add-checkpoint`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: `old ${old}\n${lines.map((l) => `${l}\n`).join('')}\n${note}`,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (error) {
        return {
          kind: 'unavailable',
          message: `témoin externe injoignable (${error instanceof Error ? error.message : String(error)})`,
        };
      }
      const body = await response.text().catch(() => '');
      if (response.status === 200) {
        const text = note.slice(0, note.lastIndexOf('\n\n') + 1);
        if (!this.#key) return { kind: 'cosigned', size: checkpoint.size, cosignature: body.trim(), timestamp: null };
        const valid = verifyCosignature(text, body, this.#key);
        if (!valid)
          return { kind: 'unavailable', message: 'le témoin externe a répondu sans cosignature valide de sa clé' };
        return { kind: 'cosigned', size: checkpoint.size, cosignature: valid.line, timestamp: valid.timestamp };
      }
      if (response.status === 409) {
        const held = /^(0|[1-9][0-9]*)$/.test(body.trim()) ? BigInt(body.trim()) : null;
        if (held === null)
          return { kind: 'unavailable', message: 'le témoin externe a répondu 409 sans taille lisible' };
        if (held > checkpoint.size) return { kind: 'rollback', witnessSize: held, logSize: checkpoint.size };
        if (held === old) {
          // Asked from the very size it holds and still refused: at the checkpoint's size, that is another root.
          if (held === checkpoint.size) {
            return {
              kind: 'fork',
              witnessSize: held,
              logSize: checkpoint.size,
              message: `le témoin externe a cosigné un autre point de contrôle à la même taille (${held}) : le journal a été réécrit`,
            };
          }
          return {
            kind: 'unavailable',
            message: `le témoin externe refuse la taille ${old} qu'il dit pourtant détenir`,
          };
        }
        // Once more from the size it holds (the same size: it checks the roots are the same).
        old = held;
        continue;
      }
      if (response.status === 422) {
        return {
          kind: 'fork',
          witnessSize: old,
          logSize: checkpoint.size,
          message: `le témoin externe ne reconnaît pas le point de contrôle à ${checkpoint.size} événements comme une extension de celui à ${old} qu'il a cosigné : le journal a été réécrit`,
        };
      }
      return {
        kind: 'unavailable',
        message: `le témoin externe a répondu HTTP ${response.status}${body ? ` (${body.trim().slice(0, 120)})` : ''}`,
      };
    }
    return { kind: 'unavailable', message: 'le témoin externe change de taille à chaque essai' };
  }
}
