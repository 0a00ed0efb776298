import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState } from 'react';
import {
  MANDATE_CONSENT_LABELS,
  MANDATE_DURATION_LABELS,
  MANDATE_SCOPE_LABELS,
  type MandateConsent,
  type MandateDuration,
  type MandateScope,
} from '../../../src/domain/mandates.ts';
import { api } from '../app/api.ts';
import { formatDate } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';

/** A mandate as GET /api/me/mandates gives it (src/mandates/model.ts MandateView). */
export interface Mandate {
  id: string;
  helper: { actorId: string; name: string };
  organisation: { id: string; name: string };
  scopes: Array<{ scope: MandateScope; revokedAt: string | null; revokedVia: string | null }>;
  duration: MandateDuration;
  consent: MandateConsent;
  state: 'pending' | 'active' | 'expired' | 'revoked' | 'refused' | 'lapsed';
  createdAt: string;
  confirmedAt: string | null;
  confirmedVia: string | null;
  expiresAt: string | null;
  text: string;
  textSha256: string;
}

export const STATE_LABELS: Record<
  Mandate['state'],
  { label: string; severity: 'success' | 'info' | 'warning' | 'error' | 'new' }
> = {
  pending: { label: 'En attente de votre confirmation', severity: 'new' },
  active: { label: 'En cours', severity: 'success' },
  expired: { label: 'Terminé', severity: 'info' },
  revoked: { label: 'Retiré', severity: 'warning' },
  refused: { label: 'Annulé', severity: 'error' },
  lapsed: { label: 'Non confirmé à temps', severity: 'info' },
};

const VIA: Record<string, string> = { espace: 'dans votre espace', letter: 'par courrier', code: 'par code' };

/**
 * « Mes mandats » (issue 25 §4): each mandate the person gave (or is asked to give) an aidant of a
 * France Services house — who, which house, which steps, until when, how they consented —; a
 * pending one confirmed here, and any step withdrawn at any time.
 */
export function MandatesPage() {
  const list = useLoad(() => api<{ mandates: Mandate[] }>('/api/me/mandates'));
  const [done, setDone] = useState<string | null>(null);
  const confirm = useAction(async (id: string) => {
    await api(`/api/me/mandates/${id}/confirm`, { method: 'POST' });
    setDone('Mandat confirmé : votre aidant peut maintenant agir pour ces démarches.');
    list.reload();
  });
  const revoke = useAction(async (id: string, scopes?: MandateScope[]) => {
    await api(`/api/me/mandates/${id}/revoke`, { method: 'POST', body: scopes ? { scopes } : {} });
    setDone(scopes ? 'Démarche retirée du mandat.' : 'Mandat retiré : votre aidant ne peut plus agir en votre nom.');
    list.reload();
  });
  const mandates = list.data?.mandates ?? [];
  return (
    <>
      <PageTitle title="Mes mandats">Mes mandats</PageTitle>
      <p>
        Un aidant France Services peut faire certaines démarches avec vous, à votre nom, si vous lui donnez un mandat.
        Il ne voit jamais vos coordonnées bancaires, ni rien d’autre que les démarches du mandat. Chacune de ses actions
        figure dans « Qui a consulté mon dossier ». Vous pouvez retirer un mandat, ou une seule de ses démarches, à tout
        moment.
      </p>
      <SuccessNotice message={done} />
      <ErrorNotice error={list.error} title="Mandats indisponibles" />
      <ErrorNotice error={confirm.error ?? revoke.error} />
      {list.loading && !list.data ? <Loading what="Chargement de vos mandats" /> : null}
      {list.data && mandates.length === 0 ? <p>Vous n’avez donné aucun mandat.</p> : null}
      {mandates.map((m) => {
        const live = m.scopes.filter((s) => !s.revokedAt);
        const open = m.state === 'pending' || m.state === 'active';
        return (
          <section
            key={m.id}
            className="fr-card fr-p-3w fr-mb-3w"
            aria-labelledby={`mandat-${m.id}`}
            data-testid="mandate"
          >
            <h2 id={`mandat-${m.id}`} className="fr-h5">
              {m.helper.name} ({m.organisation.name})
            </h2>
            <p>
              <Badge severity={STATE_LABELS[m.state].severity} small>
                {STATE_LABELS[m.state].label}
              </Badge>
            </p>
            <ul>
              <li>
                Préparé le {formatDate(m.createdAt)}, pour {MANDATE_DURATION_LABELS[m.duration]}
              </li>
              <li>Consentement : {MANDATE_CONSENT_LABELS[m.consent]}</li>
              {m.confirmedAt ? (
                <li>
                  Confirmé le {formatDate(m.confirmedAt)}
                  {m.confirmedVia ? ` (${VIA[m.confirmedVia] ?? m.confirmedVia})` : ''}
                  {m.expiresAt ? `, jusqu’au ${formatDate(m.expiresAt)}` : ''}
                </li>
              ) : null}
            </ul>
            <h3 className="fr-h6">Démarches</h3>
            <ul>
              {m.scopes.map((s) => (
                <li key={s.scope}>
                  {MANDATE_SCOPE_LABELS[s.scope]}
                  {s.revokedAt ? ` — retirée le ${formatDate(s.revokedAt)} (${VIA[s.revokedVia ?? ''] ?? ''})` : ''}
                  {open && !s.revokedAt && live.length > 1 ? (
                    <Button
                      priority="tertiary"
                      size="small"
                      className="fr-ml-2w"
                      disabled={revoke.busy}
                      onClick={() => void revoke.run(m.id, [s.scope])}
                    >
                      Retirer cette démarche
                    </Button>
                  ) : null}
                </li>
              ))}
            </ul>
            <details className="fr-mb-2w">
              <summary>Texte du mandat</summary>
              <pre className="fr-text--sm" style={{ whiteSpace: 'pre-wrap' }}>
                {m.text}
              </pre>
              <p className="fr-text--xs">Empreinte SHA-256 : {m.textSha256}</p>
            </details>
            {m.state === 'pending' ? (
              <Alert
                severity="info"
                small
                className="fr-mb-2w"
                description="Ce mandat ne fonctionne pas tant que vous ne l’avez pas confirmé. Ne le confirmez que si vous êtes avec cet aidant et d’accord avec son texte."
              />
            ) : null}
            <div className="fr-btns-group fr-btns-group--inline">
              {m.state === 'pending' ? (
                <Button disabled={confirm.busy} onClick={() => void confirm.run(m.id)}>
                  Confirmer ce mandat
                </Button>
              ) : null}
              {open ? (
                <Button priority="secondary" disabled={revoke.busy} onClick={() => void revoke.run(m.id)}>
                  {m.state === 'pending' ? 'Refuser ce mandat' : 'Retirer tout le mandat'}
                </Button>
              ) : null}
            </div>
          </section>
        );
      })}
    </>
  );
}
