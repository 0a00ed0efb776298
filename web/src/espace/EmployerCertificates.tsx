import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState, type FormEvent } from 'react';
import {
  DISPUTE_REASON_LABELS_FR,
  DISPUTE_REASONS,
  INDEMNITY_LABELS_FR,
  type DisputeReason,
  type IndemnityKind,
} from '../../../src/domain/employer-certificates.ts';
import { api } from '../app/api.ts';
import { DataTable } from '../app/DataTable.tsx';
import { formatDate, formatDateTime } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';

/** GET /api/me/employer-certificates (src/api/me/employer-certificates.ts CertificateView). */
interface Certificate {
  id: string;
  employer: { id: string; name: string };
  employerReference: string;
  status: 'received' | 'disputed' | 'superseded';
  receivedAt: string;
  supersedes: string | null;
  supersededBy: string | null;
  dispute: { at: string; reason: DisputeReason; reasonLabel: string; comment?: string } | null;
  content: {
    employment: { from: string; to: string; jobTitle?: string };
    salaries: Array<{ month: string; grossCents: number }>;
    indemnities: Array<{ kind: IndemnityKind; amountCents: number }>;
  };
  labels: { contractKind: string; endReason: string };
}

const euros = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
const MONTH = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', month: 'long', year: 'numeric' });
const monthOf = (month: string) => MONTH.format(new Date(`${month}-01T00:00:00Z`));

const STATUS: Record<Certificate['status'], { label: string; severity: 'info' | 'warning' | 'success' }> = {
  received: { label: 'Reçue', severity: 'info' },
  disputed: { label: 'Contestée : en attente de correction par l’employeur', severity: 'warning' },
  superseded: { label: 'Remplacée par une attestation corrigée', severity: 'success' },
};

/**
 * « Mes attestations employeur » (issue 25 §3): what former employers sent at the end of a
 * contract, read here (recorded in the person's journal), and disputed with a reason — the
 * dispute goes back to the employer, whose corrected certificate replaces this one.
 */
export function EmployerCertificatesPage() {
  const list = useLoad(() => api<{ certificates: Certificate[] }>('/api/me/employer-certificates'));
  const [disputing, setDisputing] = useState<string | null>(null);
  const [reason, setReason] = useState<DisputeReason | ''>('');
  const [comment, setComment] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const dispute = useAction(async (id: string) => {
    await api(`/api/me/employer-certificates/${id}/dispute`, {
      method: 'POST',
      body: { reason, ...(comment.trim() ? { comment: comment.trim() } : {}) },
    });
    setDone('Votre contestation est enregistrée et transmise à l’employeur, qui doit corriger son attestation.');
    setDisputing(null);
    setReason('');
    setComment('');
    list.reload();
  });
  const submit = (event: FormEvent, id: string) => {
    event.preventDefault();
    void dispute.run(id);
  };

  const certificates = list.data?.certificates ?? [];
  return (
    <>
      <PageTitle title="Mes attestations employeur">Mes attestations employeur</PageTitle>
      <p>
        À la fin d’un contrat, votre employeur transmet une attestation (période, salaires, motif de fin, indemnités)
        qui sert au calcul de vos droits. Vérifiez-la : si elle est inexacte, ou si vous n’avez pas travaillé pour cet
        employeur, contestez-la ici ou à votre agence.
      </p>
      <ErrorNotice error={list.error} title="Attestations indisponibles" />
      <SuccessNotice message={done} />
      {!list.data && list.loading ? <Loading /> : null}
      {list.data && certificates.length === 0 ? <p>Aucune attestation employeur n’a été reçue à votre nom.</p> : null}
      {certificates.map((c) => {
        const salaries = c.content.salaries.reduce((sum, s) => sum + s.grossCents, 0);
        return (
          <section key={c.id} className="fr-mb-4w" aria-labelledby={`attestation-${c.id}`}>
            <h2 id={`attestation-${c.id}`} className="fr-h5">
              {`${c.employer.name} — du ${formatDate(c.content.employment.from)} au ${formatDate(c.content.employment.to)}`}
            </h2>
            <p>
              <Badge as="span" severity={STATUS[c.status].severity} small>
                {STATUS[c.status].label}
              </Badge>
            </p>
            <ul>
              <li>{`Reçue le ${formatDateTime(c.receivedAt)} (référence de l’employeur : ${c.employerReference})`}</li>
              <li>{`Contrat : ${c.labels.contractKind}${c.content.employment.jobTitle ? `, ${c.content.employment.jobTitle}` : ''}`}</li>
              <li>{`Motif de fin : ${c.labels.endReason}`}</li>
              {c.dispute ? (
                <li>{`Contestée le ${formatDateTime(c.dispute.at)} : ${c.dispute.reasonLabel}${c.dispute.comment ? ` (« ${c.dispute.comment} »)` : ''}`}</li>
              ) : null}
            </ul>
            <DataTable
              caption={`Salaires déclarés (${euros.format(salaries / 100)} brut au total)`}
              columns={['Mois', 'Salaire brut']}
            >
              {c.content.salaries.map((s) => (
                <tr key={s.month}>
                  <td>{monthOf(s.month)}</td>
                  <td>{euros.format(s.grossCents / 100)}</td>
                </tr>
              ))}
            </DataTable>
            {c.content.indemnities.length ? (
              <DataTable caption="Indemnités déclarées" columns={['Indemnité', 'Montant']}>
                {c.content.indemnities.map((i, k) => (
                  <tr key={k}>
                    <td>{INDEMNITY_LABELS_FR[i.kind] ?? i.kind}</td>
                    <td>{euros.format(i.amountCents / 100)}</td>
                  </tr>
                ))}
              </DataTable>
            ) : null}
            {c.status === 'received' && disputing !== c.id ? (
              <Button priority="secondary" onClick={() => setDisputing(c.id)}>
                Contester cette attestation
              </Button>
            ) : null}
            {disputing === c.id ? (
              <form onSubmit={(e) => submit(e, c.id)} aria-label={`Contester l’attestation de ${c.employer.name}`}>
                <ErrorNotice error={dispute.error} title="Contestation non enregistrée" />
                <Select
                  label="Ce qui est inexact"
                  nativeSelectProps={{
                    value: reason,
                    onChange: (e) => setReason(e.target.value as DisputeReason | ''),
                  }}
                >
                  <option value="" disabled>
                    Choisissez
                  </option>
                  {DISPUTE_REASONS.map((r) => (
                    <option key={r} value={r}>
                      {DISPUTE_REASON_LABELS_FR[r]}
                    </option>
                  ))}
                </Select>
                <Input
                  label="Précisez (facultatif)"
                  hintText="Ce que vous dites ici est transmis à l’employeur."
                  textArea
                  nativeTextAreaProps={{ value: comment, maxLength: 1000, onChange: (e) => setComment(e.target.value) }}
                />
                <Button type="submit" disabled={dispute.busy || reason === ''} className="fr-mr-2w">
                  Envoyer la contestation
                </Button>
                <Button type="button" priority="tertiary" onClick={() => setDisputing(null)}>
                  Annuler
                </Button>
              </form>
            ) : null}
          </section>
        );
      })}
    </>
  );
}
