import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Pagination } from '@codegouvfr/react-dsfr/Pagination';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../app/api.ts';
import { formatDate, formatDateTime, ofName, ofOrganisation } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, useLoad } from '../app/ui.tsx';
import { DataTable } from '../app/DataTable.tsx';
import { declarationHeaders, openFile, purposeLabel, useConsole, type Declaration } from './context.tsx';
import { DeclarationFields, initialDeclaration } from './DeclarationFields.tsx';
import { PurposesSummary } from './PurposesSummary.tsx';

const PAGE_SIZE = 20;

type Appointment = { at: string; kind: string } | null;

interface ListPage {
  page: number;
  pageSize: number;
  total: number;
  items: Array<{
    id: string;
    identity: { lastName: string; usageName?: string; firstName: string; birthDate: string };
    since: string;
    nextAppointment: Appointment;
    lastAppointment: Appointment;
  }>;
}

const SORTS = [
  { value: 'appointment', label: 'Prochain rendez-vous' },
  { value: 'name', label: 'Nom' },
  { value: 'since', label: 'Arrivée la plus récente' },
] as const;

const APPOINTMENT_KINDS: Record<string, string> = {
  entretien: 'entretien',
  atelier: 'atelier',
  telephone: 'téléphone',
  visio: 'visio',
};

/** Which list a page shows: a counsellor's own caseload, or the persons referred to a partner. */
interface ListKind {
  relationship: 'caseload' | 'referral';
  endpoint: string;
  title: string;
  declareButton: string;
  empty: string;
  /** After « N personne(s) »: where they are. */
  counted(total: number): string;
}

const CASELOAD: ListKind = {
  relationship: 'caseload',
  endpoint: '/api/staff/caseload',
  title: 'Mon portefeuille',
  declareButton: 'Afficher mon portefeuille',
  empty: 'Aucune personne active dans votre portefeuille.',
  counted: () => 'dans votre portefeuille',
};

const REFERRALS: ListKind = {
  relationship: 'referral',
  endpoint: '/api/staff/referrals',
  title: 'Personnes orientées',
  declareButton: 'Afficher les personnes orientées',
  empty: 'Aucune personne n’est orientée vers votre organisation en ce moment.',
  counted: (total) => (total > 1 ? 'orientées vers votre organisation' : 'orientée vers votre organisation'),
};

/**
 * The console's home: « Mon portefeuille » for a counsellor, the persons referred to the
 * organisation for a partner's staff; declare why, then the list, page by page.
 */
