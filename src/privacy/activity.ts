import { accountEventsPage, journalOfPerson, parseBody, publicView, type PublicEvent } from '../ledger/index.ts';
import { chunks, type Executor } from '../store/index.ts';

/** The account's security events, in the words the job seeker reads. */
export const SECURITY_EVENT_LABELS: Record<string, string> = {
  login_succeeded: 'Connexion réussie',
  login_failed: 'Tentative de connexion échouée (mot de passe incorrect)',
  login_throttled: 'Connexions ralenties après plusieurs échecs',
  login_locked: 'Compte verrouillé après trop d’échecs',
  logout: 'Déconnexion',
  session_revoked: 'Session fermée',
  session_rejected: 'Session refusée',
  step_up_required: 'Confirmation d’identité demandée pour une opération sensible',
  account_created: 'Compte créé',
  account_disabled: 'Compte désactivé',
  password_changed: 'Mot de passe modifié',
  password_reset_requested: 'Réinitialisation du mot de passe demandée',
  password_reset_completed: 'Mot de passe réinitialisé',
  password_reset_refused: 'Réinitialisation du mot de passe refusée',
  factor_enrolled: 'Second facteur activé',
  factor_revoked: 'Second facteur retiré',
  second_factor_succeeded: 'Second facteur validé',
  second_factor_failed: 'Code de second facteur refusé',
  recovery_code_used: 'Code de secours utilisé',
  passkey_registered: 'Clé d’accès enregistrée',
  passkey_rejected: 'Clé d’accès refusée',
  channel_verified: 'Moyen de contact vérifié',
  federated_login: 'Connexion avec FranceConnect',
  federated_login_rejected: 'Connexion avec FranceConnect refusée',
  federated_identity_linked: 'Compte FranceConnect associé',
  federated_identity_unlinked: 'Compte FranceConnect dissocié',
  guard_containment: 'Compte suspendu par mesure de sécurité',
  guard_release: 'Suspension levée',
  access_reported: 'Accès signalé au délégué à la protection des données',
  subject_access: 'Consultation ou téléchargement de mon dossier',
  correspondence_preference_set: 'Choix du courrier papier modifié',
};
const SECURITY_KINDS = Object.keys(SECURITY_EVENT_LABELS);
/** Details that may be shown: how a factor was passed, never a secret, an address or an identifier of someone else. */
const SHOWN_DETAILS = new Set(['method', 'operation']);

export const SECURITY_EVENTS_MAX_PAGE_SIZE = 100;

export interface SecurityEvent {
  id: string;
  at: string;
  kind: string;
  label: string;
  /** How a factor was passed, or what the person did with their file: never a secret, an address or someone else's identifier. */
  method: string | null;
}

export interface SecurityEventsPage {
  page: number;
  pageSize: number;
  total: number;
  events: SecurityEvent[];
}

/** The account's security events, newest first, in French. */
export async function securityEvents(
  db: Executor,
  accountId: string,
  page: number,
  pageSize: number,
): Promise<SecurityEventsPage> {
  const { total, events: rows } = await accountEventsPage(db, accountId, SECURITY_KINDS, { page, pageSize });
  return {
    page,
    pageSize,
    total,
    events: rows.map((row) => {
      const details = parseBody(row.body).details;
      const shown = Object.entries(details).find(([k, v]) => SHOWN_DETAILS.has(k) && typeof v === 'string');
      return {
        id: row.id,
        at: row.at,
        kind: row.kind,
        label: SECURITY_EVENT_LABELS[row.kind] ?? row.kind,
        method: shown ? String(shown[1]) : null,
      };
    }),
  };
}

/** Every entry of the person's access journal, newest first, as the tree covers it (no proofs: the journal page gives those). */
export async function journalEvents(
  db: Executor,
  personId: string,
): Promise<Array<{ index: number | null; organisationName: string | null; event: PublicEvent }>> {
  const events = await journalOfPerson(db, personId);
  const names = await organisationNames(
    db,
    events.map((e) => e.organisationId),
  );
  return events.map((e) => ({
    index: e.seq,
    organisationName: e.organisationId === null ? null : (names.get(e.organisationId) ?? null),
    event: publicView(parseBody(e.body)),
  }));
}

/** The names of these organisations (the network's reference data), by id. */
export async function organisationNames(db: Executor, ids: ReadonlyArray<string | null>): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  for (const part of chunks(wanted, 1, 1000))
    for (const o of await db.selectFrom('organisations').select(['id', 'name']).where('id', 'in', part).execute())
      names.set(o.id, o.name);
  return names;
}
