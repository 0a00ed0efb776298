import { roleLabel } from '../../../src/domain/organisations.ts';
import { api } from '../app/api.ts';
import { formatDateTime } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, useLoad } from '../app/ui.tsx';
import { DataTable } from '../app/DataTable.tsx';
import { ADMIN_REQUEST_LABELS } from './labels.ts';

interface AdminRequest {
  id: string;
  organisationName: string;
  kind: string;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  summary: { login?: string; displayName?: string; roles?: string[]; name?: string; resetFactors?: boolean };
}

function describe(r: AdminRequest): string {
  const s = r.summary;
  const parts = [
    s.displayName ?? s.name ?? s.login,
    s.login && s.displayName ? `(${s.login})` : null,
    s.roles?.length ? `${s.roles.length === 1 ? 'rôle' : 'rôles'} : ${s.roles.map(roleLabel).join(', ')}` : null,
    s.resetFactors ? 'seconds facteurs réinitialisés' : null,
  ];
  return parts.filter(Boolean).join(' ') || '—';
}

/**
 * Administration des comptes : every request that gives access waits for a second administrator
 * of its organisation. The desk watches them (read-only): approving stays with the organisation.
 */
export function Administration() {
  const requests = useLoad(() => api<{ requests: AdminRequest[] }>('/api/security/dashboard/admin-requests'));
  return (
    <>
      <PageTitle title="Administration des comptes">Administration des comptes</PageTitle>
      <p>
        Demandes en attente d’une seconde approbation, dans toutes les organisations. Elles sont approuvées ou refusées
        par un second administrateur de l’organisation concernée ; le bureau sécurité les surveille sans pouvoir les
        valider.
      </p>
      <ErrorNotice error={requests.error} title="Demandes indisponibles" />
      {!requests.data && requests.loading ? <Loading /> : null}
      {requests.data && requests.data.requests.length === 0 ? <p>Aucune demande en attente.</p> : null}
      {requests.data && requests.data.requests.length > 0 ? (
        <DataTable
          caption={`Demandes en attente (${requests.data.requests.length})`}
          columns={['Organisation', 'Demande', 'Objet', 'Demandée par', 'Le', 'Expire le']}
        >
          {requests.data.requests.map((r) => (
            <tr key={r.id}>
              <td>{r.organisationName}</td>
              <td>{ADMIN_REQUEST_LABELS[r.kind] ?? r.kind}</td>
              <td>{describe(r)}</td>
              <td>{r.requestedBy}</td>
              <td>{formatDateTime(r.requestedAt)}</td>
              <td>{formatDateTime(r.expiresAt)}</td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </>
  );
}
