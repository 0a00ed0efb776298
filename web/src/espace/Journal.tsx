import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../app/api.ts';
import type { AccessEvent } from '../app/events.ts';
import { classLabel, formatDateTime, plural } from '../app/format.ts';
import { useSignedIn } from '../app/session.tsx';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';
import { checkChain, describeChain, type ChainLink, type ChainReport, type ChainState } from './chain.ts';
import { entryVerifies, leafHashBase64url, openCheckpoint, type CheckpointView } from './proof.ts';

/** The event exactly as the ledger holds it: its proof is computed over every field. */
interface JournalEvent extends AccessEvent {
  id: string;
  /** Its place in the person's journal (absent on entries from before the chain). */
  chain?: ChainLink;
  [key: string]: unknown;
}

interface JournalEntry {
  event: JournalEvent;
  organisation: { id: string; name: string } | null;
  purposeLabel: string | null;
  /** An act under a mandate: « X (France Services de Y), avec votre mandat du … ». */
  mandate?: string;
  index: number;
  proof: string[];
  /** Not yet under the signed checkpoint the page carries: its proof comes with the next one (seconds). */
  pending?: boolean;
}

interface Journal {
  page: number;
  pageSize: number;
  total: number;
  checkpoint: { size: number; note: string } | null;
  verifierKey: string;
  chain: ChainState;
  entries: JournalEntry[];
}

const KIND_LABELS: Record<string, string> = {
  access_granted: 'Consultation autorisée',
  access_denied: 'Consultation refusée',
  break_glass_used: 'Accès d’urgence (bris de glace)',
  caller_verification_started: 'Vérification de votre identité au téléphone',
  caller_verified: 'Identité vérifiée au téléphone',
  person_created: 'Création du dossier',
  person_registered: 'Inscription comme demandeur d’emploi : création du dossier',
  registration_review_decided: 'Demande d’inscription rapprochée de votre dossier et examinée par un conseiller',
  registration_renewed: 'Réinscription comme demandeur d’emploi',
  access_reported: 'Vous avez signalé un accès',
  rights_request_received: 'Demande d’exercice de vos droits reçue',
  rights_request_transition: 'Votre demande d’exercice de vos droits a avancé',
  rights_request_answered: 'Réponse à votre demande d’exercice de vos droits',
  rights_request_overdue: 'Délai de réponse dépassé : le délégué à la protection des données est alerté',
  retention_purged: 'Données effacées à la fin de leur durée de conservation',
  retention_archived:
    'Données retirées de votre dossier à la fin de leur durée de conservation et placées en archive intermédiaire',
  archive_read: 'Archive intermédiaire consultée par le délégué à la protection des données',
  processing_restricted: 'Traitement de vos données limité (RGPD art. 18)',
  restriction_lifted: 'Limitation du traitement levée',
  data_rectified: 'Données rectifiées à votre demande (RGPD art. 16)',
  previous_value_read: 'Ancienne valeur d’une donnée rectifiée consultée par le délégué à la protection des données',
  monthly_update_declared: 'Actualisation mensuelle déclarée',
  paper_letter_reached: 'Un courrier vous est revenu : un agent vous a joint autrement',
  mandate_requested: 'Mandat préparé par un aidant France Services, en attente de votre confirmation',
  mandate_confirmed: 'Mandat à un aidant France Services confirmé',
  mandate_revoked: 'Mandat à un aidant France Services retiré',
  mandate_expired: 'Mandat à un aidant France Services terminé',
  registration_intake_recorded: 'Inscription enregistrée par un agent ou par un partenaire (récépissé ou courrier)',
};

