import { Button } from '@codegouvfr/react-dsfr/Button';
import { Select } from '@codegouvfr/react-dsfr/Select';
import type { ChartConfiguration } from 'chart.js';
import { useMemo, useState } from 'react';
import { api } from '../app/api.ts';
import { formatDateTime, formatFrenchDate, plural } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';
import { DataTable } from '../app/DataTable.tsx';
import { ChartFigure } from './Chart.tsx';
import { ALERT_KIND_LABELS, signalLabel } from './labels.ts';
import { useIsSecurityOfficer } from './roles.ts';

interface Verification {
  at: string;
  ok: boolean;
  checkpointSize: number | null;
  eventsChecked: number;
  findings: number;
  firstFinding: string | null;
}
interface Integrity {
  status: 'ok' | 'altered' | 'rollback';
  background: boolean;
  signing: 'allowed' | 'refused';
  verifiedSize: number;
  lastFull: { at: string; ok: boolean; eventsChecked: number; durationMs: number; firstFinding: string | null } | null;
  problems: Array<{ source: string; kind: string; index: number | null; message: string; since: string }>;
  witness: {
    file: string | null;
    size: number | null;
    at: string | null;
    external: { url: string; status: string; size: number | null; at: string | null; message: string | null } | null;
  };
}
interface LedgerStatus {
  checkpoint: { size: number; at: string; root: string } | null;
  treeSize: number;
  pending: number;
  lastVerification: Verification | null;
  /** The background verification and the witnesses (issue 20); absent from an older server. */
  integrity?: Integrity;
}

const INTEGRITY_LABELS: Record<Integrity['status'], string> = {
  ok: 'Conforme',
  altered: 'JOURNAL ALTÉRÉ — signature suspendue',
  rollback: 'RETOUR EN ARRIÈRE DU JOURNAL — signature suspendue',
};
interface Reads {
  hours: string[];
  organisations: Array<{
    id: string;
    name: string;
    reads: number[];
    total: number;
    budget: { actorHour: { soft: number; hard: number } | null; dailyCeiling: number | null };
  }>;
}
interface AlertSeries {
  days: string[];
  series: Array<{ kind: string; signal: string; counts: number[]; total: number }>;
}

const hourFormat = new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris' });
const dayFormat = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'short', timeZone: 'Europe/Paris' });
const hourLabel = (iso: string) => hourFormat.format(new Date(iso));
const dayLabel = (day: string) => formatFrenchDate(dayFormat, new Date(`${day}T12:00:00Z`));
const COLOURS = ['#000091', '#e1000f', '#18753c', '#b34000', '#6a6af4', '#a558a0', '#009099', '#716043'];

