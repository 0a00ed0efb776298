import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { PasswordInput } from '@codegouvfr/react-dsfr/blocks/PasswordInput';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Stepper } from '@codegouvfr/react-dsfr/Stepper';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { ROME_LABELS } from '../../../src/domain/rome.ts';
import { api, ApiError } from './api.ts';
import { fieldError } from './errors.ts';
import { formatDate } from './format.ts';
import { ErrorNotice, PageTitle, useAction } from './ui.tsx';

const TOKEN_HEADER = 'x-registration-token';
const ROMES = Object.entries(ROME_LABELS).sort((a, b) => a[1].localeCompare(b[1], 'fr'));

interface Diploma {
  title: string;
  level: string;
  year: string;
}
interface Job {
  romeCode: string;
  title: string;
  employer: string;
  from: string;
  to: string;
}

/** The form as typed (strings), saved in the draft — except the NIR and the password, never saved. */
export interface Form {
  lastName: string;
  usageName: string;
  firstNames: string;
  sex: string;
  birthDate: string;
  birthPlace: string;
  phone: string;
  line1: string;
  line2: string;
  postalCode: string;
  communeCode: string;
  commune: string;
  paper: boolean;
  diplomas: Diploma[];
  jobs: Job[];
  soughtJobs: string[];
  availableFrom: string;
  workingTime: string;
  contract: string;
  maxDistanceKm: string;
  transport: string[];
  drivingLicence: string;
  situation: string;
  hoursLastMonth: string;
}

export const EMPTY: Form = {
  lastName: '',
  usageName: '',
  firstNames: '',
  sex: '',
  birthDate: '',
  birthPlace: '',
  phone: '',
  line1: '',
  line2: '',
  postalCode: '',
  communeCode: '',
  commune: '',
  paper: false,
  diplomas: [],
  jobs: [],
  soughtJobs: [],
  availableFrom: '',
  workingTime: 'full_time',
  contract: 'permanent',
  maxDistanceKm: '',
  transport: [],
  drivingLicence: '',
  situation: '',
  hoursLastMonth: '',
};

const STEPS = [
  'Identité',
  'Coordonnées',
  'Formation et expérience',
  'Métiers recherchés',
  'Disponibilité et mobilité',
  'Situation',
  'Mot de passe et envoi',
] as const;

/** Which step holds a field the server named (`body.registration.identity.birthDate` → Identité). */
function stepOf(field: string): number {
  const path = field.replace(/^body\.(registration\.)?/, '');
  if (/^(identity|nir)/.test(path)) return 0;
  if (/^contact/.test(path)) return 1;
  if (/^(education|experience)/.test(path)) return 2;
  if (/^soughtJobs/.test(path)) return 3;
  if (/^(availability|mobility)/.test(path)) return 4;
  if (/^situation/.test(path)) return 5;
  return 6;
}

const TRANSPORTS: Array<[string, string]> = [
  ['car', 'Voiture'],
  ['motorbike', 'Deux-roues motorisé'],
  ['public_transport', 'Transports en commun'],
  ['bike', 'Vélo'],
  ['walk', 'À pied'],
];
const SITUATIONS: Array<[string, string, string]> = [
  ['available', 'Je n’ai pas d’emploi et je suis disponible tout de suite', 'catégorie A'],
  ['reduced_activity', 'J’ai travaillé un peu le mois dernier et je cherche un emploi', 'catégorie B ou C'],
  ['training', 'Je suis en formation', 'catégorie D'],
  ['sickness', 'Je suis en arrêt maladie', 'catégorie D'],
  ['other_unavailable', 'Je ne suis pas disponible tout de suite pour une autre raison', 'catégorie D'],
  ['employed', 'J’ai un emploi et j’en cherche un autre', 'catégorie E'],
];

const trimmed = (s: string) => s.trim();
const optional = <K extends string>(key: K, value: string) => (value.trim() ? { [key]: value.trim() } : {});
const int = (s: string) => (s.trim() === '' ? undefined : Number.parseInt(s, 10));

