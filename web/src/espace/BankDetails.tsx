import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, ApiError } from '../app/api.ts';
import { formatDateTime, plural } from '../app/format.ts';
import { needsStepUp, StepUp } from '../app/StepUp.tsx';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';

interface Reason {
  code: string;
  label: string;
}

interface Change {
  id: string;
  status: string;
  statusLabel: string;
  requestedAt: string;
  effectiveAt: string;
  maskedIban: string;
  reasons: Reason[];
}

interface MyBankDetails {
  current: { maskedIban: string; bic: string } | null;
  pending: Change | null;
  holds: Array<{ id: string; label: string; since: string }>;
  coolingOffHours: number;
  canRequest: { allowed: boolean; reason: 'second_factor_missing' | 'change_in_progress' | 'too_frequent' | null };
  history: Array<{ at: string; kind: string; label: string; maskedIban: string | null }>;
}

interface Outcome {
  changeId: string;
  status: 'cooling_off' | 'awaiting_verification';
  effectiveAt: string;
  reasons: Reason[];
  notices: string[];
  maskedIban: string;
}

type Form = { iban: string; bic: string; holder: string };
const FIELDS: Array<{ key: keyof Form; label: string; hint: string; autoComplete: string }> = [
  {
    key: 'iban',
    label: 'IBAN',
    hint: 'Tel qu’il figure sur votre RIB, par exemple FR76 3000 6000 0112 3456 7890 189',
    autoComplete: 'off',
  },
  { key: 'bic', label: 'BIC', hint: '8 ou 11 caractères, par exemple AGRIFRPP', autoComplete: 'off' },
  {
    key: 'holder',
    label: 'Titulaire du compte',
    hint: 'Nom et prénom tels qu’ils figurent sur le RIB',
    autoComplete: 'name',
  },
];