function LedgerPanel() {
  const officer = useIsSecurityOfficer();
  const status = useLoad(() => api<LedgerStatus>('/api/security/dashboard/ledger'));
  const [message, setMessage] = useState<string | null>(null);
  const verify = useAction(async () => {
    const result = await api<{ verification: Verification }>('/api/security/dashboard/ledger/verify', {
      method: 'POST',
    });
    setMessage(
      result.verification.ok
        ? `Journal vérifié : ${result.verification.eventsChecked} événements recalculés, conformes au point de contrôle signé.`
        : null,
    );
    status.reload();
  });
  const data = status.data;
  const last = data?.lastVerification;
  return (
    <section aria-labelledby="ledger-title" className="fr-mb-6w">
      <h2 id="ledger-title" className="fr-h4">
        État du journal des accès
      </h2>
      <ErrorNotice error={status.error} title="État du journal indisponible" />
      <ErrorNotice error={verify.error} title="Vérification impossible" />
      <SuccessNotice message={message} />
      {!data && status.loading ? <Loading /> : null}
      {data ? (
        <dl className="fr-mb-2w">
          <dt className="fr-text--bold">Dernier point de contrôle signé</dt>
          <dd>
            {data.checkpoint
              ? `${data.checkpoint.size} événements, signé le ${formatDateTime(data.checkpoint.at)}`
              : 'Aucun point de contrôle signé pour l’instant.'}
          </dd>
          {data.checkpoint ? (
            <>
              <dt className="fr-text--bold">Racine de l’arbre</dt>
              <dd>
                <code className="fr-text--xs">{data.checkpoint.root}</code>
              </dd>
            </>
          ) : null}
          <dt className="fr-text--bold">Événements en attente d’intégration</dt>
          <dd>{data.pending}</dd>
          {data.integrity ? (
            <>
              <dt className="fr-text--bold">Vérification continue</dt>
              <dd data-testid="ledger-integrity">
                {data.integrity.background
                  ? INTEGRITY_LABELS[data.integrity.status]
                  : `${INTEGRITY_LABELS[data.integrity.status]} (vérification de fond arrêtée sur ce serveur)`}
                {data.integrity.problems.length
                  ? ` — ${data.integrity.problems[0]!.message} (depuis le ${formatDateTime(data.integrity.problems[0]!.since)})`
                  : ''}
                {`. ${data.integrity.verifiedSize} événements vérifiés au fil de l’eau`}
                {data.integrity.lastFull
                  ? `, dernier passage complet le ${formatDateTime(data.integrity.lastFull.at)} (${data.integrity.lastFull.eventsChecked} événements${data.integrity.lastFull.ok ? ', conforme' : ', anomalie'})`
                  : ''}
                .
              </dd>
              <dt className="fr-text--bold">Témoins</dt>
              <dd>
                {data.integrity.witness.size !== null
                  ? `Fichier témoin : point de contrôle de ${data.integrity.witness.size} événements`
                  : 'Fichier témoin : vide pour l’instant'}
                {data.integrity.witness.external
                  ? ` ; témoin externe ${data.integrity.witness.external.url} : ${data.integrity.witness.external.status === 'cosigned' ? `cosigné à ${data.integrity.witness.external.size} événements` : (data.integrity.witness.external.message ?? data.integrity.witness.external.status)}`
                  : ' ; aucun témoin externe configuré'}
                .
              </dd>
            </>
          ) : null}
          <dt className="fr-text--bold">Dernière vérification</dt>
          <dd data-testid="last-verification">
            {last
              ? last.ok
                ? `Conforme — le ${formatDateTime(last.at)}, ${last.eventsChecked} événements recalculés${last.checkpointSize !== null ? `, contre le point de contrôle de ${last.checkpointSize} événements` : ''}.`
                : `Anomalie détectée le ${formatDateTime(last.at)} : ${plural(last.findings, 'constat', 'constats')}${last.firstFinding ? ` — ${last.firstFinding}` : ''}.`
              : 'Jamais vérifié depuis ce tableau de bord.'}
          </dd>
        </dl>
      ) : null}
      {(last && !last.ok) || (data?.integrity && data.integrity.status !== 'ok') ? (
        <p className="rempart-late">
          Le journal ne correspond plus à ses points de contrôle signés ou à son témoin : aucun point de contrôle n’est
          signé tant que le constat tient ; ouvrez un incident.
        </p>
      ) : null}
      {officer ? (
        <Button onClick={() => void verify.run()} disabled={verify.busy} iconId="fr-icon-shield-line">
          {verify.busy ? 'Vérification en cours…' : 'Vérifier maintenant'}
        </Button>
      ) : (
        <p className="fr-text--sm">La vérification est lancée par le responsable de la sécurité.</p>
      )}
    </section>
  );
}

function ReadsPanel() {
  const [hours, setHours] = useState('24');
  const reads = useLoad(() => api<Reads>(`/api/security/dashboard/reads?hours=${hours}`), [hours]);
  const organisations = useMemo(
    () => (reads.data?.organisations ?? []).filter((o) => o.total > 0 || o.budget.actorHour),
    [reads.data],
  );
  const [chosen, setChosen] = useState('');
  const org = organisations.find((o) => o.id === chosen) ?? [...organisations].sort((a, b) => b.total - a.total)[0];
  const config = useMemo<ChartConfiguration | null>(() => {
    if (!reads.data || !org) return null;
    const labels = reads.data.hours.map(hourLabel);
    const datasets: ChartConfiguration<'bar' | 'line'>['data']['datasets'] = [
      { type: 'bar', label: 'Lectures de dossiers', data: org.reads, backgroundColor: '#000091' },
    ];
    if (org.budget.actorHour) {
      datasets.push({
        type: 'line',
        label: 'Plafond horaire d’un agent (garde)',
        data: labels.map(() => org.budget.actorHour!.hard),
        borderColor: '#e1000f',
        borderDash: [6, 4],
        pointRadius: 0,
      });
      datasets.push({
        type: 'line',
        label: 'Seuil d’alerte d’un agent',
        data: labels.map(() => org.budget.actorHour!.soft),
        borderColor: '#b34000',
        borderDash: [2, 3],
        pointRadius: 0,
      });
    }
    return {
      type: 'bar',
      data: { labels, datasets },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'lectures par heure' } } } },
    } as ChartConfiguration;
  }, [reads.data, org]);
  return (
    <section aria-labelledby="reads-title" className="fr-mb-6w">
      <h2 id="reads-title" className="fr-h4">
        Lectures de dossiers par heure
      </h2>
      <p className="fr-text--sm">
        Le plafond dessiné est celui que la garde applique à chaque agent de l’organisation (personnes distinctes par
        heure) : au-delà, le compte est confiné. Le plafond journalier de la convention s’applique à l’organisation
        entière.
      </p>
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-md-6">
          <Select
            label="Organisation"
            nativeSelectProps={{
              value: org?.id ?? '',
              onChange: (e) => setChosen(e.target.value),
              name: 'organisation',
            }}
          >
            {organisations.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name} ({o.total})
              </option>
            ))}
          </Select>
        </div>
        <div className="fr-col-12 fr-col-md-6">
          <Select
            label="Période"
            nativeSelectProps={{ value: hours, onChange: (e) => setHours(e.target.value), name: 'hours' }}
          >
            <option value="12">12 dernières heures</option>
            <option value="24">24 dernières heures</option>
            <option value="72">3 derniers jours</option>
            <option value="168">7 derniers jours</option>
          </Select>
        </div>
      </div>
      <ErrorNotice error={reads.error} title="Lectures indisponibles" />
      {!reads.data && reads.loading ? <Loading /> : null}
      {reads.data && org && config ? (
        <ChartFigure
          label={`Lectures de dossiers par heure pour ${org.name}, ${org.total} au total sur la période${org.budget.actorHour ? `, plafond horaire d’un agent : ${org.budget.actorHour.hard}` : ''}`}
          config={config}
          tableTitle={`Tableau des lectures par heure — ${org.name}`}
          table={
            <DataTable
              className="fr-table"
              caption={
                <>
                  Lectures par heure — {org.name}
                  {org.budget.dailyCeiling !== null
                    ? ` (plafond journalier de la convention : ${org.budget.dailyCeiling} personnes)`
                    : ''}
                </>
              }
              columns={['Heure', 'Lectures', 'Plafond horaire d’un agent']}
            >
              {reads.data.hours.map((h, i) => (
                <tr key={h}>
                  <td>{formatDateTime(h)}</td>
                  <td>{org.reads[i]}</td>
                  <td>{org.budget.actorHour?.hard ?? '—'}</td>
                </tr>
              ))}
            </DataTable>
          }
        />
      ) : null}
      {reads.data && !org ? <p>Aucune lecture sur la période.</p> : null}
    </section>
  );
}