/** The form as the API takes it (src/registration/model.ts RegistrationInputSchema). */
function inputOf(form: Form, email: string, nir: string) {
  const address = form.line1.trim()
    ? {
        address: {
          line1: form.line1.trim(),
          ...optional('line2', form.line2),
          postalCode: form.postalCode.trim(),
          communeCode: form.communeCode.trim(),
          commune: form.commune.trim(),
        },
      }
    : {};
  return {
    identity: {
      lastName: form.lastName.trim(),
      ...optional('usageName', form.usageName),
      firstNames: form.firstNames
        .split(/[\s,]+/)
        .map(trimmed)
        .filter(Boolean),
      sex: form.sex,
      birthDate: form.birthDate,
      ...optional('birthPlace', form.birthPlace),
    },
    nir: nir.replace(/\s/g, ''),
    contact: { email, ...optional('phone', form.phone), ...address },
    education: form.diplomas.map((d) => ({
      title: d.title.trim(),
      ...(int(d.level) !== undefined ? { level: int(d.level) } : {}),
      ...(int(d.year) !== undefined ? { year: int(d.year) } : {}),
    })),
    experience: form.jobs.map((j) => ({
      romeCode: j.romeCode,
      title: j.title.trim(),
      ...optional('employer', j.employer),
      from: j.from,
      ...optional('to', j.to),
    })),
    soughtJobs: form.soughtJobs,
    availability: { availableFrom: form.availableFrom, workingTime: form.workingTime, contract: form.contract },
    mobility: {
      maxDistanceKm: int(form.maxDistanceKm) ?? Number.NaN,
      transport: form.transport,
      drivingLicence: form.drivingLicence === 'yes',
    },
    situation: {
      kind: form.situation,
      ...(form.situation === 'reduced_activity' && int(form.hoursLastMonth) !== undefined
        ? { hoursLastMonth: int(form.hoursLastMonth) }
        : {}),
    },
  };
}

interface DraftView {
  email: string;
  draft: { step?: number; form?: Partial<Form> } | null;
  savedAt: string | null;
  expiresAt: string;
}
type Submitted =
  | {
      outcome: 'registered';
      franceTravailId: string;
      category: string;
      administrativeCategory: number;
      registeredOn: string;
      login: string;
      message: string;
    }
  | { outcome: 'pending_check'; message: string };

/**
 * « M’inscrire comme demandeur d’emploi » (issue 25 §1): the person proves an e-mail address with a
 * code, fills the steps (a draft kept 15 days, resumed by proving the address again), chooses a
 * password, and sends. The NIR identifies them; it is neither a login nor a secret, and it is
 * never saved in the draft nor shown back.
 */