/** « Coordonnées bancaires »: the account payments go to, the change in progress, and a change behind a second factor. */
export function BankDetailsPage() {
  const details = useLoad(() => api<MyBankDetails>('/api/me/bank-details'));
  const [form, setForm] = useState<Form>({ iban: '', bic: '', holder: '' });
  const [stepUp, setStepUp] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const submit = useAction(async () => {
    try {
      const result = await api<Outcome>('/api/me/bank-details/changes', {
        method: 'POST',
        body: { iban: form.iban.trim(), bic: form.bic.trim(), holder: form.holder.trim() },
      });
      setStepUp(false);
      setOutcome(result);
      setForm({ iban: '', bic: '', holder: '' });
      details.reload();
    } catch (error) {
      if (needsStepUp(error)) {
        setStepUp(true);
        return;
      }
      setStepUp(false);
      throw error;
    }
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setOutcome(null);
    void submit.run();
  };
  const error = submit.error;
  const fieldMessage = (key: keyof Form) =>
    error instanceof ApiError
      ? error.issues
          .filter((i) => i.field === `body.${key}` || i.field === key)
          .map((i) => i.message)
          .join(' ; ')
      : '';
  const needsFactor = error instanceof ApiError && error.code === 'second_factor_enrolment_required';

  return (
    <>
      <PageTitle title="Coordonnées bancaires">Coordonnées bancaires</PageTitle>
      <ErrorNotice error={details.error} title="Vos coordonnées bancaires n’ont pas pu être affichées" />
      {details.loading && !details.data ? <Loading what="Chargement" /> : null}
      {details.data ? (
        <section className="fr-mb-4w" aria-labelledby="compte-actuel">
          <h2 id="compte-actuel">Compte actuel</h2>
          {details.data.current ? (
            <p data-testid="current-bank">
              Vos allocations sont versées sur le compte <strong>{details.data.current.maskedIban}</strong> (BIC{' '}
              {details.data.current.bic}).
            </p>
          ) : (
            <p>Aucun compte bancaire n’est enregistré.</p>
          )}
          {details.data.pending ? (
            <div className="fr-callout fr-mb-2w" data-testid="pending-change">
              <h3 className="fr-callout__title fr-h6">Modification en cours</h3>
              <p className="fr-callout__text fr-text--sm">
                Nouveau compte {details.data.pending.maskedIban}, demandé le{' '}
                {formatDateTime(details.data.pending.requestedAt)} : {details.data.pending.statusLabel}. Effectif à
                partir du {formatDateTime(details.data.pending.effectiveAt)} si rien ne l’arrête.
              </p>
              {details.data.pending.reasons.length ? (
                <ul className="fr-text--sm">
                  {details.data.pending.reasons.map((r) => (
                    <li key={r.code}>{r.label}</li>
                  ))}
                </ul>
              ) : null}
            </div>
          ) : null}
          {details.data.holds.length ? (
            <ul>
              {details.data.holds.map((h) => (
                <li key={h.id}>
                  Sous surveillance depuis le {formatDateTime(h.since)} : {h.label}
                </li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : null}

      <section className="fr-mb-4w" aria-labelledby="changer">
        <h2 id="changer">Changer de compte bancaire</h2>
        <p>
          Par sécurité, vous devrez confirmer votre identité avec votre second facteur, et le nouveau compte ne sera
          utilisé qu’après un délai de {plural(details.data?.coolingOffHours ?? 72, 'heure', 'heures')}. Nous vous
          préviendrons sur vos moyens de contact.
        </p>
        {outcome ? (
          <SuccessNotice
            message={`Demande enregistrée pour le compte ${outcome.maskedIban}. ${outcome.status === 'cooling_off' ? `Elle prendra effet le ${formatDateTime(outcome.effectiveAt)}.` : 'Un agent doit la vérifier avant qu’elle prenne effet.'}`}
          />
        ) : null}
        {needsFactor || details.data?.canRequest.reason === 'second_factor_missing' ? (
          <div className="fr-alert fr-alert--warning fr-mb-3w" role="alert" data-testid="bank-needs-factor">
            <h3 className="fr-alert__title">Activez d’abord un second facteur</h3>
            <p>
              Un changement de compte bancaire se confirme avec un second facteur (application d’authentification ou clé
              d’accès), pour qu’un mot de passe volé ne suffise pas à détourner vos allocations. Activez-en un, puis
              revenez ici ; ou adressez-vous à votre conseiller.
            </p>
            <p className="fr-mt-2w">
              <Link className="fr-link fr-icon-arrow-right-line fr-link--icon-right" to="/mon-espace/securite">
                Activer un second facteur
              </Link>
            </p>
          </div>
        ) : details.data?.canRequest.reason === 'change_in_progress' ? (
          <div className="fr-alert fr-alert--info fr-mb-3w" data-testid="bank-change-in-progress">
            <h3 className="fr-alert__title">Une modification est déjà en cours</h3>
            <p>
              Vous pourrez en demander une autre quand celle-ci aura abouti (voir « Modification en cours » ci-dessus).
              Si vous ne l’avez pas demandée, suivez le lien « Ce n’est pas moi » de l’avis que nous vous avons envoyé,
              ou appelez votre conseiller : elle sera bloquée.
            </p>
          </div>
        ) : details.data?.canRequest.reason === 'too_frequent' ? (
          <div className="fr-alert fr-alert--info fr-mb-3w">
            <h3 className="fr-alert__title">Trop de demandes en 30 jours</h3>
            <p>
              Par sécurité, le nombre de changements de compte en 30 jours est limité : adressez-vous à votre
              conseiller.
            </p>
          </div>
        ) : (
          <>
            <ErrorNotice error={error} title="Modification refusée" />
            {stepUp ? <StepUp onPassed={() => void submit.run()} onCancel={() => setStepUp(false)} /> : null}
            {details.data ? (
              <form onSubmit={onSubmit} noValidate>
                {FIELDS.map((f) => {
                  const message = fieldMessage(f.key);
                  return (
                    <Input
                      key={f.key}
                      label={f.label}
                      hintText={f.hint}
                      state={message ? 'error' : 'default'}
                      stateRelatedMessage={message || undefined}
                      nativeInputProps={{
                        name: f.key,
                        autoComplete: f.autoComplete,
                        required: true,
                        value: form[f.key],
                        onChange: (e) => setForm((old) => ({ ...old, [f.key]: e.target.value })),
                      }}
                    />
                  );
                })}
                <Button type="submit" disabled={submit.busy}>
                  Demander le changement
                </Button>
              </form>
            ) : null}
          </>
        )}
      </section>

      {details.data && details.data.history.length ? (
        <section aria-labelledby="historique">
          <h2 id="historique">Historique</h2>
          <ul>
            {details.data.history.map((h, i) => (
              <li key={`${h.at}-${i}`}>
                {formatDateTime(h.at)} — {h.label}
                {h.maskedIban ? ` (${h.maskedIban})` : ''}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}
