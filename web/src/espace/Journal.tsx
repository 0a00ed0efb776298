import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../app/api.ts';
import type { AccessEvent } from '../app/events.ts';
import { classLabel, formatDateTime } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';
import { entryVerifies, openCheckpoint, type CheckpointView } from './proof.ts';

/** The event exactly as the ledger holds it: its proof is computed over every field. */
interface JournalEvent extends AccessEvent {
  id: string;
  [key: string]: unknown;
}

interface JournalEntry {
  event: JournalEvent;
  organisation: { id: string; name: string } | null;
  purposeLabel: string | null;
  index: number;
  proof: string[];
}

interface Journal {
  page: number;
  pageSize: number;
  total: number;
  checkpoint: { size: number; note: string } | null;
  verifierKey: string;
  entries: JournalEntry[];
}

const KIND_LABELS: Record<string, string> = {
  access_granted: 'Consultation autorisée',
  access_denied: 'Consultation refusée',
  break_glass_used: 'Accès d’urgence (bris de glace)',
  caller_verification_started: 'Vérification de votre identité au téléphone',
  caller_verified: 'Identité vérifiée au téléphone',
  person_created: 'Création du dossier',
  access_reported: 'Vous avez signalé un accès',
};

const OPERATION_LABELS: Record<string, string> = { read: 'lecture', write: 'modification', create: 'création', search: 'recherche', export: 'export' };

const PAGE_SIZE = 10;

type Proofs = Record<string, boolean>;

/** « Qui a consulté mon dossier »: each access, its reason, and a proof checked here, in the browser. */
export function JournalPage() {
  const [page, setPage] = useState(1);
  const journal = useLoad(() => api<Journal>(`/api/me/journal?page=${page}&pageSize=${PAGE_SIZE}`), [page]);
  const [checkpoint, setCheckpoint] = useState<CheckpointView | null>(null);
  const [proofs, setProofs] = useState<Proofs>({});

  useEffect(() => {
    const data = journal.data;
    if (!data?.checkpoint) return;
    let live = true;
    void (async () => {
      const opened = await openCheckpoint(data.checkpoint!.note, data.verifierKey);
      const results: Proofs = {};
      for (const entry of data.entries) results[entry.event.id] = opened ? await entryVerifies(entry.event, entry.index, entry.proof, opened) : false;
      if (!live) return;
      setCheckpoint(opened);
      setProofs(results);
    })();
    return () => {
      live = false;
    };
  }, [journal.data]);

  const pages = journal.data ? Math.max(1, Math.ceil(journal.data.total / journal.data.pageSize)) : 1;
  return (
    <>
      <PageTitle title="Qui a consulté mon dossier">Qui a consulté mon dossier</PageTitle>
      <p>
        Chaque fois qu’un agent ou un partenaire consulte votre dossier, il doit déclarer pourquoi. Vous voyez ici chaque accès, du plus récent au plus ancien. Votre navigateur
        vérifie lui-même que chaque ligne figure dans le journal signé : personne ne peut l’effacer ni la modifier sans que cela se voie.
      </p>
      <ErrorNotice error={journal.error} title="Le journal n’a pas pu être affiché" />
      {journal.loading && !journal.data ? <Loading what="Chargement du journal" /> : null}
      {checkpoint ? (
        <p className="fr-text--sm" data-testid="checkpoint-status">
          {checkpoint.signatureValid === true
            ? `Journal signé vérifié : ${checkpoint.size} événements, signature du registre contrôlée par votre navigateur.`
            : checkpoint.signatureValid === null
              ? `Preuves vérifiées contre la racine du point de contrôle signé (${checkpoint.size} événements) ; ce navigateur ne sait pas contrôler la signature elle-même.`
              : 'La signature du journal ne correspond pas à la clé du registre : signalez-le au délégué à la protection des données.'}
        </p>
      ) : null}
      {journal.data && journal.data.entries.length === 0 ? <p>Personne n’a encore consulté votre dossier.</p> : null}
      {journal.data?.entries.map((entry) => (
        <JournalItem key={entry.event.id} entry={entry} verified={proofs[entry.event.id]} signatureOk={checkpoint?.signatureValid !== false} />
      ))}
      {journal.data && pages > 1 ? (
        <nav role="navigation" aria-label="Pages du journal" className="fr-mt-3w">
          <p className="fr-text--sm">
            Page {page} sur {pages} ({journal.data.total} accès)
          </p>
          <ul className="fr-btns-group fr-btns-group--inline-sm">
            <li>
              <Button type="button" priority="secondary" iconId="fr-icon-arrow-left-line" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
                Accès plus récents
              </Button>
            </li>
            <li>
              <Button type="button" priority="secondary" iconId="fr-icon-arrow-right-line" iconPosition="right" disabled={page >= pages} onClick={() => setPage((p) => p + 1)}>
                Accès plus anciens
              </Button>
            </li>
          </ul>
        </nav>
      ) : null}
    </>
  );
}

function JournalItem({ entry, verified, signatureOk }: { entry: JournalEntry; verified: boolean | undefined; signatureOk: boolean }) {
  const { event } = entry;
  const [reporting, setReporting] = useState(false);
  const [comment, setComment] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const report = useAction(async (e: FormEvent) => {
    e.preventDefault();
    const result = await api<{ id: string }>(`/api/me/journal/${event.id}/report`, { method: 'POST', body: comment.trim() ? { comment: comment.trim() } : {} });
    setReporting(false);
    setDone(`Votre signalement (n° ${result.id.slice(0, 8)}) a été transmis au délégué à la protection des données. Il vous répondra.`);
  });
  const who = entry.organisation?.name ?? (event.organisation ? event.organisation : 'Organisation non précisée');
  const headingId = `acces-${event.id}`;
  return (
    <article className="fr-mb-2w rempart-entry rempart-journal-entry" aria-labelledby={headingId} data-testid="journal-entry">
      <h2 id={headingId} className="fr-h6 fr-mb-1w">
        {who}
      </h2>
      <p className="fr-mb-1w">
        {KIND_LABELS[event.kind] ?? event.kind}, le {formatDateTime(event.at)}
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
        {verified === undefined ? (
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
        <Button type="button" priority="secondary" size="small" iconId="fr-icon-alert-line" onClick={() => setReporting(true)}>
          Signaler cet accès
        </Button>
      ) : null}
      {reporting ? (
        <form onSubmit={(e) => void report.run(e)}>
          <Input
            label="Qu’est-ce qui vous paraît anormal ? (facultatif)"
            hintText="Par exemple : je ne connais pas cette organisation, je n’avais aucun rendez-vous à cette date."
            textArea
            nativeTextAreaProps={{ name: 'comment', maxLength: 2000, value: comment, onChange: (e) => setComment(e.target.value) }}
          />
          <ul className="fr-btns-group fr-btns-group--inline-sm">
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