export function Registration() {
  const [email, setEmail] = useState('');
  const [codeSent, setCodeSent] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [token, setToken] = useState<string | null>(null);
  const [step, setStep] = useState(0);
  const [form, setForm] = useState<Form>(EMPTY);
  const [nir, setNir] = useState('');
  const [password, setPassword] = useState('');
  const [saved, setSaved] = useState<{ savedAt: string | null; expiresAt: string } | null>(null);
  const [resumed, setResumed] = useState(false);
  const [done, setDone] = useState<Submitted | null>(null);
  const [stepError, setStepError] = useState<string | null>(null);
  const headers = token ? { [TOKEN_HEADER]: token } : undefined;

  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));

  const askCode = useAction(async (event: FormEvent) => {
    event.preventDefault();
    const answer = await api<{ message: string }>('/api/registration/code', {
      method: 'POST',
      body: { email: email.trim() },
      quiet401: true,
    });
    setCodeSent(answer.message);
  });
  const verify = useAction(async (event: FormEvent) => {
    event.preventDefault();
    const answer = await api<DraftView & { token: string }>('/api/registration/verify', {
      method: 'POST',
      body: { email: email.trim(), code: code.trim() },
      quiet401: true,
    });
    setToken(answer.token);
    setEmail(answer.email);
    if (answer.draft?.form) {
      setForm({ ...EMPTY, ...answer.draft.form });
      setStep(Math.min(Math.max(answer.draft.step ?? 0, 0), STEPS.length - 1));
      setResumed(true);
    }
    setSaved({ savedAt: answer.savedAt, expiresAt: answer.expiresAt });
  });
  const save = useAction(async (next: number) => {
    const answer = await api<DraftView>('/api/registration/draft', {
      method: 'PUT',
      body: { draft: { step: next, form } },
      ...(headers ? { headers } : {}),
      quiet401: true,
    });
    setSaved({ savedAt: answer.savedAt, expiresAt: answer.expiresAt });
    setStep(next);
    setStepError(null);
    window.scrollTo(0, 0);
  });
  const submit = useAction(async (event: FormEvent) => {
    event.preventDefault();
    try {
      const answer = await api<Submitted>('/api/registration/submit', {
        method: 'POST',
        body: { registration: inputOf(form, email, nir), password, paper: form.paper },
        ...(headers ? { headers } : {}),
        quiet401: true,
      });
      setDone(answer);
    } catch (error) {
      // A refused field: back to its step, where its message is shown beside it.
      if (error instanceof ApiError && error.issues[0]) {
        setStep(stepOf(error.issues[0].field));
        setStepError(error.issues.length > 1 ? `${error.issues.length} champs sont à corriger.` : null);
      }
      throw error;
    }
  });

  /** The server's message for a field of the registration, to show beside it. */
  const err = (field: string) => fieldError(submit.error, `registration.${field}`);
  const state = (field: string) => (err(field) ? { state: 'error' as const, stateRelatedMessage: err(field) } : {});

  const next = (event: FormEvent) => {
    event.preventDefault();
    void save.run(step + 1);
  };

  if (done)
    return (
      <>
        <PageTitle title="Inscription">Votre inscription</PageTitle>
        {done.outcome === 'registered' ? (
          <>
            <Alert
              severity="success"
              small={false}
              title="Votre inscription est enregistrée"
              description={done.message}
              role="status"
            />
            <dl className="fr-mt-3w">
              <dt>Identifiant France Travail</dt>
              <dd data-testid="france-travail-id">{done.franceTravailId}</dd>
              <dt>Inscrit(e) depuis le</dt>
              <dd>{formatDate(done.registeredOn)}</dd>
              <dt>Catégorie d’inscription</dt>
              <dd>
                {done.administrativeCategory} (catégorie statistique {done.category})
              </dd>
              <dt>Identifiant de connexion</dt>
              <dd>{done.login}</dd>
            </dl>
            <p>
              <Link to="/connexion" className="fr-btn">
                Me connecter à mon espace
              </Link>
            </p>
          </>
        ) : (
          <Alert
            severity="info"
            small={false}
            title="Votre demande est en cours de vérification"
            description={done.message}
            role="status"
          />
        )}
      </>
    );

  return (
    <>
      <PageTitle title="M’inscrire comme demandeur d’emploi">M’inscrire comme demandeur d’emploi</PageTitle>
      {!token ? (
        <>
          <p>
            Commencez par votre adresse électronique : nous vous envoyons un code pour la confirmer. Elle sera votre
            identifiant de connexion. Votre brouillon est conservé 15 jours : pour le reprendre, revenez ici avec la
            même adresse.
          </p>
          {!codeSent ? (
            <form onSubmit={(e) => void askCode.run(e)}>
              <ErrorNotice error={askCode.error} title="Envoi impossible" />
              <Input
                label="Adresse électronique"
                nativeInputProps={{
                  name: 'email',
                  type: 'email',
                  autoComplete: 'email',
                  required: true,
                  value: email,
                  onChange: (e) => setEmail(e.target.value),
                }}
              />
              <Button type="submit" disabled={askCode.busy}>
                Recevoir un code
              </Button>
            </form>
          ) : (
            <form onSubmit={(e) => void verify.run(e)}>
              <Alert severity="info" small description={codeSent} className="fr-mb-3w" />
              <ErrorNotice error={verify.error} title="Code refusé" />
              <Input
                label="Code reçu par courriel"
                nativeInputProps={{
                  name: 'code',
                  autoComplete: 'one-time-code',
                  inputMode: 'numeric',
                  required: true,
                  value: code,
                  onChange: (e) => setCode(e.target.value),
                }}
              />
              <Button type="submit" disabled={verify.busy}>
                Confirmer mon adresse
              </Button>
            </form>
          )}
        </>
      ) : (
        <>
          <Stepper
            currentStep={step + 1}
            stepCount={STEPS.length}
            title={STEPS[step]}
            {...(step + 1 < STEPS.length ? { nextTitle: STEPS[step + 1] } : {})}
          />
          {resumed ? (
            <Alert
              severity="info"
              small
              description="Votre brouillon a été repris. Pour votre sécurité, votre numéro de sécurité sociale n’y est pas conservé : saisissez-le de nouveau."
              className="fr-mb-3w"
            />
          ) : null}
          {saved?.savedAt ? (
            <p className="fr-text--sm" role="status">
              Brouillon enregistré, conservé jusqu’au {formatDate(saved.expiresAt)}.
            </p>
          ) : null}
          <ErrorNotice error={save.error} title="Enregistrement impossible" />
          <ErrorNotice error={submit.error} title="Inscription refusée" />
          {stepError ? <p className="fr-error-text">{stepError}</p> : null}
          {step < STEPS.length - 1 ? (
            <form onSubmit={next} noValidate>
              {step === 0 ? (
                <IdentityStep form={form} set={set} nir={nir} setNir={setNir} state={state} />
              ) : step === 1 ? (
                <ContactStep form={form} set={set} email={email} state={state} />
              ) : step === 2 ? (
                <CareerStep form={form} set={set} state={state} />
              ) : step === 3 ? (
                <SoughtJobsStep form={form} set={set} state={state} />
              ) : step === 4 ? (
                <AvailabilityStep form={form} set={set} state={state} />
              ) : (
                <SituationStep form={form} set={set} state={state} />
              )}
              <StepButtons step={step} busy={save.busy} back={() => setStep(step - 1)} />
            </form>
          ) : (
            <form onSubmit={(e) => void submit.run(e)} noValidate>
              <p>
                Choisissez le mot de passe de votre espace personnel. Votre identifiant de connexion sera{' '}
                <strong>{email}</strong>.
              </p>
              <PasswordInput
                label="Mot de passe"
                messages={[
                  { message: '12 caractères au moins ; une phrase de quelques mots est plus sûre.', severity: 'info' },
                  ...(fieldError(submit.error, 'password')
                    ? [{ message: fieldError(submit.error, 'password'), severity: 'error' as const }]
                    : []),
                ]}
                nativeInputProps={{
                  name: 'password',
                  autoComplete: 'new-password',
                  required: true,
                  value: password,
                  onChange: (e) => setPassword(e.target.value),
                }}
              />
              <p className="fr-text--sm">
                En envoyant ce formulaire, vous déclarez sur l’honneur l’exactitude des informations données. Vous
                recevrez une confirmation par courriel{form.paper ? ' et par courrier' : ''}.
              </p>
              <div className="fr-btns-group fr-btns-group--inline">
                <Button type="button" priority="secondary" onClick={() => setStep(step - 1)}>
                  Étape précédente
                </Button>
                <Button type="submit" disabled={submit.busy}>
                  Envoyer mon inscription
                </Button>
              </div>
            </form>
          )}
        </>
      )}
    </>
  );
}

