import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../app/api.ts';
import { DataTable } from '../app/DataTable.tsx';
import { formatDate } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';
import { openFile, purposeLabel, useConsole, type Declaration } from './context.tsx';
import { DeclarationFields, initialDeclaration } from './DeclarationFields.tsx';

/** GET /api/staff/rectification-notices: one per rectified class of a file the organisation read. */
interface Notice {
  id: string;
  personId: string;
  class: string;
  classLabel: string;
  rectifiedAt: string;
  lastReadAt: string;
  acknowledgedAt: string | null;
}

/**
 * « Rectifications à répercuter » (RGPD art. 19): data of a file the organisation read were
 * rectified since, at the person's request. Open the file (under a declared purpose, recorded as
 * any reading) to see the right value, correct the organisation's own copies, then say so.
 */
export function Rectifications() {
  const { profile, declaration, setDeclaration } = useConsole();
  const navigate = useNavigate();
  const notices = useLoad(() => api<{ notices: Notice[] }>('/api/staff/rectification-notices'));
  const [done, setDone] = useState<string | null>(null);
  const acknowledge = useAction(async (notice: Notice) => {
    await api(`/api/staff/rectification-notices/${notice.id}/acknowledge`, { method: 'POST' });
    setDone(`Rectification « ${notice.classLabel} » du ${formatDate(notice.rectifiedAt)} prise en compte.`);
    notices.reload();
  });
  const [draft, setDraft] = useState<Declaration>(() => initialDeclaration(profile.purposes, declaration));
  const declared = declaration && profile.purposes.some((p) => p.purpose === declaration.purpose) ? declaration : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDeclaration(draft);
  };
  const list = notices.data?.notices ?? [];
  const pending = list.filter((n) => !n.acknowledgedAt).length;

  return (
    <>
      <PageTitle title="Rectifications à répercuter">Rectifications à répercuter</PageTitle>
      <p>
        Des données de dossiers que votre organisation a consultés ont été rectifiées depuis, à la demande des personnes
        (RGPD, article 19). Si vous en gardez une copie (courrier, tableur, logiciel métier), corrigez-la, puis
        indiquez-le ici : le délégué à la protection des données le voit.
      </p>
      <SuccessNotice message={done} />
      {acknowledge.error ? <ErrorNotice error={acknowledge.error} /> : null}
      {notices.error ? <ErrorNotice error={notices.error} title="Liste indisponible" /> : null}
      {notices.loading && !notices.data ? <Loading what="Chargement des rectifications" /> : null}
      {notices.data && list.length === 0 ? (
        <Alert
          severity="info"
          small
          description="Aucune rectification ne concerne les dossiers que vous avez consultés."
        />
      ) : null}
      {list.length > 0 ? (
        <>
          {declared ? (
            <p>
              Pour ouvrir un dossier : finalité <strong>{purposeLabel(profile, declared.purpose)}</strong>, référence{' '}
              <strong>{declared.caseReference}</strong>.{' '}
              <Button priority="tertiary" size="small" onClick={() => setDeclaration(null)}>
                Changer
              </Button>
            </p>
          ) : (
            <form onSubmit={submit} className="fr-mb-3w">
              <p>Pour ouvrir un dossier et y lire la valeur rectifiée, déclarez d’abord pourquoi vous le consultez.</p>
              <DeclarationFields purposes={profile.purposes} value={draft} onChange={setDraft} />
              <Button type="submit" priority="secondary">
                Déclarer
              </Button>
            </form>
          )}
          <DataTable
            caption={`${pending} rectification${pending > 1 ? 's' : ''} à prendre en compte sur ${list.length}`}
            columns={['Donnée rectifiée', 'Rectifiée le', 'Votre dernière consultation', 'État', 'Actions']}
          >
            {list.map((notice) => (
              <tr key={notice.id}>
                <td>{notice.classLabel}</td>
                <td>{formatDate(notice.rectifiedAt)}</td>
                <td>{formatDate(notice.lastReadAt)}</td>
                <td>
                  {notice.acknowledgedAt ? (
                    <Badge severity="success" small>
                      {`Prise en compte le ${formatDate(notice.acknowledgedAt)}`}
                    </Badge>
                  ) : (
                    <Badge severity="warning" small>
                      À prendre en compte
                    </Badge>
                  )}
                </td>
                <td>
                  <Button
                    size="small"
                    priority="secondary"
                    disabled={!declared}
                    onClick={() => declared && openFile(navigate, notice.personId, declared)}
                  >
                    Ouvrir le dossier
                    <span className="fr-sr-only">{` (${notice.classLabel}, rectifiée le ${formatDate(notice.rectifiedAt)})`}</span>
                  </Button>{' '}
                  {notice.acknowledgedAt ? null : (
                    <Button size="small" disabled={acknowledge.busy} onClick={() => void acknowledge.run(notice)}>
                      Mes copies sont corrigées
                      <span className="fr-sr-only">{` (${notice.classLabel}, rectifiée le ${formatDate(notice.rectifiedAt)})`}</span>
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        </>
      ) : null}
    </>
  );
}
