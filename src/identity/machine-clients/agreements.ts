import type { ActiveAgreement } from '../../policy/index.ts';

// The agreements are policy's: a machine client's grant and its partner routes ask policy's
// `activeAgreements` and cut its answer down here.

/** Every purpose the organisation's active agreements name, once each. */
export function purposesOf(agreements: readonly ActiveAgreement[]): string[] {
  return [...new Set(agreements.flatMap((a) => a.purposes.map((p) => p.purpose)))];
}

/** The agreements cut down to the purposes a token was granted; an agreement left with none is not shown. */
export function withinScope(agreements: readonly ActiveAgreement[], purposes: readonly string[]): ActiveAgreement[] {
  return agreements
    .map((a) => ({ ...a, purposes: a.purposes.filter((p) => purposes.includes(p.purpose)) }))
    .filter((a) => a.purposes.length > 0);
}