export type Setter = <K extends keyof Form>(key: K, value: Form[K]) => void;
export type FieldState = (field: string) => { state?: 'error'; stateRelatedMessage?: string };

function StepButtons({ step, busy, back }: { step: number; busy: boolean; back: () => void }) {
  return (
    <div className="fr-btns-group fr-btns-group--inline fr-mt-3w">
      {step > 0 ? (
        <Button type="button" priority="secondary" onClick={back}>
          Étape précédente
        </Button>
      ) : null}
      <Button type="submit" disabled={busy}>
        Enregistrer et continuer
      </Button>
    </div>
  );
}

function Text({
  label,
  hint,
  name,
  value,
  onChange,
  type = 'text',
  autoComplete,
  fieldState,
}: {
  label: string;
  hint?: ReactNode;
  name: string;
  value: string;
  onChange: (v: string) => void;
  type?: string;
  autoComplete?: string;
  fieldState: { state?: 'error'; stateRelatedMessage?: string };
}) {
  return (
    <Input
      label={label}
      {...(hint ? { hintText: hint } : {})}
      {...fieldState}
      nativeInputProps={{
        name,
        type,
        value,
        ...(autoComplete ? { autoComplete } : {}),
        onChange: (e) => onChange(e.target.value),
      }}
    />
  );
}

