import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState, type FormEvent } from 'react';
import { api } from '../app/api.ts';
import { classLabel, formatDateTime, ofName } from '../app/format.ts';
import { ErrorNotice, Loading, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';
import './bureau.css';
import { SensitiveOutcome } from './sensitive.tsx';

interface BreakGlass {
  id: string;
  actorLogin: string;
  organisationName: string;
  purpose: string;
  caseReference: string;
  justification: string;
  classes: string[];
  grantedAt: string;
  expiresAt: string;
}

function Review({ item, onDone }: { item: BreakGlass; onDone: (message: string) => void }) {
  const [verdict, setVerdict] = useState<'justified' | 'abusive'>('justified');
  const [note, setNote] = useState('');
  const review = useAction(async () => {
    await api(`/api/security/break-glass/${item.id}/review`, { method: 'POST', body: { verdict, note } });
    onDone(
      verdict === 'justified'
        ? `Accès d’urgence ${ofName(item.actorLogin)} jugé justifié.`
        : `Accès d’urgence ${ofName(item.actorLogin)} jugé abusif : il cesse immédiatement.`,
    );
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void review.run();
  };
  const name = `verdict-${item.id}`;
  return (
    <div>
      <SensitiveOutcome error={review.error} retry={() => void review.run()} cancel={() => review.setError(null)} />
      <form onSubmit={submit} aria-label={`Revoir l’accès d’urgence ${ofName(item.actorLogin)}`}>
        <fieldset className="fr-fieldset">
          <legend className="fr-fieldset__legend fr-text--regular">Appréciation</legend>
          {(['justified', 'abusive'] as const).map((v) => (
            <div key={v} className="fr-fieldset__element fr-fieldset__element--inline">
              <div className="fr-radio-group">
                <input
                  type="radio"
                  id={`${name}-${v}`}
                  name={name}
                  checked={verdict === v}
                  onChange={() => setVerdict(v)}
                />
                <label className="fr-label" htmlFor={`${name}-${v}`}>
                  {v === 'justified' ? 'Justifié' : 'Abusif'}
                </label>
              </div>
            </div>
          ))}
        </fieldset>
        <Input
          label="Observation"
          nativeInputProps={{
            value: note,
            onChange: (e) => setNote(e.target.value),
            required: true,
            maxLength: 2000,
            name: 'note',
          }}
        />
        <Button type="submit" priority="secondary" disabled={review.busy}>
          Enregistrer l’appréciation
        </Button>
      </form>
    </div>
  );
}

/**
 * Accès d’urgence à revoir : every break-glass access waits for a security officer's judgement.
 * The queue is the security officer's alone (the page shows it to them only).
 */
export function BreakGlassQueue() {
  const queue = useLoad(() => api<{ items: BreakGlass[] }>('/api/security/break-glass?status=pending'));
  const [done, setDone] = useState<string | null>(null);
  return (
    <section aria-labelledby="break-glass-title" className="fr-mb-4w">
      <h2 id="break-glass-title" className="fr-h4">
        Accès d’urgence à revoir
      </h2>
      <SuccessNotice message={done} />
      <ErrorNotice error={queue.error} title="File de revue indisponible" />
      {!queue.data && queue.loading ? <Loading /> : null}
      {queue.data && queue.data.items.length === 0 ? <p>Aucun accès d’urgence en attente de revue.</p> : null}
      {queue.data?.items.map((item) => (
        <article key={item.id} className="rempart-box">
          <h3 className="fr-h6 fr-mb-1w">
            {item.actorLogin} ({item.organisationName})
          </h3>
          <p className="fr-mb-1w">
            Le {formatDateTime(item.grantedAt)}, dossier {item.caseReference}, finalité {item.purpose} :{' '}
            {item.classes.map(classLabel).join(', ')}. Motif déclaré : « {item.justification} ».
          </p>
          <Review
            item={item}
            onDone={(message) => {
              setDone(message);
              queue.reload();
            }}
          />
        </article>
      ))}
    </section>
  );
}
