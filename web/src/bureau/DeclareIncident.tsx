import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { VECTOR_LABELS_FR, VECTORS } from '../../../src/incidents/model.ts';
import { api } from '../app/api.ts';
import { ErrorNotice, useAction, useLoad } from '../app/ui.tsx';

/** A date-time field's value (the browser's local time) as an instant. */
const instant = (local: string) => new Date(local).toISOString();
/** Now, as a date-time field shows it. */
function localNow(): string {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** A date and time the desk must give. */
function Moment(props: { label: string; hint?: string; value: string; onChange(value: string): void }) {
  return (
    <Input
      label={props.label}
      {...(props.hint ? { hintText: props.hint } : {})}
      nativeInputProps={{
        type: 'datetime-local',
        required: true,
        value: props.value,
        onChange: (e) => props.onChange(e.target.value),
      }}
    />
  );
}

/**
 * « Déclarer un incident », from the desk (the API and the command line could already): what
 * happened, through which organisations, over which window, and since when the desk knows
 * (the 72-hour clock of Art. 33 starts there). Over several organisations it is a request a
 * second person approves.
 */
export function DeclareIncident({ onSubmitted }: { onSubmitted(message: string): void }) {
  const navigate = useNavigate();
  const organisations = useLoad(() =>
    api<{ organisations: Array<{ id: string; name: string }> }>('/api/security/compliance'),
  );
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState('');
  const [vector, setVector] = useState<string>('account_takeover');
  const [description, setDescription] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [windowFrom, setWindowFrom] = useState('');
  const [windowTo, setWindowTo] = useState(localNow);
  const [awareAt, setAwareAt] = useState(localNow);
  const declare = useAction(async (event: FormEvent) => {
    event.preventDefault();
    const answer = await api<{ reference?: string; message?: string }>('/api/security/incidents', {
      method: 'POST',
      body: {
        title: title.trim(),
        vector,
        description: description.trim(),
        compromised: { organisations: chosen },
        windowFrom: windowFrom ? instant(windowFrom) : '',
        windowTo: windowTo ? instant(windowTo) : '',
        awareAt: awareAt ? instant(awareAt) : '',
      },
    });
    if (answer.reference) void navigate(`/bureau/incidents/${encodeURIComponent(answer.reference)}`);
    else {
      setOpen(false);
      onSubmitted(answer.message ?? 'Déclaration soumise à une seconde personne.');
    }
  });
  if (!open)
    return (
      <p>
        <Button iconId="fr-icon-add-line" onClick={() => setOpen(true)}>
          Déclarer un incident
        </Button>
      </p>
    );
  return (
    <section aria-labelledby="declare-title" className="fr-mb-4w">
      <h2 id="declare-title" className="fr-h4">
        Déclarer un incident
      </h2>
      <p className="fr-text--sm">
        Le délai de 72 heures pour notifier la CNIL (RGPD, article 33) court à partir de la prise de connaissance. Quand
        plusieurs organisations sont concernées, la déclaration attend l’approbation d’une seconde personne.
      </p>
      <ErrorNotice error={declare.error} title="Déclaration refusée" />
      <form onSubmit={(event) => void declare.run(event)}>
        <Input
          label="Intitulé"
          nativeInputProps={{
            required: true,
            minLength: 3,
            maxLength: 200,
            value: title,
            onChange: (e) => setTitle(e.target.value),
          }}
        />
        <Select label="Vecteur" nativeSelectProps={{ value: vector, onChange: (e) => setVector(e.target.value) }}>
          {VECTORS.map((v) => (
            <option key={v} value={v}>
              {VECTOR_LABELS_FR[v]}
            </option>
          ))}
        </Select>
        <Input
          label="Circonstances, telles que connues"
          textArea
          nativeTextAreaProps={{
            required: true,
            minLength: 10,
            maxLength: 5000,
            rows: 4,
            value: description,
            onChange: (e) => setDescription(e.target.value),
          }}
        />
        <fieldset className="fr-fieldset">
          <legend className="fr-fieldset__legend fr-text--regular">Organisations dont les accès sont compromis</legend>
          {(organisations.data?.organisations ?? []).map((o) => (
            <div className="fr-fieldset__element" key={o.id}>
              <div className="fr-checkbox-group fr-checkbox-group--sm">
                <input
                  type="checkbox"
                  id={`org-${o.id}`}
                  checked={chosen.includes(o.id)}
                  onChange={(e) =>
                    setChosen((old) => (e.target.checked ? [...old, o.id] : old.filter((id) => id !== o.id)))
                  }
                />
                <label className="fr-label" htmlFor={`org-${o.id}`}>
                  {o.name}
                </label>
              </div>
            </div>
          ))}
        </fieldset>
        <Moment label="Début de la fenêtre de compromission" value={windowFrom} onChange={setWindowFrom} />
        <Moment label="Fin de la fenêtre de compromission" value={windowTo} onChange={setWindowTo} />
        <Moment
          label="Prise de connaissance"
          hint="Le délai de 72 heures court à partir de ce moment."
          value={awareAt}
          onChange={setAwareAt}
        />
        <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left">
          <li>
            <Button type="submit" disabled={declare.busy || chosen.length === 0}>
              Déclarer
            </Button>
          </li>
          <li>
            <Button type="button" priority="tertiary" onClick={() => setOpen(false)}>
              Annuler
            </Button>
          </li>
        </ul>
      </form>
    </section>
  );
}