function IdentityStep({
  form,
  set,
  nir,
  setNir,
  state,
}: {
  form: Form;
  set: Setter;
  nir: string;
  setNir: (v: string) => void;
  state: FieldState;
}) {
  return (
    <fieldset className="fr-mb-3w">
      <Text
        label="Nom de naissance"
        name="lastName"
        autoComplete="family-name"
        value={form.lastName}
        onChange={(v) => set('lastName', v)}
        fieldState={state('identity.lastName')}
      />
      <Text
        label="Nom d’usage (facultatif)"
        name="usageName"
        value={form.usageName}
        onChange={(v) => set('usageName', v)}
        fieldState={state('identity.usageName')}
      />
      <Text
        label="Prénoms"
        hint="Dans l’ordre de l’état civil, séparés par des espaces"
        name="firstNames"
        autoComplete="given-name"
        value={form.firstNames}
        onChange={(v) => set('firstNames', v)}
        fieldState={state('identity.firstNames')}
      />
      <RadioButtons
        legend="Sexe"
        orientation="horizontal"
        {...state('identity.sex')}
        options={[
          { label: 'Femme', nativeInputProps: { checked: form.sex === 'F', onChange: () => set('sex', 'F') } },
          { label: 'Homme', nativeInputProps: { checked: form.sex === 'M', onChange: () => set('sex', 'M') } },
        ]}
      />
      <Text
        label="Date de naissance"
        name="birthDate"
        type="date"
        autoComplete="bday"
        value={form.birthDate}
        onChange={(v) => set('birthDate', v)}
        fieldState={state('identity.birthDate')}
      />
      <Text
        label="Lieu de naissance (facultatif)"
        name="birthPlace"
        value={form.birthPlace}
        onChange={(v) => set('birthPlace', v)}
        fieldState={state('identity.birthPlace')}
      />
      <Text
        label="Numéro de sécurité sociale (NIR)"
        hint="15 caractères, clé comprise. Il sert uniquement à vous identifier : ce n’est ni un identifiant de connexion ni un mot de passe, et il n’est jamais conservé dans votre brouillon."
        name="nir"
        autoComplete="off"
        value={nir}
        onChange={setNir}
        fieldState={state('nir')}
      />
    </fieldset>
  );
}

function ContactStep({ form, set, email, state }: { form: Form; set: Setter; email: string; state: FieldState }) {
  return (
    <fieldset className="fr-mb-3w">
      <p>
        Adresse électronique confirmée : <strong>{email}</strong>
      </p>
      <Text
        label="Téléphone (facultatif)"
        name="phone"
        type="tel"
        autoComplete="tel"
        value={form.phone}
        onChange={(v) => set('phone', v)}
        fieldState={state('contact.phone')}
      />
      <Text
        label="Adresse postale (facultatif)"
        hint="Numéro et voie"
        name="line1"
        autoComplete="address-line1"
        value={form.line1}
        onChange={(v) => set('line1', v)}
        fieldState={state('contact.address.line1')}
      />
      <Text
        label="Complément d’adresse (facultatif)"
        name="line2"
        autoComplete="address-line2"
        value={form.line2}
        onChange={(v) => set('line2', v)}
        fieldState={state('contact.address.line2')}
      />
      <Text
        label="Code postal"
        name="postalCode"
        autoComplete="postal-code"
        value={form.postalCode}
        onChange={(v) => set('postalCode', v)}
        fieldState={state('contact.address.postalCode')}
      />
      <Text
        label="Commune"
        name="commune"
        autoComplete="address-level2"
        value={form.commune}
        onChange={(v) => set('commune', v)}
        fieldState={state('contact.address.commune')}
      />
      <Text
        label="Code INSEE de la commune"
        hint="5 caractères, par exemple 33063 pour Bordeaux"
        name="communeCode"
        value={form.communeCode}
        onChange={(v) => set('communeCode', v)}
        fieldState={state('contact.address.communeCode')}
      />
      <Checkbox
        {...state('contact.address')}
        options={[
          {
            label: 'Je souhaite recevoir mes courriers par la poste',
            hintText: 'Tous les avis vous seront aussi envoyés par courrier, à l’adresse postale ci-dessus.',
            nativeInputProps: { name: 'paper', checked: form.paper, onChange: (e) => set('paper', e.target.checked) },
          },
        ]}
      />
    </fieldset>
  );
}

