import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState } from 'react';
import { api, download } from '../app/api.ts';
import { DataTable } from '../app/DataTable.tsx';
import { formatDate, formatDateTime } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';

interface Letter {
  id: string;
  kindLabel: string;
  status: 'queued' | 'posted' | 'returned';
  statusLabel: string;
  queuedAt: string;
  printedAt: string | null;
  postedAt: string | null;
  returnedAt: string | null;
  returnReasonLabel: string | null;
  reachedChannels: number | null;
  needsAgent: boolean;
  reached: { how: string; howLabel: string; on: string } | null;
}

interface LetterPage {
  total: number;
  letters: Letter[];
}

const FILTERS: Array<[string, string]> = [
  ['queued', 'En attente d’impression'],
  ['posted', 'Postés'],
  ['returned', 'Revenus'],
];

const REASONS: Array<[string, string]> = [
  ['adresse_inconnue', 'Adresse inconnue'],
  ['destinataire_inconnu', 'Destinataire inconnu à l’adresse'],
  ['refuse', 'Refusé'],
  ['non_reclame', 'Non réclamé'],
  ['autre', 'Autre motif'],
];

/** How an agent reached a person whose letter came back (src/privacy/paper/service.ts REACHED_MEANS). */
const MEANS: Array<[string, string]> = [
  ['telephone', 'Par téléphone'],
  ['agence', 'À l’agence'],
  ['courriel', 'Par courriel, à une adresse donnée par la personne'],
  ['visite', 'Par une visite à domicile'],
  ['autre', 'Autrement'],
];

/**
 * « Courrier » (issue 25 §5): the mail room of the paper channel, for the security officer. The
 * letters by state, each one's PDF (the address read from the file, recorded in the person's
 * journal), « posté » and « revenu » with La Poste's reason; a letter back says whether the person
 * was reached by e-mail or SMS, or must be reached by an agent. No address or text here.
 */
