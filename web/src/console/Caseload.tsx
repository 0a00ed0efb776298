import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Pagination } from '@codegouvfr/react-dsfr/Pagination';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../app/api.ts';
import { ErrorNotice, Loading, PageTitle, useLoad } from '../app/ui.tsx';
import { declarationHeaders, openFile, purposeLabel, useConsole, type Declaration } from './context.tsx';
import { DeclarationFields, initialDeclaration } from './DeclarationFields.tsx';
import { PurposesSummary } from './PurposesSummary.tsx';

const PAGE_SIZE = 20;

interface CaseloadPage {
  page: number;
  pageSize: number;
  total: number;
  items: Array<{ id: string }>;
}

/** « Mon portefeuille »: declare why, then the list of one's own active files, page by page. */
export function Caseload() {
  const { profile, declaration, setDeclaration } = useConsole();
  const purposes = profile.purposes.filter((p) => p.relationship === 'caseload');
  const [draft, setDraft] = useState<Declaration>(() => initialDeclaration(purposes, declaration));
  const declared = declaration && purposes.some((p) => p.purpose === declaration.purpose) ? declaration : null;

  if (!profile.hasCaseload) {
    return (
      <>
        <PageTitle title="Mon portefeuille">Mon portefeuille</PageTitle>
        <Alert
          severity="info"
          small={false}
          title="Vous n’avez pas de portefeuille de dossiers"
          description={`Les agents de ${profile.organisation.name} n’ont pas de portefeuille : vous accédez aux seuls dossiers que la convention de votre organisation vous ouvre, en les retrouvant par un identifiant exact.`}
          className="fr-mb-3w"
        />
        <p>
          <Link className="fr-link fr-icon-search-line fr-link--icon-left" to="/console/recherche">
            Rechercher un dossier
          </Link>
        </p>
        <PurposesSummary />
      </>
    );
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDeclaration(draft);
  };

  return (
    <>
      <PageTitle title="Mon portefeuille">Mon portefeuille</PageTitle>
      {declared ? (
        <>
          <p>
            Finalité : <strong>{purposeLabel(profile, declared.purpose)}</strong> — référence du dossier :{' '}
            <strong>{declared.caseReference}</strong>
          </p>
          <Button priority="secondary" size="small" className="fr-mb-3w" onClick={() => setDeclaration(null)}>
            Changer de finalité ou de référence
          </Button>
          <CaseloadList declaration={declared} />
        </>
      ) : (
        <form onSubmit={submit} className="fr-mb-4w">
          <p>
            Déclarez d’abord pourquoi vous consultez votre portefeuille : la finalité et la référence sont inscrites au
            journal à chaque accès.
          </p>
          <DeclarationFields purposes={purposes} value={draft} onChange={setDraft} />
          <Button type="submit">Afficher mon portefeuille</Button>
        </form>
      )}
    </>
  );
}

function CaseloadList({ declaration }: { declaration: Declaration }) {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const list = useLoad(
    () =>
      api<CaseloadPage>(`/api/staff/caseload?page=${page}&pageSize=${PAGE_SIZE}`, {
        headers: declarationHeaders(declaration),
      }),
    [page, declaration.purpose, declaration.caseReference],
  );
  if (list.error) return <ErrorNotice error={list.error} title="Accès refusé" />;
  if (list.loading || !list.data) return <Loading what="Chargement du portefeuille" />;
  const { items, total } = list.data;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  if (total === 0) return <p>Aucun dossier actif dans votre portefeuille.</p>;
  return (
    <>
      <h2 className="fr-h4">
        {total} dossier{total > 1 ? 's' : ''} actif{total > 1 ? 's' : ''}
        {pages > 1 ? ` — page ${page} sur ${pages}` : ''}
      </h2>
      <p className="fr-text--sm">
        Chaque dossier est désigné par sa référence interne : son contenu ne s’affiche qu’à l’ouverture, qui est
        inscrite au journal.
      </p>
      <ul className="fr-raw-list">
        {items.map((item, i) => {
          const n = (page - 1) * PAGE_SIZE + i + 1;
          return (
            <li key={item.id} className="fr-py-1w fr-grid-row fr-grid-row--middle">
              <span className="fr-col-12 fr-col-sm-8">
                Dossier {n} — réf. <code>{item.id.slice(0, 8)}</code>
              </span>
              <span className="fr-col-12 fr-col-sm-4">
                <Button size="small" priority="secondary" onClick={() => openFile(navigate, item.id, declaration)}>
                  Ouvrir le dossier<span className="fr-sr-only"> {n}</span>
                </Button>
              </span>
            </li>
          );
        })}
      </ul>
      {pages > 1 ? (
        <Pagination
          className="fr-mt-3w"
          count={pages}
          defaultPage={page}
          showFirstLast
          getPageLinkProps={(n) => ({ to: `/console?page=${n}` })}
        />
      ) : null}
    </>
  );
}
