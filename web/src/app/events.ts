/**
 * An access event of the ledger as the API returns it, to the person it concerns (« Qui a
 * consulté mon dossier ») and to the security desk (« Accès signalés »); each adds its own fields.
 */
export interface AccessEvent {
  at: string;
  kind: string;
  organisation: string | null;
  purpose: string | null;
  caseReference: string | null;
  operation: string | null;
  classes: string[];
}
