import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api } from '../app/api.ts';
import { DataTable } from '../app/DataTable.tsx';
import { formatDate, formatDateTime } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';

/** GET /api/me/monthly-update (src/updates/model.ts UpdateState). */
interface Work {
  employer: string;
  hours: number;
  grossCents: number;
}
interface Declaration {
  stillLooking: boolean;
  works: Work[];
  training: boolean;
  sickness: boolean;
  parentalLeave: boolean;
  retirement: boolean;
  invalidity: boolean;
}
interface UpdateState {
  required: boolean;
  open: { period: string; opensAt: string; closesAt: string } | null;
  nextOpensAt: string;
  declarations: Array<{
    period: string;
    version: number;
    declaredAt: string;
    correction: boolean;
    declaration: Declaration;
  }>;
}

const MONTH = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', month: 'long', year: 'numeric' });
const monthOf = (period: string) => MONTH.format(new Date(`${period}-01T00:00:00Z`));
const euros = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });

const SITUATIONS: Array<[keyof Omit<Declaration, 'works' | 'stillLooking'>, string]> = [
  ['training', 'J’ai suivi une formation'],
  ['sickness', 'J’ai été en arrêt maladie'],
  ['parentalLeave', 'J’ai été en congé de maternité ou de paternité'],
  ['retirement', 'Je suis à la retraite'],
  ['invalidity', 'Je perçois une pension d’invalidité'],
];

type WorkDraft = { employer: string; hours: string; gross: string };

/**
 * « M'actualiser » (issue 25 §2): once a month, from the 28th to the 15th, the person says on
 * their honour what their month was; they may correct it until the 15th. Missed, the registration
 * ends — said here before it happens, and how to come back.
 */
