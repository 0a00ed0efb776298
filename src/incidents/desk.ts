import type { EventInput, Ledger } from '../ledger/index.ts';
import type { NoticeBatch, NoticeDeps, RecordStep } from './notices.ts';

/** Placing a hold on a person's bank-detail changes (the bank capability's, injected by the runtime). */
export type PlaceBankHold = (
  personId: string,
  hold: { reference: string; note: string },
  event: EventInput,
) => Promise<'placed' | 'already'>;

export interface IncidentDeps extends NoticeDeps {
  ledger: Ledger;
  placeBankHold: PlaceBankHold;
}

/** What each of the desk's verbs works with: its dependencies, the register's pen and the notice batch. */
export interface Desk extends IncidentDeps {
  step: RecordStep;
  notices: NoticeBatch;
}

/** Who takes a step: a desk member's account, or the operator's command line (no account). */
export interface By {
  accountId: string | null;
}
