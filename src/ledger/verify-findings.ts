export type FindingKind =
  'modified' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'tree' | 'checkpoint' | 'rollback';

/** One thing wrong with the log, in French for the operator, with the event's position and id where there is one. */
export interface Finding {
  kind: FindingKind;
  index?: number;
  eventId?: string;
  message: string;
}

/** What one verification found: the first `max` findings kept, the others only counted as cut off. */
export class Findings {
  readonly #kept: Finding[] = [];
  readonly #max: number;
  #truncated = false;

  constructor(max: number) {
    this.#max = max;
  }

  note(finding: Finding): void {
    if (this.#kept.length < this.#max) this.#kept.push(finding);
    else this.#truncated = true;
  }

  some(test: (finding: Finding) => boolean): boolean {
    return this.#kept.some(test);
  }

  /** True when more findings exist than were kept. */
  get truncated(): boolean {
    return this.#truncated;
  }

  /** The first finding by position is the headline: those that have one sorted, the others after. */
  sorted(): Finding[] {
    const rank = (f: Finding) => (f.kind === 'tree' || f.kind === 'checkpoint' ? 1 : 0);
    return this.#kept.sort(
      (a, b) => rank(a) - rank(b) || (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER),
    );
  }
}
