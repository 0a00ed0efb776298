import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import { api } from '../app/api.ts';
import { classLabel, formatDate, plural } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, useLoad } from '../app/ui.tsx';
import { DataTable } from '../app/DataTable.tsx';
import './bureau.css';
import { requirementLabel } from './labels.ts';
import { BaselineAttestations } from './Assurance.tsx';
import { useIsSecurityOfficer } from './roles.ts';

interface Organisation {
  id: string;
  name: string;
  kind: string;
  status: string;
  compliant: boolean;
  unmet: string[];
  derogated: string[];
  posture: { mfa: string; passkeyOnly: boolean; lastAudit: string | null; networks: string[]; emailDomains: string[] };
  auditValidUntil: string | null;
  agreements: Array<{ reference: string; version: number; validFrom: string; validUntil: string; inForce: boolean }>;
  derogations: Array<{ id: string; requirement: string; justification: string; approvedBy: string; expiresAt: string }>;
}
interface Compliance {
  at: string;
  total: number;
  compliant: number;
  organisations: Organisation[];
}
interface AgreementFile {
  file: {
    legalBasis: string;
    purposes: Array<{
      purpose: string;
      label: string;
      read: string[];
      write: string[];
      relationship: string;
      dailyCeiling: number;
      retentionDays: number;
    }>;
  };
}

const SOON_MS = 30 * 24 * 3_600_000;
const RELATIONSHIP_LABELS: Record<string, string> = {
  caseload: 'portefeuille',
  agency: 'agence',
  referral: 'orientation',
  verified_caller: 'appelant vérifié',
  employment: 'salarié de l’employeur (NIR et date de naissance)',
};

function expiresSoon(iso: string): boolean {
  const left = Date.parse(iso) - Date.now();
  return left >= 0 && left <= SOON_MS;
}

function AgreementDetail({ reference }: { reference: string }) {
  const agreement = useLoad(
    () => api<AgreementFile>(`/api/security/agreements/${encodeURIComponent(reference)}`),
    [reference],
  );
  if (agreement.error) return <ErrorNotice error={agreement.error} title="Convention indisponible" />;
  if (!agreement.data) return <Loading what="Chargement de la convention" />;
  return (
    <DataTable
      className="fr-table rempart-scroll fr-mt-1w"
      caption={`Finalités de la convention ${reference} — base légale : ${agreement.data.file.legalBasis}`}
      columns={['Finalité', 'Lecture', 'Écriture', 'Lien requis', 'Plafond / jour']}
    >
      {agreement.data.file.purposes.map((p) => (
        <tr key={p.purpose}>
          <td>{p.label}</td>
          <td>{p.read.map(classLabel).join(', ') || '—'}</td>
          <td>{p.write.map(classLabel).join(', ') || '—'}</td>
          <td>{RELATIONSHIP_LABELS[p.relationship] ?? p.relationship}</td>
          <td>{p.dailyCeiling}</td>
        </tr>
      ))}
    </DataTable>
  );
}

