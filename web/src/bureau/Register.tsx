import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import { api } from '../app/api.ts';
import { useSignedIn } from '../app/session.tsx';
import { formatDateTime } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, useLoad } from '../app/ui.tsx';
import { DataTable } from '../app/DataTable.tsx';
import { DpiaMeasures } from './Assurance.tsx';
import './bureau.css';

interface Entry {
  id: string;
  name: string;
  agreements: Array<{ organisation: string; reference: string; version: number }>;
  jointControllers: Array<{ organisation: string; reference: string; version: number }>;
  processors: Array<{ organisation: string; contract: string }>;
  legalBases: string[];
  personCategories: string[];
  dataCategories: Array<{ class: string; label: string; read: boolean; write: boolean; special: string | null }>;
  transfers: { outsideEu: boolean; statement: string };
  retention: Array<{ organisation: string; text: string }>;
  dpia: { version: number; complete: boolean; pending: string[] } | null;
}
interface Register {
  version: number;
  hash: string;
  cause: string;
  createdAt: string;
  controller: { name: string; address: string; dpo: string[] };
  processings: Entry[];
  processorRecords: Array<{ processor: { name: string }; processings: Array<{ id: string; name: string }> }>;
}
interface Dpias {
  dpias: Array<{
    processing: string;
    version: number;
    complete: boolean;
    pending: string[];
    updatedAt: string;
    dpoOpinion: { opinion: string; date: string } | null;
  }>;
}
const OPINION_LABELS: Record<string, string> = {
  favourable: 'favorable',
  favourable_with_reservations: 'favorable avec réserves',
  unfavourable: 'défavorable',
};
interface Versions {
  versions: Array<{ version: number; hash: string; cause: string; createdAt: string; processings: number }>;
}

/** The flags of a data category: Art. 9 and 10, and the NIR, an identifier French law regulates (src/privacy/register.ts: NIR_REFERENCE). */
const SPECIAL_LABELS: Record<string, string> = {
  art9: 'RGPD art. 9',
  art10: 'RGPD art. 10',
  nir: 'NIR : loi 78-17 art. 30, décret 2019-341',
};

function DpiaBadge({ dpia }: { dpia: Entry['dpia'] }) {
  if (!dpia)
    return (
      <Badge severity="error" small>
        AIPD absente
      </Badge>
    );
  return dpia.complete ? (
    <Badge severity="success" small>
      {`AIPD v${dpia.version} : mesures prouvées`}
    </Badge>
  ) : (
    <Badge severity="warning" small>
      {`AIPD v${dpia.version} : ${dpia.pending.length} mesure(s) en attente`}
    </Badge>
  );
}

/**
 * Registre des activités de traitement (RGPD art. 30), généré des conventions en vigueur : un
 * traitement par finalité, ses responsables conjoints et sous-traitants, ses données (les
 * catégories particulières signalées), ses durées de conservation et l'état de son AIPD. Le
 * fichier CSV suit les colonnes du modèle de registre de la CNIL.
 */
