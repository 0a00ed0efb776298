import { Button } from '@codegouvfr/react-dsfr/Button';
import { FranceConnectButton } from '@codegouvfr/react-dsfr/FranceConnectButton';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { PasswordInput } from '@codegouvfr/react-dsfr/blocks/PasswordInput';
import { ProConnectButton } from '@codegouvfr/react-dsfr/ProConnectButton';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { api, setCsrfToken } from './api.ts';
import { confirmTotpEnrolment, registerPasskey } from './factors.ts';
import { NewFactorChoice, passkeyName } from './PasskeyName.tsx';
import { homeOf, useSession } from './session.tsx';
import { SecondFactorForm } from './StepUp.tsx';
import {
  beginShownTotpEnrolment,
  RecoveryCodeList,
  TotpEnrolmentFields,
  type ShownTotpEnrolment,
} from './TotpEnrolment.tsx';
import { ErrorNotice, PageTitle, useAction, useLoad } from './ui.tsx';

type Step = 'credentials' | 'second_factor' | 'enrolment' | 'recovery_codes';

interface LoginResult {
  account: { id: string; kind: string };
  csrfToken: string;
  secondFactor: 'required' | 'enrolment_required' | 'not_required';
  activationCodeRequired: boolean;
}

/**
 * « Se connecter » for everyone: identifier and password, then the second factor (code or
 * passkey). Staff without one enrol it here, at their first sign-in: nothing opens before.
 * Signed in, one lands on the page that sent here (`state.from`, see RequireSession), else home.
 */