function CareerStep({ form, set, state }: { form: Form; set: Setter; state: FieldState }) {
  const setDiploma = (i: number, key: keyof Diploma, v: string) =>
    set(
      'diplomas',
      form.diplomas.map((d, j) => (j === i ? { ...d, [key]: v } : d)),
    );
  const setJob = (i: number, key: keyof Job, v: string) =>
    set(
      'jobs',
      form.jobs.map((d, j) => (j === i ? { ...d, [key]: v } : d)),
    );
  return (
    <>
      <h2 className="fr-h5">Formation</h2>
      {form.diplomas.map((d, i) => (
        <fieldset key={i} className="fr-mb-3w" aria-label={`Diplôme ${i + 1}`}>
          <Text
            label="Diplôme"
            name={`diploma-${i}`}
            value={d.title}
            onChange={(v) => setDiploma(i, 'title', v)}
            fieldState={state(`education.${i}.title`)}
          />
          <Select
            label="Niveau (facultatif)"
            {...state(`education.${i}.level`)}
            nativeSelectProps={{ value: d.level, onChange: (e) => setDiploma(i, 'level', e.target.value) }}
          >
            <option value="">—</option>
            <option value="3">3 — CAP, BEP</option>
            <option value="4">4 — Baccalauréat</option>
            <option value="5">5 — Bac + 2</option>
            <option value="6">6 — Licence, Bac + 3</option>
            <option value="7">7 — Master, Bac + 5</option>
            <option value="8">8 — Doctorat</option>
          </Select>
          <Text
            label="Année d’obtention (facultatif)"
            name={`diploma-year-${i}`}
            value={d.year}
            onChange={(v) => setDiploma(i, 'year', v)}
            fieldState={state(`education.${i}.year`)}
          />
        </fieldset>
      ))}
      <Button
        type="button"
        priority="tertiary"
        onClick={() => set('diplomas', [...form.diplomas, { title: '', level: '', year: '' }])}
      >
        Ajouter un diplôme
      </Button>
      <h2 className="fr-h5 fr-mt-4w">Expérience professionnelle</h2>
      {form.jobs.map((j, i) => (
        <fieldset key={i} className="fr-mb-3w" aria-label={`Expérience ${i + 1}`}>
          <Select
            label="Métier"
            {...state(`experience.${i}.romeCode`)}
            nativeSelectProps={{ value: j.romeCode, onChange: (e) => setJob(i, 'romeCode', e.target.value) }}
          >
            <option value="">Choisissez un métier</option>
            {ROMES.map(([code, label]) => (
              <option key={code} value={code}>
                {label} ({code})
              </option>
            ))}
          </Select>
          <Text
            label="Intitulé du poste"
            name={`job-title-${i}`}
            value={j.title}
            onChange={(v) => setJob(i, 'title', v)}
            fieldState={state(`experience.${i}.title`)}
          />
          <Text
            label="Employeur (facultatif)"
            name={`job-employer-${i}`}
            value={j.employer}
            onChange={(v) => setJob(i, 'employer', v)}
            fieldState={state(`experience.${i}.employer`)}
          />
          <Text
            label="Du"
            type="date"
            name={`job-from-${i}`}
            value={j.from}
            onChange={(v) => setJob(i, 'from', v)}
            fieldState={state(`experience.${i}.from`)}
          />
          <Text
            label="Au (facultatif)"
            type="date"
            name={`job-to-${i}`}
            value={j.to}
            onChange={(v) => setJob(i, 'to', v)}
            fieldState={state(`experience.${i}.to`)}
          />
        </fieldset>
      ))}
      <Button
        type="button"
        priority="tertiary"
        onClick={() => set('jobs', [...form.jobs, { romeCode: '', title: '', employer: '', from: '', to: '' }])}
      >
        Ajouter une expérience
      </Button>
    </>
  );
}