function AlertsPanel() {
  const alerts = useLoad(() => api<AlertSeries>('/api/security/dashboard/alerts?days=30'));
  const config = useMemo<ChartConfiguration | null>(() => {
    if (!alerts.data) return null;
    const byKind = ['signal_alert', 'signal_contain', 'containment'].map((kind) => ({
      kind,
      counts: alerts.data!.days.map((_, i) =>
        alerts.data!.series.filter((s) => s.kind === kind).reduce((sum, s) => sum + (s.counts[i] ?? 0), 0),
      ),
    }));
    return {
      type: 'bar',
      data: {
        labels: alerts.data.days.map(dayLabel),
        datasets: byKind.map((k, i) => ({
          label: ALERT_KIND_LABELS[k.kind] ?? k.kind,
          data: k.counts,
          backgroundColor: COLOURS[i + 1]!,
        })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    };
  }, [alerts.data]);
  const total = alerts.data?.series.reduce((sum, s) => sum + s.total, 0) ?? 0;
  return (
    <section aria-labelledby="alerts-title">
      <h2 id="alerts-title" className="fr-h4">
        Alertes des 30 derniers jours
      </h2>
      <ErrorNotice error={alerts.error} title="Alertes indisponibles" />
      {!alerts.data && alerts.loading ? <Loading /> : null}
      {alerts.data && config ? (
        <ChartFigure
          label={`Alertes de la garde par jour sur 30 jours : ${total} au total, par type (alerte, motif de confinement, confinement)`}
          config={config}
          tableTitle="Tableau des alertes par motif"
          table={
            <DataTable
              className="fr-table"
              caption="Alertes par type et par motif sur 30 jours"
              columns={['Type', 'Motif', 'Total', 'Jours concernés']}
            >
              {alerts.data.series.length === 0 ? (
                <tr>
                  <td colSpan={4}>Aucune alerte sur la période.</td>
                </tr>
              ) : null}
              {alerts.data.series.map((s) => (
                <tr key={`${s.kind}:${s.signal}`}>
                  <td>{ALERT_KIND_LABELS[s.kind] ?? s.kind}</td>
                  <td>{signalLabel(s.signal)}</td>
                  <td>{s.total}</td>
                  <td>
                    {alerts
                      .data!.days.map((d, i) => (s.counts[i] ? `${dayLabel(d)} : ${s.counts[i]}` : null))
                      .filter(Boolean)
                      .join(', ')}
                  </td>
                </tr>
              ))}
            </DataTable>
          }
        />
      ) : null}
    </section>
  );
}

/** Journal et activité : the ledger's status and verification, reads per hour against the guard's budget, alerts over time. */
export function Activity() {
  return (
    <>
      <PageTitle title="Journal et activité">Journal et activité</PageTitle>
      <LedgerPanel />
      <ReadsPanel />
      <AlertsPanel />
    </>
  );
}