export function SignIn() {
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from;
  const { refresh, state } = useSession();
  // A session held because it is used from a new network only needs its second factor again.
  const held = state.status === 'anonymous' && state.heldForNewNetwork === true;
  const [step, setStep] = useState<Step>(held ? 'second_factor' : 'credentials');
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [activationRequired, setActivationRequired] = useState(false);
  const [activationCode, setActivationCode] = useState('');
  const [enrolment, setEnrolment] = useState<ShownTotpEnrolment>();
  const [recoveryCodes, setRecoveryCodes] = useState<string[]>([]);
  const [name, setName] = useState('');
  const providers = useLoad(() =>
    api<{ providers: Array<{ id: string; name: string; accountKind: string }> }>('/api/auth/oidc/providers', {
      quiet401: true,
    }),
  );

  const finish = async () => {
    const info = await refresh();
    if (info) navigate(from ?? homeOf(info));
  };

  const signIn = useAction(async (event: FormEvent) => {
    event.preventDefault();
    const result = await api<LoginResult>('/api/auth/login', {
      method: 'POST',
      body: { login: login.trim(), password },
      quiet401: true,
    });
    setCsrfToken(result.csrfToken);
    setPassword('');
    if (result.secondFactor === 'required') setStep('second_factor');
    else if (result.secondFactor === 'enrolment_required') {
      setActivationRequired(result.activationCodeRequired);
      setStep('enrolment');
    } else await finish();
  });
  const startTotp = useAction(async () => {
    setEnrolment(await beginShownTotpEnrolment());
  });
  const confirmTotp = useAction(async (event: FormEvent) => {
    event.preventDefault();
    if (!enrolment) return;
    setRecoveryCodes(await confirmTotpEnrolment(enrolment.factorId, code, activationCode));
    setStep('recovery_codes');
  });
  const enrolPasskey = useAction(async () => {
    const codes = await registerPasskey(passkeyName(name, 'Clé d’accès enregistrée à la connexion'), activationCode);
    if (codes?.length) {
      setRecoveryCodes(codes);
      setStep('recovery_codes');
    } else await finish();
  });

  useEffect(() => {
    if (state.status === 'signed_in' && step === 'credentials') navigate(from ?? homeOf(state.info), { replace: true });
  }, [state, step, navigate, from]);
  useEffect(() => {
    if (held && step === 'credentials') setStep('second_factor');
  }, [held, step]);

  const franceConnect = providers.data?.providers.find((p) => p.id === 'franceconnect');
  const proConnect = providers.data?.providers.find((p) => p.id === 'proconnect');

  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <PageTitle title="Se connecter">Se connecter à Rempart</PageTitle>
        {state.status === 'anonymous' && state.lost ? (
          <p className="fr-alert fr-alert--info fr-alert--sm fr-mb-3w">Votre session a pris fin : reconnectez-vous.</p>
        ) : null}

        {step === 'credentials' ? (
          <>
            {franceConnect || proConnect ? (
              <div className="fr-mb-4w">
                {franceConnect ? (
                  <>
                    <h2 className="fr-h5">Demandeur d’emploi</h2>
                    <FranceConnectButton url="/api/auth/oidc/franceconnect/start" />
                  </>
                ) : null}
                {proConnect ? (
                  <>
                    <h2 className="fr-h5">Agent ou partenaire</h2>
                    <ProConnectButton url="/api/auth/oidc/proconnect/start" />
                  </>
                ) : null}
                <p className="fr-hr-or">ou</p>
              </div>
            ) : null}
            <h2 className="fr-h5">Avec votre identifiant</h2>
            <ErrorNotice error={signIn.error} title="Connexion impossible" />
            <form onSubmit={(event) => void signIn.run(event)}>
              <Input
                label="Identifiant"
                hintText="Votre adresse électronique, ou l’identifiant d’agent donné par votre organisation"
                nativeInputProps={{
                  name: 'login',
                  autoComplete: 'username',
                  required: true,
                  value: login,
                  onChange: (e) => setLogin(e.target.value),
                }}
              />
              <PasswordInput
                label="Mot de passe"
                nativeInputProps={{
                  name: 'password',
                  autoComplete: 'current-password',
                  required: true,
                  value: password,
                  onChange: (e) => setPassword(e.target.value),
                }}
              />
              <p className="fr-mt-1w fr-mb-0">
                <Link to="/mot-de-passe-oublie" className="fr-link fr-text--sm">
                  Mot de passe oublié ?
                </Link>
              </p>
              <Button type="submit" disabled={signIn.busy} className="fr-mt-2w">
                Se connecter
              </Button>
              <p className="fr-mt-3w fr-mb-0">
                Pas encore inscrit(e) comme demandeur d’emploi ?{' '}
                <Link to="/inscription" className="fr-link">
                  M’inscrire
                </Link>
              </p>
            </form>
          </>
        ) : null}

        {step === 'second_factor' ? (
          <>
            <h2 className="fr-h5">Second facteur</h2>
            {held ? (
              <p className="fr-alert fr-alert--info fr-alert--sm fr-mb-3w">
                Votre session est utilisée depuis un nouveau réseau : confirmez votre second facteur pour continuer.
              </p>
            ) : null}
            <p>
              Saisissez le code à six chiffres de votre application d’authentification, ou un code de secours. Vous
              pouvez aussi utiliser votre clé d’accès.
            </p>
            <SecondFactorForm onPassed={finish} submitLabel="Valider le code" errorTitle="Second facteur refusé" />
          </>
        ) : null}

        {step === 'enrolment' ? (
          <>
            <h2 className="fr-h5">Protégez votre compte : second facteur obligatoire</h2>
            <p>
              Votre compte d’agent doit être protégé par un second facteur avant toute consultation. Choisissez une
              application d’authentification (code à six chiffres) ou une clé d’accès.
            </p>
            <ErrorNotice error={startTotp.error ?? confirmTotp.error ?? enrolPasskey.error} />
            {activationRequired ? (
              <Input
                label="Code d’activation"
                hintText="Le code reçu sur votre adresse professionnelle pour activer votre compte : il protège ce premier second facteur."
                nativeInputProps={{
                  name: 'activationCode',
                  autoComplete: 'one-time-code',
                  required: true,
                  value: activationCode,
                  onChange: (e) => setActivationCode(e.target.value),
                }}
              />
            ) : null}
            {!enrolment ? (
              <NewFactorChoice
                name={name}
                onNameChange={setName}
                totpLabel="Utiliser une application d’authentification"
                totp={startTotp}
                passkey={enrolPasskey}
              />
            ) : (
              <form onSubmit={(event) => void confirmTotp.run(event)}>
                <TotpEnrolmentFields
                  enrolment={enrolment}
                  intro="Scannez ce code avec votre application, ou saisissez la clé ci-dessous, puis entrez le premier code affiché."
                  code={code}
                  onCode={setCode}
                />
                <Button type="submit" disabled={confirmTotp.busy}>
                  Activer
                </Button>
              </form>
            )}
          </>
        ) : null}

        {step === 'recovery_codes' ? (
          <>
            <h2 className="fr-h5">Vos codes de secours</h2>
            <p>
              Chaque code permet une seule connexion si vous perdez votre second facteur. Conservez-les hors de cet
              ordinateur : ils ne seront plus affichés.
            </p>
            <RecoveryCodeList codes={recoveryCodes} />
            <Button type="button" onClick={() => void finish()}>
              J’ai conservé mes codes, continuer
            </Button>
          </>
        ) : null}
      </div>
    </div>
  );
}