export function SoughtJobsStep({ form, set, state }: { form: Form; set: Setter; state: FieldState }) {
  const toggle = (code: string, on: boolean) =>
    set('soughtJobs', on ? [...form.soughtJobs, code] : form.soughtJobs.filter((c) => c !== code));
  return (
    <Checkbox
      legend="Les métiers que vous recherchez (1 à 10)"
      hintText="Selon le Répertoire opérationnel des métiers et des emplois (ROME)"
      {...state('soughtJobs')}
      options={ROMES.map(([code, label]) => ({
        label: `${label} (${code})`,
        nativeInputProps: {
          name: 'soughtJobs',
          value: code,
          checked: form.soughtJobs.includes(code),
          onChange: (e) => toggle(code, e.target.checked),
        },
      }))}
    />
  );
}

export function AvailabilityStep({ form, set, state }: { form: Form; set: Setter; state: FieldState }) {
  return (
    <>
      <fieldset className="fr-mb-3w">
        <Text
          label="Disponible à partir du"
          type="date"
          name="availableFrom"
          value={form.availableFrom}
          onChange={(v) => set('availableFrom', v)}
          fieldState={state('availability.availableFrom')}
        />
        <Select
          label="Temps de travail recherché"
          {...state('availability.workingTime')}
          nativeSelectProps={{ value: form.workingTime, onChange: (e) => set('workingTime', e.target.value) }}
        >
          <option value="full_time">Temps plein</option>
          <option value="part_time">Temps partiel</option>
          <option value="either">L’un ou l’autre</option>
        </Select>
        <Select
          label="Type de contrat recherché"
          {...state('availability.contract')}
          nativeSelectProps={{ value: form.contract, onChange: (e) => set('contract', e.target.value) }}
        >
          <option value="permanent">CDI</option>
          <option value="fixed_term">CDD</option>
          <option value="temporary">Intérim</option>
          <option value="seasonal">Saisonnier</option>
          <option value="any">Tous types de contrat</option>
        </Select>
      </fieldset>
      <fieldset className="fr-mb-3w">
        <Text
          label="Distance maximale de déplacement (km)"
          name="maxDistanceKm"
          value={form.maxDistanceKm}
          onChange={(v) => set('maxDistanceKm', v)}
          fieldState={state('mobility.maxDistanceKm')}
        />
        <Checkbox
          legend="Moyens de déplacement"
          {...state('mobility.transport')}
          orientation="horizontal"
          options={TRANSPORTS.map(([value, label]) => ({
            label,
            nativeInputProps: {
              name: 'transport',
              value,
              checked: form.transport.includes(value),
              onChange: (e) =>
                set(
                  'transport',
                  e.target.checked ? [...form.transport, value] : form.transport.filter((t) => t !== value),
                ),
            },
          }))}
        />
        <RadioButtons
          legend="Permis de conduire B"
          orientation="horizontal"
          {...state('mobility.drivingLicence')}
          options={[
            {
              label: 'Oui',
              nativeInputProps: {
                checked: form.drivingLicence === 'yes',
                onChange: () => set('drivingLicence', 'yes'),
              },
            },
            {
              label: 'Non',
              nativeInputProps: { checked: form.drivingLicence === 'no', onChange: () => set('drivingLicence', 'no') },
            },
          ]}
        />
      </fieldset>
    </>
  );
}

export function SituationStep({ form, set, state }: { form: Form; set: Setter; state: FieldState }) {
  return (
    <>
      <RadioButtons
        legend="Votre situation aujourd’hui"
        hintText="Votre catégorie d’inscription en découle."
        {...state('situation.kind')}
        options={SITUATIONS.map(([value, label, hint]) => ({
          label,
          hintText: hint,
          nativeInputProps: { checked: form.situation === value, onChange: () => set('situation', value) },
        }))}
      />
      {form.situation === 'reduced_activity' ? (
        <Text
          label="Heures travaillées le mois dernier"
          name="hoursLastMonth"
          value={form.hoursLastMonth}
          onChange={(v) => set('hoursLastMonth', v)}
          fieldState={state('situation.hoursLastMonth')}
        />
      ) : null}
    </>
  );
}