const OPERATION_LABELS: Record<string, string> = {
  read: 'lecture',
  write: 'modification',
  create: 'création',
  register: 'inscription',
  renew: 'réinscription',
  same_person: 'même personne : aucun nouveau dossier',
  different_persons: 'personnes différentes : dossier créé',
  search: 'recherche',
  export: 'export',
  list_caseload: 'vue dans la liste de son portefeuille (nom, prénom, date de naissance)',
  list_referrals: 'vue dans la liste des personnes orientées vers son organisation (nom, prénom, date de naissance)',
  update: 'modification',
  verify_caller: 'vérification de votre identité au téléphone',
  break_glass: 'accès d’urgence',
  write_to_person: 'lecture de vos coordonnées pour vous écrire',
  incident_notice: 'lecture de vos coordonnées pour vous prévenir d’un incident de sécurité',
  incident_document: 'préparation du courrier vous prévenant d’un incident de sécurité',
  report: 'signalement',
  purge: 'effacement',
  archive: 'archivage intermédiaire',
  read_archive: 'lecture de l’archive intermédiaire',
  assisted_update: 'actualisation faite pour vous sous mandat',
  read_certificates: 'lecture de vos attestations employeur',
  mandate_request: 'préparation d’un mandat',
  confirm_mandate: 'confirmation d’un mandat',
  revoke_mandate: 'retrait d’un mandat',
  declare_figures: 'report de votre actualisation dans vos droits',
  correct_figures: 'report de votre actualisation corrigée dans vos droits',
  registration_receipt: 'impression de votre récépissé d’inscription',
};

/** What an entry says happened, in a sentence: a list is not a reading of the file. */
function entrySummary(event: { kind: string; operation?: string | null }): string {
  if (event.kind === 'access_granted' && event.operation === 'list_caseload')
    return 'A consulté la liste de son portefeuille, où figurent vos nom, prénom et date de naissance';
  if (event.kind === 'access_granted' && event.operation === 'list_referrals')
    return 'A consulté la liste des personnes orientées vers son organisation, où figurent vos nom, prénom et date de naissance';
  return KIND_LABELS[event.kind] ?? event.kind;
}

const PAGE_SIZE = 10;

type Proofs = Record<string, boolean>;

/**
 * The highest entry number this browser has seen proven in this person's journal: a later
 * visit whose journal stops below it has lost entries (a truncated tail). Kept per account in
 * localStorage; a browser that keeps nothing simply does not remember.
 */
function rememberedKey(accountId: string): string {
  return `rempart.journal.seen.${accountId}`;
}

function readRemembered(key: string): number {
  try {
    const value = Number(window.localStorage.getItem(key));
    return Number.isSafeInteger(value) && value > 0 ? value : 0;
  } catch {
    return 0;
  }
}

function remember(key: string, n: number): void {
  try {
    window.localStorage.setItem(key, String(n));
  } catch {
    // Storage refused (private browsing, policy): the check of this visit stands on its own.
  }
}