export function Caseload() {
  const { profile, declaration, setDeclaration } = useConsole();
  const kind = profile.hasCaseload
    ? CASELOAD
    : profile.purposes.some((p) => p.relationship === 'referral')
      ? REFERRALS
      : null;
  const purposes = profile.purposes.filter((p) => p.relationship === kind?.relationship);
  const [draft, setDraft] = useState<Declaration>(() => initialDeclaration(purposes, declaration));
  const declared = declaration && purposes.some((p) => p.purpose === declaration.purpose) ? declaration : null;

  if (!kind) {
    return (
      <>
        <PageTitle title="Mon portefeuille">Mon portefeuille</PageTitle>
        <Alert
          severity="info"
          small={false}
          title="Vous n’avez pas de portefeuille de dossiers"
          description={`Les agents ${ofOrganisation(profile.organisation.name)} n’ont pas de portefeuille : vous accédez aux seuls dossiers que la convention de votre organisation vous ouvre, en les retrouvant par un identifiant exact.`}
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
      <PageTitle title={kind.title}>{kind.title}</PageTitle>
      {declared ? (
        <>
          <p>
            Finalité : <strong>{purposeLabel(profile, declared.purpose)}</strong> — référence du dossier :{' '}
            <strong>{declared.caseReference}</strong>
          </p>
          <Button priority="secondary" size="small" className="fr-mb-3w" onClick={() => setDeclaration(null)}>
            Changer de finalité ou de référence
          </Button>
          <PersonList kind={kind} declaration={declared} />
        </>
      ) : (
        <form onSubmit={submit} className="fr-mb-4w">
          <p>
            Déclarez d’abord pourquoi vous consultez cette liste : la finalité et la référence sont inscrites au journal
            à chaque accès, et chaque personne affichée voit dans le sien que son nom figurait dans votre liste.
          </p>
          <DeclarationFields purposes={purposes} value={draft} onChange={setDraft} />
          <Button type="submit">{kind.declareButton}</Button>
        </form>
      )}
    </>
  );
}

function appointmentText(appointment: Appointment): string {
  if (!appointment) return '—';
  return `${formatDateTime(appointment.at)} (${APPOINTMENT_KINDS[appointment.kind] ?? appointment.kind})`;
}

function PersonList({ kind, declaration }: { kind: ListKind; declaration: Declaration }) {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const sort = SORTS.find((s) => s.value === params.get('tri'))?.value ?? 'appointment';
  // The name filter stays in the page's memory: a name never goes into the address (history, logs).
  const [filterDraft, setFilterDraft] = useState('');
  const [filter, setFilter] = useState('');
  const list = useLoad(() => {
    const query = new URLSearchParams({ page: String(page), pageSize: String(PAGE_SIZE), sort });
    if (filter) query.set('q', filter);
    return api<ListPage>(`${kind.endpoint}?${query.toString()}`, { headers: declarationHeaders(declaration) });
  }, [page, sort, filter, declaration.purpose, declaration.caseReference]);
  const go = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) next.delete(key);
      else next.set(key, value);
    }
    setParams(next);
  };
  const applyFilter = (event: FormEvent) => {
    event.preventDefault();
    setFilter(filterDraft.trim());
    go({ page: null });
  };

  const controls = (
    <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom fr-mb-2w">
      <div className="fr-col-12 fr-col-md-4">
        <div className="fr-select-group">
          <label className="fr-label" htmlFor="list-sort">
            Trier par
          </label>
          <select
            className="fr-select"
            id="list-sort"
            value={sort}
            onChange={(e) => go({ tri: e.target.value === 'appointment' ? null : e.target.value, page: null })}
          >
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <form className="fr-col-12 fr-col-md-8" onSubmit={applyFilter} role="search">
        <div className="fr-input-group fr-mb-0">
          <label className="fr-label" htmlFor="list-filter">
            Filtrer par nom ou prénom
          </label>
          <div className="rempart-inline-form">
            <input
              className="fr-input"
              id="list-filter"
              value={filterDraft}
              maxLength={100}
              onChange={(e) => setFilterDraft(e.target.value)}
            />
            <Button type="submit" priority="secondary">
              Filtrer
            </Button>
            {filter ? (
              <Button
                type="button"
                priority="tertiary"
                onClick={() => {
                  setFilterDraft('');
                  setFilter('');
                  go({ page: null });
                }}
              >
                Tout afficher
              </Button>
            ) : null}
          </div>
        </div>
      </form>
    </div>
  );

  if (list.error) return <ErrorNotice error={list.error} title="Liste indisponible" />;
  if (list.loading || !list.data)
    return (
      <>
        {controls}
        <Loading what="Chargement de la liste" />
      </>
    );
  // The page the data is of, not the address's: between a click and its answer, the list still shows the page before.
  const { items, total, page: shownPage } = list.data;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <>
      {controls}
      {total === 0 ? (
        <p>{filter ? `Personne ne correspond à « ${filter} ».` : kind.empty}</p>
      ) : (
        <>
          <h2 className="fr-h4">
            {total} personne{total > 1 ? 's' : ''} {kind.counted(total)}
            {filter ? ` correspondant à « ${filter} »` : ''}
            {pages > 1 ? ` — page ${shownPage} sur ${pages}` : ''}
          </h2>
          <DataTable
            caption={kind.title}
            columns={['Nom', 'Prénom', 'Date de naissance', 'Prochain rendez-vous', 'Dernier rendez-vous', 'Dossier']}
          >
            {items.map((item) => {
              const { identity } = item;
              const name = identity.usageName ? `${identity.usageName} (${identity.lastName})` : identity.lastName;
              return (
                <tr key={item.id} data-testid="listed-person">
                  <td>{name}</td>
                  <td>{identity.firstName}</td>
                  <td>{formatDate(identity.birthDate)}</td>
                  <td>{appointmentText(item.nextAppointment)}</td>
                  <td>{appointmentText(item.lastAppointment)}</td>
                  <td>
                    <Button size="small" priority="secondary" onClick={() => openFile(navigate, item.id, declaration)}>
                      Ouvrir<span className="fr-sr-only"> le dossier {ofName(`${identity.firstName} ${name}`)}</span>
                    </Button>
                  </td>
                </tr>
              );
            })}
          </DataTable>
          <p className="fr-text--sm">
            La liste ne montre que le nom, le prénom, la date de naissance et les rendez-vous ; le reste du dossier ne
            s’affiche qu’à l’ouverture, inscrite au journal.
          </p>
        </>
      )}
      {pages > 1 ? (
        <Pagination
          className="fr-mt-3w"
          count={pages}
          defaultPage={page}
          showFirstLast
          getPageLinkProps={(n) => ({
            to: `/console?${new URLSearchParams({ ...(sort !== 'appointment' ? { tri: sort } : {}), page: String(n) }).toString()}`,
          })}
        />
      ) : null}
      <p className="fr-mt-3w">
        <Link className="fr-link fr-icon-search-line fr-link--icon-left" to="/console/recherche">
          Rechercher un dossier
        </Link>
      </p>
    </>
  );
}
