import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState, type FormEvent } from 'react';
import { api } from '../app/api.ts';
import { DataTable } from '../app/DataTable.tsx';
import { classLabel, formatDate, formatDateTime } from '../app/format.ts';
import { needsStepUp, StepUp } from '../app/StepUp.tsx';
import { ErrorNotice, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';

/** GET …/rights-requests/:id/rectifications (src/privacy/rectification/service.ts RectificationView). */
interface RectificationView {
  id: string;
  class: string;
  classLabel: string;
  rectifiedAt: string;
  suppliedBy: { kind: 'person' | 'organisation'; organisationId: string | null; label: string };
  previousKept: boolean;
  recipients: Array<{
    organisationId: string;
    organisation: string;
    lastReadAt: string;
    acknowledgedAt: string | null;
  }>;
}

/** The parts a form offers for the classes rectified most (the others: their parts as JSON). */
const FORM_PARTS: Record<string, Array<{ part: string; label: string; hint?: string }>> = {
  contact: [
    { part: 'email', label: 'Adresse électronique' },
    { part: 'phone', label: 'Téléphone', hint: 'Format : 06 12 34 56 78 ou +33 6 12 34 56 78' },
  ],
  identity: [
    { part: 'lastName', label: 'Nom de naissance' },
    { part: 'usageName', label: 'Nom d’usage' },
    { part: 'firstNames', label: 'Prénoms', hint: 'Séparés par des virgules, dans l’ordre de l’état civil' },
    { part: 'birthDate', label: 'Date de naissance', hint: 'Format : AAAA-MM-JJ' },
    { part: 'birthPlace', label: 'Lieu de naissance' },
  ],
};
const ADDRESS_PARTS = [
  { part: 'line1', label: 'Adresse (numéro et voie)' },
  { part: 'line2', label: 'Complément d’adresse' },
  { part: 'postalCode', label: 'Code postal' },
  { part: 'communeCode', label: 'Code commune INSEE' },
  { part: 'commune', label: 'Commune' },
];
/** Bank details change only through their procedure; the others may be rectified. */
const RECTIFIABLE = [
  'identity',
  'contact',
  'nir',
  'id_document',
  'registration',
  'career',
  'follow_up',
  'benefits',
  'health',
  'judicial',
];

/**
 * Rectification (RGPD art. 16 and 19) on a rectification request: what was rectified, on whose
 * information, which organisations were told and whether they corrected their copies; and, while
 * the request is being worked, the form to write the right value (only the parts to correct).
 */
export function Rectification({ requestId, open }: { requestId: string; open: boolean }) {
  const done = useLoad(
    () => api<{ rectifications: RectificationView[] }>(`/api/security/rights-requests/${requestId}/rectifications`),
    [requestId],
  );
  const [message, setMessage] = useState<string | null>(null);
  const list = done.data?.rectifications ?? [];
  return (
    <section className="fr-mb-4w" aria-labelledby="rectifications">
      <h2 id="rectifications" className="fr-h4">
        Rectifications
      </h2>
      <SuccessNotice message={message} />
      <ErrorNotice error={done.error} title="Rectifications indisponibles" />
      {done.data && list.length === 0 ? <p>Aucune donnée n’a encore été rectifiée pour cette demande.</p> : null}
      {list.length > 0 ? (
        <DataTable
          caption="Données rectifiées et organismes avertis (article 19)"
          columns={['Donnée', 'Rectifiée le', 'Valeur juste fournie par', 'Organismes avertis', 'Ancienne valeur']}
        >
          {list.map((r) => (
            <tr key={r.id}>
              <td>{r.classLabel}</td>
              <td>{formatDateTime(r.rectifiedAt)}</td>
              <td>{r.suppliedBy.label}</td>
              <td>
                {r.recipients.length === 0 ? (
                  'Aucun : personne ne l’avait consultée depuis qu’elle avait été enregistrée'
                ) : (
                  <ul className="fr-m-0">
                    {r.recipients.map((recipient) => (
                      <li key={recipient.organisationId}>
                        {recipient.organisation}{' '}
                        {recipient.acknowledgedAt ? (
                          <Badge severity="success" small>
                            {`copies corrigées le ${formatDate(recipient.acknowledgedAt)}`}
                          </Badge>
                        ) : (
                          <Badge severity="warning" small>
                            en attente
                          </Badge>
                        )}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td>{r.previousKept ? <PreviousValue id={r.id} /> : 'Détruite ou inexistante'}</td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      {open ? (
        <RectifyForm
          requestId={requestId}
          onDone={(text) => {
            setMessage(text);
            done.reload();
          }}
        />
      ) : null}
    </section>
  );
}

/** The replaced value, shown on demand: the reading is written in the person's journal. */
function PreviousValue({ id }: { id: string }) {
  const [value, setValue] = useState<unknown>(undefined);
  const [retry, setRetry] = useState(false);
  const read = useAction(async () => {
    try {
      const previous = await api<{ class: string; fields: Record<string, unknown> }>(
        `/api/security/rectifications/${id}/previous`,
      );
      setRetry(false);
      setValue(previous.fields[previous.class]);
    } catch (error) {
      if (needsStepUp(error)) {
        setRetry(true);
        return;
      }
      throw error;
    }
  });
  if (value !== undefined) return <pre className="fr-text--xs fr-m-0">{JSON.stringify(value, null, 2)}</pre>;
  return (
    <>
      {retry ? <StepUp onPassed={() => void read.run()} onCancel={() => setRetry(false)} /> : null}
      <ErrorNotice error={read.error} />
      <Button size="small" priority="tertiary" disabled={read.busy} onClick={() => void read.run()}>
        Afficher (inscrit au journal de la personne)
      </Button>
    </>
  );
}

function RectifyForm({ requestId, onDone }: { requestId: string; onDone: (message: string) => void }) {
  const organisations = useLoad(() =>
    api<{ organisations: Array<{ id: string; name: string }> }>('/api/security/compliance'),
  );
  const [fieldClass, setFieldClass] = useState('contact');
  const [parts, setParts] = useState<Record<string, string>>({});
  const [json, setJson] = useState('');
  const [supplier, setSupplier] = useState('person');
  const [retry, setRetry] = useState(false);

  const changesOf = (): Record<string, unknown> => {
    const filled = (list: Array<{ part: string }>) =>
      Object.fromEntries(
        list
          .map(({ part }) => [part, (parts[part] ?? '').trim()] as const)
          .filter(([, value]) => value !== '')
          .map(([part, value]) => [
            part,
            part === 'firstNames'
              ? value
                  .split(',')
                  .map((v) => v.trim())
                  .filter(Boolean)
              : value,
          ]),
      );
    if (!FORM_PARTS[fieldClass]) return JSON.parse(json || '{}') as Record<string, unknown>;
    const changes: Record<string, unknown> = filled(FORM_PARTS[fieldClass]);
    if (fieldClass === 'contact') {
      const address = filled(ADDRESS_PARTS);
      if (Object.keys(address).length) changes.address = address;
    }
    return changes;
  };

  const rectify = useAction(async () => {
    let changes: Record<string, unknown>;
    try {
      changes = changesOf();
    } catch {
      throw new Error('Les parties à corriger doivent être un objet JSON, par exemple {"situation": "…"}.');
    }
    try {
      await api(`/api/security/rights-requests/${requestId}/rectifications`, {
        method: 'POST',
        body: {
          changes: { [fieldClass]: changes },
          suppliedBy: supplier === 'person' ? { kind: 'person' } : { kind: 'organisation', organisationId: supplier },
        },
      });
    } catch (error) {
      if (needsStepUp(error)) {
        setRetry(true);
        return;
      }
      throw error;
    }
    setRetry(false);
    setParts({});
    setJson('');
    onDone(`« ${classLabel(fieldClass)} » rectifiée ; les organismes qui l’avaient consultée sont avertis.`);
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void rectify.run();
  };
  const field = ({ part, label, hint }: { part: string; label: string; hint?: string }) => (
    <Input
      key={part}
      label={label}
      {...(hint ? { hintText: hint } : {})}
      nativeInputProps={{
        name: part,
        value: parts[part] ?? '',
        onChange: (e) => setParts({ ...parts, [part]: e.target.value }),
      }}
    />
  );

  return (
    <form onSubmit={submit} className="fr-mt-3w" aria-labelledby="rectifier">
      <h3 id="rectifier" className="fr-h5">
        Rectifier une donnée
      </h3>
      <p className="fr-text--sm">
        Ne remplissez que ce qui est à corriger : le reste de la donnée ne change pas. L’ancienne valeur reste lisible
        par vous jusqu’à la fin de sa durée de conservation ; chaque organisme qui l’a consultée depuis qu’elle avait
        été enregistrée est averti.
      </p>
      {retry ? <StepUp onPassed={() => void rectify.run()} onCancel={() => setRetry(false)} /> : null}
      <ErrorNotice error={rectify.error} title="Rectification impossible" />
      <Select
        label="Donnée à rectifier"
        nativeSelectProps={{ value: fieldClass, onChange: (e) => setFieldClass(e.target.value) }}
      >
        {RECTIFIABLE.map((c) => (
          <option key={c} value={c}>
            {classLabel(c)}
          </option>
        ))}
      </Select>
      {FORM_PARTS[fieldClass] ? (
        <>
          {FORM_PARTS[fieldClass].map(field)}
          {fieldClass === 'contact' ? (
            <fieldset className="fr-fieldset">
              <legend className="fr-fieldset__legend fr-text--regular">Adresse postale (tous ses champs)</legend>
              <div className="fr-fieldset__element">{ADDRESS_PARTS.map(field)}</div>
            </fieldset>
          ) : null}
        </>
      ) : (
        <Input
          textArea
          label="Parties à corriger (JSON)"
          hintText="Un objet dont chaque clé est une partie de la donnée, au format du dossier ; null retire une partie."
          nativeTextAreaProps={{ name: 'json', value: json, rows: 4, onChange: (e) => setJson(e.target.value) }}
        />
      )}
      <Select
        label="Valeur juste fournie par"
        nativeSelectProps={{ value: supplier, onChange: (e) => setSupplier(e.target.value) }}
      >
        <option value="person">la personne concernée</option>
        {(organisations.data?.organisations ?? []).map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </Select>
      <Button type="submit" disabled={rectify.busy}>
        Rectifier
      </Button>
    </form>
  );
}