/** « Qui a consulté mon dossier »: each access, its reason, and a proof checked here, in the browser. */
export function JournalPage() {
  const [page, setPage] = useState(1);
  const journal = useLoad(() => api<Journal>(`/api/me/journal?page=${page}&pageSize=${PAGE_SIZE}`), [page]);
  const [checkpoint, setCheckpoint] = useState<CheckpointView | null>(null);
  const [proofs, setProofs] = useState<Proofs>({});
  const [chain, setChain] = useState<ChainReport | null>(null);
  const memory = rememberedKey(useSignedIn().account.id);

  useEffect(() => {
    const data = journal.data;
    if (!data) return;
    let live = true;
    void (async () => {
      const opened = data.checkpoint ? await openCheckpoint(data.checkpoint.note, data.verifierKey) : null;
      const results: Proofs = {};
      const leaves: Record<string, string> = {};
      for (const entry of data.entries) {
        if (!entry.pending)
          results[entry.event.id] = opened ? await entryVerifies(entry.event, entry.index, entry.proof, opened) : false;
        leaves[entry.event.id] = await leafHashBase64url(entry.event);
      }
      // Complete, not only proven: the entries' numbers against the head and what was seen before.
      const remembered = readRemembered(memory);
      const report = checkChain({
        entries: data.entries.map((entry) => ({
          index: entry.index,
          leafHash: leaves[entry.event.id]!,
          chain: entry.event.chain,
        })),
        page: data.page,
        pageSize: data.pageSize,
        total: data.total,
        chain: data.chain,
        remembered,
      });
      const proven =
        opened?.signatureValid === false
          ? 0
          : Math.max(
              0,
              ...data.entries.filter((entry) => results[entry.event.id]).map((entry) => entry.event.chain?.n ?? 0),
            );
      if (proven > remembered) remember(memory, proven);
      if (!live) return;
      setCheckpoint(opened);
      setProofs(results);
      setChain(report);
    })();
    return () => {
      live = false;
    };
  }, [journal.data, memory]);

  const pages = journal.data ? Math.max(1, Math.ceil(journal.data.total / journal.data.pageSize)) : 1;
  return (
    <>
      <PageTitle title="Qui a consulté mon dossier">Qui a consulté mon dossier</PageTitle>
      <p>
        Chaque fois qu’un agent ou un partenaire consulte votre dossier, il doit déclarer pourquoi. Vous voyez ici
        chaque accès, du plus récent au plus ancien. Votre navigateur vérifie lui-même que chaque ligne figure dans le
        journal signé, et qu’aucune ne manque : personne ne peut en effacer ni en modifier une sans que cela se voie.
      </p>
      <ErrorNotice error={journal.error} title="Le journal n’a pas pu être affiché" />
      {journal.loading && !journal.data ? <Loading what="Chargement du journal" /> : null}
      {checkpoint ? (
        <p className="fr-text--sm" data-testid="checkpoint-status">
          {checkpoint.signatureValid === true
            ? `Journal signé vérifié : ${plural(checkpoint.size, 'événement', 'événements')}, signature du registre contrôlée par votre navigateur.`
            : checkpoint.signatureValid === null
              ? `Preuves vérifiées par rapport à la racine du point de contrôle signé (${plural(checkpoint.size, 'événement', 'événements')}) ; ce navigateur ne sait pas contrôler la signature elle-même.`
              : 'La signature du journal ne correspond pas à la clé du registre : signalez-le au délégué à la protection des données.'}
        </p>
      ) : null}
      {chain && (chain.head > 0 || chain.unchained > 0 || !chain.complete) ? <ChainStatus report={chain} /> : null}
      {journal.data && journal.data.entries.length === 0 && (!chain || (chain.complete && chain.head === 0)) ? (
        <p>Personne n’a encore consulté votre dossier.</p>
      ) : null}
      {journal.data?.entries.map((entry) => (
        <JournalItem
          key={entry.event.id}
          entry={entry}
          verified={proofs[entry.event.id]}
          signatureOk={checkpoint?.signatureValid !== false}
        />
      ))}
      {journal.data && pages > 1 ? (
        <nav role="navigation" aria-label="Pages du journal" className="fr-mt-3w">
          <p className="fr-text--sm">
            Page {page} sur {pages} ({journal.data.total} accès)
          </p>
          <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left">
            <li>
              <Button
                type="button"
                priority="secondary"
                iconId="fr-icon-arrow-left-line"
                disabled={page <= 1}
                onClick={() => setPage((p) => p - 1)}
              >
                Accès plus récents
              </Button>
            </li>
            <li>
              <Button
                type="button"
                priority="secondary"
                iconId="fr-icon-arrow-right-line"
                iconPosition="right"
                disabled={page >= pages}
                onClick={() => setPage((p) => p + 1)}
              >
                Accès plus anciens
              </Button>
            </li>
          </ul>
        </nav>
      ) : null}
    </>
  );
}

/** « Journal complet » or the entry that is missing, as the page's other checks: a badge and a sentence. */
function ChainStatus({ report }: { report: ChainReport }) {
  const { severity, title, text } = describeChain(report);
  return (
    <p className="fr-text--sm" data-testid="chain-status" role={severity === 'error' ? 'alert' : 'status'}>
      <Badge as="span" severity={severity} small className="fr-mr-1w">
        {title}
      </Badge>
      {text}
    </p>
  );
}