function OrganisationCard({ org }: { org: Organisation }) {
  const [open, setOpen] = useState<string | null>(null);
  const [attestations, setAttestations] = useState(false);
  const canRecord = useIsSecurityOfficer();
  const titleId = `org-${org.id}`;
  return (
    <section className="fr-card fr-card--no-arrow fr-mb-3w" aria-labelledby={titleId}>
      <div className="fr-card__body">
        <div className="fr-card__content">
          <h2 id={titleId} className="fr-card__title fr-h5">
            {org.name}
          </h2>
          <div className="fr-card__desc">
            <p className="fr-mb-1w">
              {org.compliant ? (
                <span className="fr-badge fr-badge--success fr-badge--sm">Conforme</span>
              ) : (
                <span className="fr-badge fr-badge--error fr-badge--sm">Non conforme</span>
              )}{' '}
              {org.status !== 'active' ? (
                <span className="fr-badge fr-badge--warning fr-badge--sm">
                  {org.status === 'suspended' ? 'suspendue' : 'fermée'}
                </span>
              ) : null}
            </p>
            {org.unmet.length ? (
              <p className="fr-mb-1w">Exigences non remplies : {org.unmet.map(requirementLabel).join(', ')}.</p>
            ) : null}
            {org.derogated.length ? (
              <p className="fr-mb-1w">Sous dérogation : {org.derogated.map(requirementLabel).join(', ')}.</p>
            ) : null}
            <p className="fr-mb-1w">
              Second facteur : {org.posture.mfa === 'required' ? 'obligatoire' : org.posture.mfa}
              {org.posture.passkeyOnly ? ' (clés d’accès uniquement)' : ''} — dernier audit :{' '}
              {formatDate(org.posture.lastAudit)}
              {org.auditValidUntil ? `, valable jusqu’au ${formatDate(org.auditValidUntil)}` : ''} — réseaux déclarés :{' '}
              {org.posture.networks.length} — domaines de messagerie :{' '}
              {org.posture.emailDomains.length
                ? org.posture.emailDomains.join(', ')
                : 'aucun (pas de création de compte)'}
            </p>
            <h3 className="fr-h6 fr-mb-1w">Conventions</h3>
            {org.agreements.length === 0 ? <p>Aucune convention : aucun accès.</p> : null}
            <ul>
              {org.agreements.map((a) => (
                <li key={`${a.reference}@${a.version}`}>
                  {a.reference} (version {a.version}) — du {formatDate(a.validFrom)} au{' '}
                  <span className={expiresSoon(a.validUntil) ? 'rempart-expiring' : undefined}>
                    {formatDate(a.validUntil)}
                  </span>
                  {a.inForce ? '' : ' — hors vigueur'}
                  {expiresSoon(a.validUntil) ? ' — expire dans moins de 30 jours' : ''}{' '}
                  <Button
                    size="small"
                    priority="tertiary"
                    onClick={() => setOpen(open === a.reference ? null : a.reference)}
                    nativeButtonProps={{ 'aria-expanded': open === a.reference }}
                  >
                    {open === a.reference ? 'Masquer les finalités' : 'Voir les finalités'}
                  </Button>
                  {open === a.reference ? <AgreementDetail reference={a.reference} /> : null}
                </li>
              ))}
            </ul>
            <h3 className="fr-h6 fr-mb-1w">Socle de sécurité</h3>
            <Button
              size="small"
              priority="tertiary"
              onClick={() => setAttestations(!attestations)}
              nativeButtonProps={{ 'aria-expanded': attestations }}
            >
              {attestations ? 'Masquer les attestations' : 'Voir les attestations'}
              <span className="fr-sr-only">{` de ${org.name}`}</span>
            </Button>
            {attestations ? <BaselineAttestations organisationId={org.id} canRecord={canRecord} /> : null}
            <h3 className="fr-h6 fr-mb-1w">Dérogations en vigueur</h3>
            {org.derogations.length === 0 ? <p>Aucune.</p> : null}
            <ul>
              {org.derogations.map((d) => (
                <li key={d.id}>
                  {requirementLabel(d.requirement)} — {d.justification} — expire le{' '}
                  <span className={expiresSoon(d.expiresAt) ? 'rempart-expiring' : undefined}>
                    {formatDate(d.expiresAt)}
                  </span>
                  {expiresSoon(d.expiresAt) ? (
                    <span className="fr-badge fr-badge--warning fr-badge--sm fr-ml-1w">
                      Expire dans moins de 30 jours
                    </span>
                  ) : null}
                </li>
              ))}
            </ul>
          </div>
        </div>
      </div>
    </section>
  );
}

/** Organisations : the security gate of each organisation, its agreements and derogations. */
export function Organisations() {
  const compliance = useLoad(() => api<Compliance>('/api/security/compliance'));
  const [filter, setFilter] = useState<'all' | 'attention'>('all');
  const data = compliance.data;
  const needsAttention = (o: Organisation) =>
    !o.compliant ||
    o.derogations.some((d) => expiresSoon(d.expiresAt)) ||
    o.agreements.some((a) => expiresSoon(a.validUntil));
  const shown = (data?.organisations ?? []).filter((o) => filter === 'all' || needsAttention(o));
  return (
    <>
      <PageTitle title="Organisations">Organisations et conformité</PageTitle>
      <ErrorNotice error={compliance.error} title="Conformité indisponible" />
      {!data && compliance.loading ? <Loading /> : null}
      {data ? (
        <>
          <p>
            {plural(data.compliant, 'organisation conforme', 'organisations conformes')} sur {data.total}.
          </p>
          <fieldset className="fr-fieldset">
            <legend className="fr-fieldset__legend fr-text--regular">Afficher</legend>
            <div className="fr-fieldset__element fr-fieldset__element--inline">
              <div className="fr-radio-group">
                <input
                  type="radio"
                  id="filter-all"
                  name="filter"
                  checked={filter === 'all'}
                  onChange={() => setFilter('all')}
                />
                <label className="fr-label" htmlFor="filter-all">
                  Toutes
                </label>
              </div>
            </div>
            <div className="fr-fieldset__element fr-fieldset__element--inline">
              <div className="fr-radio-group">
                <input
                  type="radio"
                  id="filter-attention"
                  name="filter"
                  checked={filter === 'attention'}
                  onChange={() => setFilter('attention')}
                />
                <label className="fr-label" htmlFor="filter-attention">
                  À surveiller (non conformes ou échéance sous 30 jours)
                </label>
              </div>
            </div>
          </fieldset>
          {shown.map((o) => (
            <OrganisationCard key={o.id} org={o} />
          ))}
        </>
      ) : null}
    </>
  );
}