export function MonthlyUpdatePage() {
  const state = useLoad(() => api<UpdateState>('/api/me/monthly-update'));
  const [stillLooking, setStillLooking] = useState<boolean | null>(null);
  const [worked, setWorked] = useState<boolean | null>(null);
  const [works, setWorks] = useState<WorkDraft[]>([{ employer: '', hours: '', gross: '' }]);
  const [situations, setSituations] = useState<Record<string, boolean>>({});
  const [sworn, setSworn] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const send = useAction(async () => {
    const body = {
      period: state.data!.open!.period,
      stillLooking: stillLooking ?? false,
      works: worked
        ? works.map((w) => ({
            employer: w.employer.trim(),
            hours: Number.parseInt(w.hours, 10),
            grossCents: Math.round(Number.parseFloat(w.gross.replace(',', '.')) * 100),
          }))
        : [],
      ...Object.fromEntries(SITUATIONS.map(([key]) => [key, situations[key] ?? false])),
      sworn,
    };
    const saved = await api<{ version: number; period: string }>('/api/me/monthly-update', { method: 'POST', body });
    setDone(
      saved.version > 1
        ? `Votre actualisation de ${monthOf(saved.period)} est corrigée.`
        : `Votre actualisation de ${monthOf(saved.period)} est enregistrée.`,
    );
    setSworn(false);
    state.reload();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void send.run();
  };
  const setWork = (i: number, part: keyof WorkDraft, value: string) =>
    setWorks(works.map((w, j) => (j === i ? { ...w, [part]: value } : w)));

  const data = state.data;
  const ofOpenMonth = data?.open ? data.declarations.filter((d) => d.period === data.open!.period) : [];
  return (
    <>
      <PageTitle title="M’actualiser">M’actualiser</PageTitle>
      <ErrorNotice error={state.error} title="Actualisation indisponible" />
      {!data && state.loading ? <Loading /> : null}
      {data && !data.required ? (
        <Alert
          severity="info"
          small={false}
          title="Aucune actualisation ne vous est demandée"
          description={
            <>
              Votre inscription ne demande pas d’actualisation mensuelle (catégories D et E, ou inscription terminée).
              Si votre inscription a pris fin et que vous cherchez un emploi,{' '}
              <Link to="/mon-espace/reinscription">réinscrivez-vous ici</Link> ou auprès de votre agence.
            </>
          }
          className="fr-mb-3w"
        />
      ) : null}
      {data?.required && !data.open ? (
        <p>
          L’actualisation n’est pas ouverte : la prochaine ouvre le <strong>{formatDate(data.nextOpensAt)}</strong>.
        </p>
      ) : null}
      {data?.required && data.open ? (
        <form onSubmit={submit} className="fr-mb-4w" aria-labelledby="actualisation">
          <h2 id="actualisation" className="fr-h4">
            {`Votre situation en ${monthOf(data.open.period)}`}
          </h2>
          <p>
            À déclarer avant le <strong>{formatDateTime(data.open.closesAt)}</strong>
            {ofOpenMonth.length ? ' (vous pouvez corriger votre déclaration jusque-là)' : ''}. Sans actualisation, votre
            inscription prend fin : ce n’est pas une sanction, et vous pourrez vous réinscrire.
          </p>
          <SuccessNotice message={done} />
          <ErrorNotice error={send.error} title="Actualisation non enregistrée" />
          <RadioButtons
            legend="Êtes-vous toujours à la recherche d’un emploi ?"
            name="stillLooking"
            options={[
              {
                label: 'Oui',
                nativeInputProps: { checked: stillLooking === true, onChange: () => setStillLooking(true) },
              },
              {
                label: 'Non',
                nativeInputProps: { checked: stillLooking === false, onChange: () => setStillLooking(false) },
              },
            ]}
          />
          <RadioButtons
            legend="Avez-vous travaillé ce mois-ci ?"
            name="worked"
            options={[
              { label: 'Oui', nativeInputProps: { checked: worked === true, onChange: () => setWorked(true) } },
              { label: 'Non', nativeInputProps: { checked: worked === false, onChange: () => setWorked(false) } },
            ]}
          />
          {worked ? (
            <fieldset className="fr-fieldset">
              <legend className="fr-fieldset__legend fr-text--regular">Chaque contrat du mois</legend>
              {works.map((w, i) => (
                <div key={i} className="fr-fieldset__element">
                  <Input
                    label={`Employeur (contrat ${i + 1})`}
                    nativeInputProps={{ value: w.employer, onChange: (e) => setWork(i, 'employer', e.target.value) }}
                  />
                  <Input
                    label={`Heures travaillées (contrat ${i + 1})`}
                    nativeInputProps={{
                      inputMode: 'numeric',
                      value: w.hours,
                      onChange: (e) => setWork(i, 'hours', e.target.value),
                    }}
                  />
                  <Input
                    label={`Salaire brut en euros (contrat ${i + 1})`}
                    hintText="Par exemple 423,50"
                    nativeInputProps={{
                      inputMode: 'decimal',
                      value: w.gross,
                      onChange: (e) => setWork(i, 'gross', e.target.value),
                    }}
                  />
                </div>
              ))}
              <Button
                type="button"
                priority="secondary"
                size="small"
                onClick={() => setWorks([...works, { employer: '', hours: '', gross: '' }])}
              >
                Ajouter un contrat
              </Button>
            </fieldset>
          ) : null}
          <Checkbox
            legend="Ce mois-ci (cochez ce qui s’applique)"
            options={SITUATIONS.map(([key, label]) => ({
              label,
              nativeInputProps: {
                checked: situations[key] ?? false,
                onChange: (e) => setSituations({ ...situations, [key]: e.target.checked }),
              },
            }))}
          />
          <Checkbox
            options={[
              {
                label: 'Je déclare sur l’honneur l’exactitude de ces informations',
                hintText: 'Une fausse déclaration peut entraîner le remboursement des sommes perçues.',
                nativeInputProps: { checked: sworn, onChange: (e) => setSworn(e.target.checked) },
              },
            ]}
          />
          <Button type="submit" disabled={send.busy || stillLooking === null || worked === null}>
            {ofOpenMonth.length ? 'Corriger mon actualisation' : 'M’actualiser'}
          </Button>
        </form>
      ) : null}
      {data && data.declarations.length > 0 ? (
        <DataTable
          caption="Mes actualisations"
          columns={['Mois', 'Déclarée le', 'Travail déclaré', 'Recherche d’emploi']}
        >
          {data.declarations.map((d) => (
            <tr key={`${d.period}-${d.version}`}>
              <td>
                {monthOf(d.period)}
                {d.correction ? ` (correction ${d.version - 1})` : ''}
              </td>
              <td>{formatDateTime(d.declaredAt)}</td>
              <td>
                {d.declaration.works.length === 0
                  ? 'aucun'
                  : d.declaration.works
                      .map((w) => `${w.employer} : ${w.hours} h, ${euros.format(w.grossCents / 100)} brut`)
                      .join(' ; ')}
              </td>
              <td>{d.declaration.stillLooking ? 'oui' : 'non'}</td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </>
  );
}
