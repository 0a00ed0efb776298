import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { api } from '../app/api.ts';
import type { AccessEvent } from '../app/events.ts';
import { classLabel, formatDateTime } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, useLoad } from '../app/ui.tsx';
import { DataTable } from '../app/DataTable.tsx';

interface ReportedEvent extends AccessEvent {
  restricted: { actor: string | null; address: string | null; session?: string };
}

interface AccessReport {
  id: string;
  at: string;
  status: string;
  eventId: string;
  comment: string | null;
  event: ReportedEvent | null;
  organisationName: string | null;
}

/**
 * Signalements : the accesses job seekers did not recognise (« Signaler cet accès » in their
 * space), each with the whole reported event — who, from where, under which purpose — for the
 * DPO and the security officer to investigate. The person is not named on this page.
 */
export function Reports() {
  const reports = useLoad(() => api<{ items: AccessReport[] }>('/api/security/access-reports'));
  const items = reports.data?.items ?? [];
  return (
    <>
      <PageTitle title="Accès signalés">Accès signalés par les demandeurs d’emploi</PageTitle>
      <p>
        Chaque signalement vise une entrée du journal qu’une personne ne reconnaît pas. L’événement complet (compte,
        adresse, session) est affiché pour l’enquête.
      </p>
      <ErrorNotice error={reports.error} title="Signalements indisponibles" />
      {!reports.data && reports.loading ? <Loading /> : null}
      {reports.data && items.length === 0 ? <p>Aucun accès signalé.</p> : null}
      {items.length > 0 ? (
        <DataTable
          caption={`Signalements (${items.length}), du plus récent au plus ancien`}
          columns={[
            'Signalé le',
            'État',
            'Accès du',
            'Organisation',
            'Finalité et référence',
            'Données',
            'Agent, adresse, session',
            'Commentaire de la personne',
          ]}
        >
          {items.map((r) => (
            <tr key={r.id}>
              <td>{formatDateTime(r.at)}</td>
              <td>
                <Badge severity={r.status === 'open' ? 'new' : 'info'} small>
                  {r.status === 'open' ? 'À examiner' : r.status}
                </Badge>
              </td>
              <td>{formatDateTime(r.event?.at)}</td>
              <td>{r.organisationName ?? r.event?.organisation ?? '—'}</td>
              <td>
                {r.event?.purpose ?? '—'}
                {r.event?.caseReference ? ` — ${r.event.caseReference}` : ''}
              </td>
              <td>{r.event?.classes.map(classLabel).join(', ') || '—'}</td>
              <td>
                {[r.event?.restricted.actor, r.event?.restricted.address, r.event?.restricted.session]
                  .filter(Boolean)
                  .join(' · ') || '—'}
              </td>
              <td>{r.comment ?? '—'}</td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </>
  );
}