export function RegisterPage() {
  const register = useLoad(() => api<Register>('/api/security/register'));
  const versions = useLoad(() => api<Versions>('/api/security/register/versions'));
  const dpias = useLoad(() => api<Dpias>('/api/security/dpia'));
  const [measuresOf, setMeasuresOf] = useState<string | null>(null);
  const isDpo = useSignedIn().staff?.roles.includes('dpo') ?? false;
  const data = register.data;
  return (
    <>
      <PageTitle title="Registre des traitements">Registre des activités de traitement (RGPD art. 30)</PageTitle>
      <ErrorNotice error={register.error} title="Registre indisponible" />
      {!data && register.loading ? <Loading /> : null}
      {data ? (
        <>
          <p>
            {`Version ${data.version} du ${formatDateTime(data.createdAt)} — responsable du traitement : ${data.controller.name}, ${data.controller.address} ; délégué à la protection des données : ${data.controller.dpo.join(', ') || '—'}.`}
          </p>
          <p>
            <a
              className="fr-link fr-icon-download-line fr-link--icon-left"
              href="/api/security/register?format=csv"
              download
            >
              Télécharger le registre (CSV, colonnes du modèle de la CNIL)
            </a>
          </p>
          <DataTable
            className="fr-table rempart-scroll"
            caption={`Traitements (${data.processings.length})`}
            columns={[
              'Traitement',
              'Conventions',
              'Responsables conjoints et sous-traitants',
              'Personnes concernées',
              'Données',
              'Conservation',
              'Transferts hors UE',
              'AIPD',
            ]}
          >
            {data.processings.map((p) => (
              <tr key={p.id}>
                <td>
                  <strong>{p.name}</strong>
                  <br />
                  <code>{p.id}</code>
                </td>
                <td>{p.agreements.map((a) => `${a.reference} v${a.version}`).join(', ')}</td>
                <td>
                  {[
                    ...p.jointControllers.map((j) => `${j.organisation} (responsable conjoint)`),
                    ...p.processors.map((s) => `${s.organisation} (sous-traitant)`),
                  ].join(' ; ') || 'France Travail seul'}
                </td>
                <td>{p.personCategories.join(' ; ')}</td>
                <td>
                  {p.dataCategories.map((d) => (
                    <span key={d.class}>
                      {d.label}
                      {d.special ? (
                        <>
                          {' '}
                          <Badge severity="warning" small>
                            {SPECIAL_LABELS[d.special] ?? d.special}
                          </Badge>
                        </>
                      ) : null}
                      <br />
                    </span>
                  ))}
                </td>
                <td>{p.retention.map((r) => `${r.organisation} : ${r.text}`).join(' ; ')}</td>
                <td>{p.transfers.outsideEu ? 'Oui' : 'Aucun'}</td>
                <td>
                  <DpiaBadge dpia={p.dpia} />
                </td>
              </tr>
            ))}
          </DataTable>
          {data.processorRecords.length > 0 ? (
            <>
              <h2 className="fr-h4">Registres des sous-traitants (RGPD art. 30.2)</h2>
              <ul>
                {data.processorRecords.map((r) => (
                  <li key={r.processor.name}>
                    {`${r.processor.name} — pour le compte de France Travail : ${r.processings.map((p) => p.name).join(', ')}`}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </>
      ) : null}
      {dpias.data && dpias.data.dpias.length > 0 ? (
        <DataTable
          className="fr-table rempart-scroll fr-mt-3w"
          caption="Analyses d’impact (AIPD) : une convention n’entre en vigueur que si toutes les mesures de ses traitements sont mises en œuvre et prouvées"
          columns={['Traitement', 'Version', 'Mise à jour', 'Mesures en attente', 'Avis du DPO', 'Mesures']}
        >
          {dpias.data.dpias.map((d) => (
            <tr key={d.processing}>
              <td>
                <code>{d.processing}</code>
              </td>
              <td>{d.version}</td>
              <td>{formatDateTime(d.updatedAt)}</td>
              <td>{d.complete ? 'aucune' : d.pending.join(', ')}</td>
              <td>
                {d.dpoOpinion
                  ? `${OPINION_LABELS[d.dpoOpinion.opinion] ?? d.dpoOpinion.opinion} (${d.dpoOpinion.date})`
                  : '—'}
              </td>
              <td>
                <Button
                  size="small"
                  priority="tertiary"
                  onClick={() => setMeasuresOf(measuresOf === d.processing ? null : d.processing)}
                  nativeButtonProps={{ 'aria-expanded': measuresOf === d.processing }}
                >
                  {measuresOf === d.processing ? 'Masquer' : 'Voir les mesures'}
                  <span className="fr-sr-only">{` de ${d.processing}`}</span>
                </Button>
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      {measuresOf ? (
        <DpiaMeasures
          processing={measuresOf}
          canEdit={isDpo}
          onSaved={() => {
            dpias.reload();
            register.reload();
          }}
        />
      ) : null}
      {versions.data && versions.data.versions.length > 0 ? (
        <DataTable
          className="fr-table rempart-scroll fr-mt-3w"
          caption="Versions du registre, de la plus récente à la plus ancienne"
          columns={['Version', 'Générée le', 'Cause', 'Traitements', 'Empreinte (SHA-256)']}
        >
          {versions.data.versions.map((v) => (
            <tr key={v.version}>
              <td>{v.version}</td>
              <td>{formatDateTime(v.createdAt)}</td>
              <td>{v.cause === 'drift' ? 'changement constaté à la lecture' : v.cause}</td>
              <td>{v.processings}</td>
              <td>
                <code>{v.hash.slice(0, 16)}…</code>
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </>
  );
}