function JournalItem({
  entry,
  verified,
  signatureOk,
}: {
  entry: JournalEntry;
  verified: boolean | undefined;
  signatureOk: boolean;
}) {
  const { event } = entry;
  const [reporting, setReporting] = useState(false);
  const [comment, setComment] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const report = useAction(async (e: FormEvent) => {
    e.preventDefault();
    const result = await api<{ id: string }>(`/api/me/journal/${event.id}/report`, {
      method: 'POST',
      body: comment.trim() ? { comment: comment.trim() } : {},
    });
    setReporting(false);
    setDone(
      `Votre signalement (n° ${result.id.slice(0, 8)}) a été transmis au délégué à la protection des données. Il vous répondra.`,
    );
  });
  // Under a mandate, the aidant is named with their house and the mandate (issue 25 §4).
  const who =
    entry.mandate ??
    entry.organisation?.name ??
    (event.organisation ? event.organisation : 'Organisation non précisée');
  const headingId = `acces-${event.id}`;
  return (
    <article
      className="fr-mb-2w rempart-entry rempart-journal-entry"
      aria-labelledby={headingId}
      data-testid="journal-entry"
    >
      <h2 id={headingId} className="fr-h6 fr-mb-1w">
        {who}
      </h2>
      <p className="fr-mb-1w">
        {entrySummary(event)}, le {formatDateTime(event.at)}
      </p>
      <dl className="rempart-fields">
        <div className="rempart-fields__row">
          <dt>Motif déclaré</dt>
          <dd>{entry.purposeLabel ?? event.purpose ?? '—'}</dd>
        </div>
        <div className="rempart-fields__row">
          <dt>Référence du dossier</dt>
          <dd>{event.caseReference ?? '—'}</dd>
        </div>
        <div className="rempart-fields__row">
          <dt>Opération</dt>
          <dd>{event.operation ? (OPERATION_LABELS[event.operation] ?? event.operation) : '—'}</dd>
        </div>
        <div className="rempart-fields__row">
          <dt>Données concernées</dt>
          <dd>{event.classes.length ? event.classes.map(classLabel).join(', ') : '—'}</dd>
        </div>
      </dl>
      <p className="fr-mt-1w fr-mb-1w">
        {entry.pending ? (
          <Badge severity="info" small>
            Preuve au prochain point de contrôle
          </Badge>
        ) : verified === undefined ? (
          <span className="fr-text--sm">Vérification de la preuve…</span>
        ) : verified && signatureOk ? (
          <Badge severity="success" small>
            Preuve vérifiée
          </Badge>
        ) : (
          <Badge severity="error" small>
            Preuve invalide
          </Badge>
        )}
      </p>
      <SuccessNotice message={done} />
      <ErrorNotice error={report.error} title="Signalement impossible" />
      {!done && !reporting && event.kind !== 'access_reported' ? (
        <Button
          type="button"
          priority="secondary"
          size="small"
          iconId="fr-icon-alert-line"
          onClick={() => setReporting(true)}
        >
          Signaler cet accès
        </Button>
      ) : null}
      {reporting ? (
        <form onSubmit={(e) => void report.run(e)}>
          <Input
            label="Qu’est-ce qui vous paraît anormal ? (facultatif)"
            hintText="Par exemple : je ne connais pas cette organisation, je n’avais aucun rendez-vous à cette date."
            textArea
            nativeTextAreaProps={{
              name: 'comment',
              maxLength: 2000,
              value: comment,
              onChange: (e) => setComment(e.target.value),
            }}
          />
          <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left">
            <li>
              <Button type="submit" disabled={report.busy}>
                Envoyer le signalement
              </Button>
            </li>
            <li>
              <Button type="button" priority="tertiary" onClick={() => setReporting(false)}>
                Annuler
              </Button>
            </li>
          </ul>
        </form>
      ) : null}
    </article>
  );
}