export function Letters() {
  const [status, setStatus] = useState('queued');
  const letters = useLoad(() => api<LetterPage>(`/api/security/letters?status=${status}&pageSize=50`), [status]);
  const [message, setMessage] = useState<string | null>(null);
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [means, setMeans] = useState<Record<string, string>>({});
  const act = useAction(async (letter: Letter, action: 'pdf' | 'posted' | 'returned' | 'reached') => {
    setMessage(null);
    if (action === 'pdf') {
      await download(`/api/security/letters/${letter.id}/pdf`, `courrier-${letter.id}.pdf`);
      return;
    }
    const body =
      action === 'returned'
        ? { reason: reasons[letter.id] ?? 'adresse_inconnue' }
        : action === 'reached'
          ? { how: means[letter.id] ?? 'telephone' }
          : {};
    const done = await api<Letter>(`/api/security/letters/${letter.id}/${action}`, { method: 'POST', body });
    setMessage(
      action === 'posted'
        ? 'Courrier marqué « posté ».'
        : action === 'reached'
          ? `Personne jointe (${done.reached?.howLabel.toLowerCase() ?? ''}) : le courrier n’attend plus d’agent.`
          : done.needsAgent
            ? 'Courrier marqué « revenu ». La personne n’a pas d’autre moyen de contact vérifié : un agent doit la joindre.'
            : `Courrier marqué « revenu ». L’avis a été envoyé à ${done.reachedChannels ?? 0} moyen(s) de contact vérifié(s).`,
    );
    letters.reload();
  });
  const items = letters.data?.letters ?? [];
  return (
    <>
      <PageTitle title="Courrier">Courrier papier</PageTitle>
      <p>
        Les avis des personnes qui ont choisi le courrier papier. Le PDF lit l’adresse dans le dossier : cette lecture
        est inscrite au journal de la personne. Un courrier revenu est renvoyé par courriel ou SMS vérifiés ; sans eux,
        un agent doit joindre la personne.
      </p>
      <Select
        label="Courriers affichés"
        nativeSelectProps={{ value: status, onChange: (e) => setStatus(e.target.value) }}
      >
        {FILTERS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </Select>
      <ErrorNotice error={letters.error ?? act.error} />
      <SuccessNotice message={message} />
      {!letters.data && letters.loading ? <Loading /> : null}
      {letters.data && items.length === 0 ? <p>Aucun courrier.</p> : null}
      {items.length > 0 ? (
        <DataTable
          caption={`Courriers (${letters.data?.total ?? items.length}), du plus récent au plus ancien`}
          columns={['Avis', 'Préparé le', 'État', 'Actions']}
        >
          {items.map((letter) => (
            <tr key={letter.id}>
              <td>
                {letter.kindLabel}
                <br />
                <span className="fr-text--xs">n° {letter.id.slice(0, 8).toUpperCase()}</span>
              </td>
              <td>{formatDateTime(letter.queuedAt)}</td>
              <td>
                <Badge
                  severity={letter.status === 'returned' ? 'warning' : letter.status === 'posted' ? 'success' : 'new'}
                  small
                >
                  {letter.statusLabel}
                </Badge>
                {letter.postedAt ? <div>Posté le {formatDate(letter.postedAt)}</div> : null}
                {letter.returnReasonLabel ? <div>Motif : {letter.returnReasonLabel}</div> : null}
                {letter.status === 'returned' ? (
                  <div>
                    {letter.needsAgent
                      ? 'À joindre par un agent'
                      : letter.reached
                        ? `Jointe par un agent le ${formatDate(letter.reached.on)} (${letter.reached.howLabel.toLowerCase()})`
                        : `Avis renvoyé (${letter.reachedChannels ?? 0})`}
                  </div>
                ) : null}
              </td>
              <td>
                {letter.status !== 'returned' ? (
                  <ul className="fr-btns-group fr-btns-group--sm">
                    <li>
                      <Button
                        type="button"
                        size="small"
                        priority="secondary"
                        disabled={act.busy}
                        onClick={() => void act.run(letter, 'pdf')}
                      >
                        Télécharger le PDF
                      </Button>
                    </li>
                    {letter.status === 'queued' ? (
                      <li>
                        <Button
                          type="button"
                          size="small"
                          disabled={act.busy}
                          onClick={() => void act.run(letter, 'posted')}
                        >
                          Marquer posté
                        </Button>
                      </li>
                    ) : null}
                    <li>
                      <PickAndMark
                        label="Motif du retour"
                        options={REASONS}
                        value={reasons[letter.id] ?? 'adresse_inconnue'}
                        onChange={(value) => setReasons((r) => ({ ...r, [letter.id]: value }))}
                        priority="tertiary"
                        busy={act.busy}
                        onMark={() => void act.run(letter, 'returned')}
                      >
                        Marquer revenu
                      </PickAndMark>
                    </li>
                  </ul>
                ) : letter.needsAgent ? (
                  <div>
                    <PickAndMark
                      label="Comment la personne a été jointe"
                      options={MEANS}
                      value={means[letter.id] ?? 'telephone'}
                      onChange={(value) => setMeans((m) => ({ ...m, [letter.id]: value }))}
                      busy={act.busy}
                      onMark={() => void act.run(letter, 'reached')}
                    >
                      Marquer jointe aujourd’hui
                    </PickAndMark>
                  </div>
                ) : (
                  '—'
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </>
  );
}

/** A choice (a return's reason, how a person was reached) and the button that records it. */
function PickAndMark(props: {
  label: string;
  options: Array<[string, string]>;
  value: string;
  onChange: (value: string) => void;
  priority?: 'primary' | 'tertiary';
  busy: boolean;
  onMark: () => void;
  children: string;
}) {
  return (
    <>
      <Select
        label={props.label}
        nativeSelectProps={{ value: props.value, onChange: (e) => props.onChange(e.target.value) }}
      >
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </Select>
      <Button
        type="button"
        size="small"
        priority={props.priority ?? 'primary'}
        disabled={props.busy}
        onClick={props.onMark}
      >
        {props.children}
      </Button>
    </>
  );
}
