import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { useState, type FormEvent } from 'react';
import {
  MANDATE_CONSENT_LABELS,
  MANDATE_CONSENTS,
  MANDATE_DURATION_LABELS,
  MANDATE_DURATIONS,
  MANDATE_SCOPE_LABELS,
  MANDATE_SCOPES,
  type MandateConsent,
  type MandateDuration,
  type MandateScope,
} from '../../../src/domain/mandates.ts';
import { api, download } from '../app/api.ts';
import { classLabel, formatDate } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';
import { STATE_LABELS, type Mandate } from '../espace/Mandates.tsx';

const SCOPE_SHORT: Record<MandateScope, string> = {
  registration: 'Inscription',
  update: 'Actualisation',
  documents: 'Documents',
};

/**
 * The aidant's page (issue 25 §4): prepare a mandate with the person sitting in front of them —
 * it does nothing until the person confirms it (the code they received, typed here, or their own
 * espace) —, see each mandate's state, and act within its steps only.
 */
export function MandatesConsole() {
  const list = useLoad(() => api<{ mandates: Mandate[] }>('/api/staff/mandates'));
  const [franceTravailId, setFranceTravailId] = useState('');
  const [scopes, setScopes] = useState<MandateScope[]>([]);
  const [duration, setDuration] = useState<MandateDuration>('1m');
  const [consent, setConsent] = useState<MandateConsent>('code');
  const [signed, setSigned] = useState(false);
  const [prepared, setPrepared] = useState<Mandate | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const create = useAction(async () => {
    const body = {
      franceTravailId: franceTravailId.trim().toUpperCase(),
      scopes,
      duration,
      consent,
      ...(consent === 'in_person' ? { signatureAttested: signed } : {}),
    };
    const result = await api<{ mandate: Mandate }>('/api/staff/mandates', { method: 'POST', body });
    setPrepared(result.mandate);
    setDone('Mandat préparé : un code est parti vers le moyen de contact vérifié de la personne.');
    list.reload();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  return (
    <>
      <PageTitle title="Mes mandats (aidant)">Mes mandats</PageTitle>
      <SuccessNotice message={done} />
      <form onSubmit={submit} className="fr-mb-4w" aria-labelledby="nouveau-mandat">
        <h2 id="nouveau-mandat" className="fr-h4">
          Préparer un mandat avec la personne
        </h2>
        <p>
          Le mandat ne fonctionne qu’une fois confirmé par la personne : avec le code qu’elle reçoit, ou dans son espace
          personnel. Il ne donne jamais accès à ses coordonnées bancaires.
        </p>
        <ErrorNotice error={create.error} title="Mandat non préparé" />
        <Input
          label="Identifiant France Travail de la personne"
          hintText="7 chiffres suivis d’une lettre ou d’un chiffre, par exemple 1234567A"
          nativeInputProps={{ value: franceTravailId, onChange: (e) => setFranceTravailId(e.target.value) }}
        />
        <Checkbox
          legend="Démarches du mandat"
          options={MANDATE_SCOPES.map((scope) => ({
            label: `${SCOPE_SHORT[scope]} : ${MANDATE_SCOPE_LABELS[scope]}`,
            nativeInputProps: {
              name: 'scopes',
              value: scope,
              checked: scopes.includes(scope),
              onChange: (e) => setScopes(e.target.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope)),
            },
          }))}
        />
        <RadioButtons
          legend="Durée"
          name="duration"
          orientation="horizontal"
          options={MANDATE_DURATIONS.map((d) => ({
            label: MANDATE_DURATION_LABELS[d],
            nativeInputProps: { value: d, checked: duration === d, onChange: () => setDuration(d) },
          }))}
        />
        <RadioButtons
          legend="Consentement de la personne"
          name="consent"
          options={MANDATE_CONSENTS.map((c) => ({
            label: MANDATE_CONSENT_LABELS[c],
            nativeInputProps: { value: c, checked: consent === c, onChange: () => setConsent(c) },
          }))}
        />
        {consent === 'in_person' ? (
          <Checkbox
            options={[
              {
                label: 'J’atteste que la personne a signé devant moi le mandat imprimé',
                nativeInputProps: { checked: signed, onChange: (e) => setSigned(e.target.checked) },
              },
            ]}
          />
        ) : null}
        <Button type="submit" disabled={create.busy}>
          Préparer le mandat
        </Button>
      </form>
      {prepared ? (
        <section className="fr-mb-4w" aria-labelledby="texte-mandat">
          <h2 id="texte-mandat" className="fr-h5">
            Texte à lire avec la personne
          </h2>
          <pre className="fr-text--sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="mandate-text">
            {prepared.text}
          </pre>
          <p className="fr-text--xs">Empreinte SHA-256 : {prepared.textSha256}</p>
          <Button
            priority="secondary"
            iconId="fr-icon-printer-line"
            onClick={() => void download(`/api/staff/mandates/${prepared.id}/pdf`, `mandat-${prepared.id}.pdf`)}
          >
            Imprimer le mandat à signer (PDF)
          </Button>
        </section>
      ) : null}
      <h2 className="fr-h4">Mandats préparés</h2>
      <ErrorNotice error={list.error} title="Mandats indisponibles" />
      {list.loading && !list.data ? <Loading what="Chargement des mandats" /> : null}
      {list.data && list.data.mandates.length === 0 ? <p>Aucun mandat pour l’instant.</p> : null}
      {list.data?.mandates.map((m) => (
        <MandateCard key={m.id} mandate={m} onChange={list.reload} />
      ))}
    </>
  );
}

/** One mandate: its state, the code the person received (while pending), and the acts of its steps. */
function MandateCard({ mandate: m, onChange }: { mandate: Mandate; onChange: () => void }) {
  const [code, setCode] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const confirm = useAction(async (e: FormEvent) => {
    e.preventDefault();
    await api(`/api/staff/mandates/${m.id}/confirm`, { method: 'POST', body: { code: code.trim() } });
    setDone('Mandat confirmé par la personne.');
    onChange();
  });
  const readRegistration = useAction(async () => {
    const file = await api<{ fields: Record<string, Record<string, unknown>> }>(
      `/api/staff/mandates/${m.id}/registration`,
    );
    const registration = file.fields.registration ?? {};
    setShown(
      `${classLabel('registration')} : catégorie ${String(registration.category ?? '—')}, ${String(registration.status ?? '—')}, inscrit(e) le ${String(registration.registeredOn ?? '—')}`,
    );
  });
  const readDocuments = useAction(async () => {
    const result = await api<{ certificates: unknown[] }>(`/api/staff/mandates/${m.id}/documents`);
    setShown(`${result.certificates.length} attestation(s) employeur.`);
  });
  const declare = useAction(async () => {
    await api(`/api/staff/mandates/${m.id}/monthly-update`, {
      method: 'POST',
      body: {
        stillLooking: true,
        works: [],
        training: false,
        sickness: false,
        parentalLeave: false,
        retirement: false,
        invalidity: false,
        sworn: true,
      },
    });
    setDone('Actualisation enregistrée au nom de la personne (toujours en recherche, sans travail ce mois-ci).');
  });
  const error = confirm.error ?? readRegistration.error ?? readDocuments.error ?? declare.error;
  return (
    <section className="fr-card fr-p-3w fr-mb-3w" data-testid="aidant-mandate" aria-label={`Mandat ${m.id}`}>
      <p>
        <Badge severity={STATE_LABELS[m.state].severity} small>
          {STATE_LABELS[m.state].label}
        </Badge>{' '}
        Préparé le {formatDate(m.createdAt)} — {MANDATE_DURATION_LABELS[m.duration]} —{' '}
        {m.scopes.map((s) => `${SCOPE_SHORT[s.scope]}${s.revokedAt ? ' (retirée)' : ''}`).join(', ')}
        {m.expiresAt ? ` — jusqu’au ${formatDate(m.expiresAt)}` : ''}
      </p>
      <SuccessNotice message={done} />
      <ErrorNotice error={error} title="Action refusée" />
      {shown ? <p data-testid="aidant-result">{shown}</p> : null}
      {m.state === 'pending' ? (
        <form onSubmit={(e) => void confirm.run(e)}>
          <Input
            label="Code reçu par la personne"
            nativeInputProps={{ inputMode: 'numeric', value: code, onChange: (e) => setCode(e.target.value) }}
          />
          <Button type="submit" disabled={confirm.busy}>
            Confirmer avec le code
          </Button>
        </form>
      ) : null}
      {m.state === 'active' || m.state === 'revoked' || m.state === 'expired' ? (
        <div className="fr-btns-group fr-btns-group--inline-sm">
          {m.scopes.some((s) => s.scope === 'registration') ? (
            <Button priority="secondary" size="small" onClick={() => void readRegistration.run()}>
              Voir l’inscription
            </Button>
          ) : null}
          {m.scopes.some((s) => s.scope === 'update') ? (
            <Button priority="secondary" size="small" onClick={() => void declare.run()}>
              Actualiser avec la personne
            </Button>
          ) : null}
          {m.scopes.some((s) => s.scope === 'documents') ? (
            <Button priority="secondary" size="small" onClick={() => void readDocuments.run()}>
              Voir les documents
            </Button>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
