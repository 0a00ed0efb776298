import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../app/api.ts';
import { formatDateTime, ofName } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';
import { DataTable } from '../app/DataTable.tsx';
import { BreakGlassQueue } from './BreakGlass.tsx';
import { signalLabel } from './labels.ts';
import { useIsSecurityOfficer } from './roles.ts';
import './bureau.css';
import { SensitiveOutcome } from './sensitive.tsx';

interface Signal {
  id: string;
  at: string;
  actorLogin: string | null;
  organisationName: string;
  signal: string;
  severity: 'alert' | 'contain';
  personsRead: number;
}

interface Containment {
  id: string;
  scope: 'actor' | 'organisation';
  actorLogin: string | null;
  organisationName: string;
  signal: string;
  containedAt: string;
  releasedAt: string | null;
}

const POLL_MS = 10_000;

function who(c: { scope?: string; actorLogin: string | null; organisationName: string }): string {
  return c.scope === 'organisation' || !c.actorLogin
    ? `Organisation ${c.organisationName}`
    : `${c.actorLogin} (${c.organisationName})`;
}

/** « de l’organisation Cap emploi Gironde », « d’aimable.martin (France Travail Mérignac) »: who, in a sentence. */
function ofWho(c: { scope?: string; actorLogin: string | null; organisationName: string }): string {
  return c.scope === 'organisation' || !c.actorLogin
    ? `de l’organisation ${c.organisationName}`
    : ofName(`${c.actorLogin} (${c.organisationName})`);
}

function ReleaseForm({
  containment,
  onDone,
  onCancel,
}: {
  containment: Containment;
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const [note, setNote] = useState('');
  const release = useAction(async () => {
    await api(`/api/security/guard/containments/${containment.id}/release`, { method: 'POST', body: { note } });
    onDone(`Confinement levé : ${who(containment)}.`);
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void release.run();
  };
  return (
    <div className="fr-mt-2w">
      <SensitiveOutcome error={release.error} retry={() => void release.run()} cancel={() => release.setError(null)} />
      <form onSubmit={submit} aria-label={`Lever le confinement ${ofWho(containment)}`}>
        <Input
          label="Motif de la levée"
          hintText="Comment le titulaire a été revérifié auprès du référent sécurité de son organisation : qui, quand, par quel canal (10 caractères au moins)."
          textArea
          nativeTextAreaProps={{
            value: note,
            onChange: (e) => setNote(e.target.value),
            required: true,
            minLength: 10,
            maxLength: 1000,
            name: 'note',
          }}
        />
        <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left">
          <li>
            <Button type="submit" disabled={release.busy}>
              Confirmer la levée
            </Button>
          </li>
          <li>
            <Button type="button" priority="secondary" onClick={onCancel}>
              Annuler
            </Button>
          </li>
        </ul>
      </form>
    </div>
  );
}

/** Alertes : the guard's signals as they come (polled), and what it contains until a security officer releases it. */
export function Alerts() {
  const signals = useLoad(() => api<{ signals: Signal[] }>('/api/security/guard/signals?limit=50'));
  const containments = useLoad(() =>
    api<{ containments: Containment[] }>('/api/security/guard/containments?inForce=true&limit=100'),
  );
  const officer = useIsSecurityOfficer();
  const [releasing, setReleasing] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { reload: reloadSignals } = signals;
  const { reload: reloadContainments } = containments;
  useEffect(() => {
    const timer = setInterval(() => {
      reloadSignals();
      reloadContainments();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [reloadSignals, reloadContainments]);

  const inForce = containments.data?.containments ?? [];
  return (
    <>
      <PageTitle title="Alertes">Alertes et comptes confinés</PageTitle>
      <p className="fr-text--sm">Mise à jour automatique toutes les 10 secondes.</p>
      <SuccessNotice message={done} />
      <section aria-labelledby="contained-title" className="fr-mb-4w">
        <h2 id="contained-title" className="fr-h4">
          Confinements en cours
        </h2>
        <ErrorNotice error={containments.error} title="Confinements indisponibles" />
        {!containments.data && containments.loading ? <Loading /> : null}
        {containments.data && inForce.length === 0 ? <p>Aucun compte ni organisation n’est confiné.</p> : null}
        <div aria-live="polite">
          {inForce.map((c) => (
            <article key={c.id} className="rempart-box">
              <h3 className="fr-h6 fr-mb-1w">{who(c)}</h3>
              <p className="fr-mb-1w">
                {signalLabel(c.signal)} — {c.scope === 'organisation' || !c.actorLogin ? 'confinée' : 'confiné'} le{' '}
                {formatDateTime(c.containedAt)}
              </p>
              {releasing === c.id ? (
                <ReleaseForm
                  containment={c}
                  onCancel={() => setReleasing(null)}
                  onDone={(message) => {
                    setReleasing(null);
                    setDone(message);
                    reloadContainments();
                    reloadSignals();
                  }}
                />
              ) : !officer ? (
                <p className="fr-text--sm fr-mt-1w">Seul le responsable de la sécurité peut lever un confinement.</p>
              ) : (
                <Button
                  className="fr-mt-2w"
                  priority="secondary"
                  onClick={() => setReleasing(c.id)}
                  nativeButtonProps={{ 'aria-label': `Lever le confinement ${ofWho(c)}` }}
                >
                  Lever le confinement
                </Button>
              )}
            </article>
          ))}
        </div>
      </section>
      {officer ? <BreakGlassQueue /> : null}
      <section aria-labelledby="signals-title">
        <h2 id="signals-title" className="fr-h4">
          Derniers signaux
        </h2>
        <ErrorNotice error={signals.error} title="Signaux indisponibles" />
        {!signals.data && signals.loading ? <Loading /> : null}
        {signals.data && signals.data.signals.length === 0 ? <p>Aucun signal.</p> : null}
        {signals.data && signals.data.signals.length > 0 ? (
          <DataTable
            caption="Signaux de la garde, du plus récent au plus ancien"
            columns={['Date', 'Compte', 'Signal', 'Gravité', 'Dossiers lus']}
          >
            {signals.data.signals.map((s) => (
              <tr key={s.id}>
                <td>{formatDateTime(s.at)}</td>
                <td>{who(s)}</td>
                <td>{signalLabel(s.signal)}</td>
                <td>
                  {s.severity === 'contain' ? (
                    <span className="fr-badge fr-badge--error fr-badge--sm">Confinement</span>
                  ) : (
                    <span className="fr-badge fr-badge--warning fr-badge--sm">Alerte</span>
                  )}
                </td>
                <td>{s.personsRead}</td>
              </tr>
            ))}
          </DataTable>
        ) : null}
      </section>
    </>
  );
}
