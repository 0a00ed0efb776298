import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { PasswordInput } from '@codegouvfr/react-dsfr/blocks/PasswordInput';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api } from './api.ts';
import { ErrorNotice, PageTitle, useAction } from './ui.tsx';

/**
 * « Mot de passe oublié » (job seekers): a code goes to a contact the agency verified, never to an
 * address typed here; with it, and the second factor when the account has one, a new password.
 * Every session is closed and the person's contacts are told.
 */
export function ForgottenPassword() {
  const [login, setLogin] = useState('');
  const [requestId, setRequestId] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [secondFactorCode, setSecondFactorCode] = useState('');
  const [done, setDone] = useState(false);
  const start = useAction(async (event: FormEvent) => {
    event.preventDefault();
    const answer = await api<{ requestId: string; message: string }>('/api/auth/recovery/start', {
      method: 'POST',
      body: { login: login.trim() },
      quiet401: true,
    });
    setRequestId(answer.requestId);
    setSent(answer.message);
  });
  const complete = useAction(async (event: FormEvent) => {
    event.preventDefault();
    await api('/api/auth/recovery/complete', {
      method: 'POST',
      body: {
        requestId,
        code: code.trim(),
        newPassword,
        ...(secondFactorCode.trim() ? { secondFactorCode: secondFactorCode.replace(/\s+/g, '') } : {}),
      },
      quiet401: true,
    });
    setDone(true);
  });
  return (
    <>
      <PageTitle title="Mot de passe oublié">Mot de passe oublié</PageTitle>
      {done ? (
        <>
          <Alert
            severity="success"
            small={false}
            title="Votre mot de passe est changé"
            description="Toutes vos sessions ont été fermées et un avis vous a été envoyé sur vos moyens de contact. Connectez-vous avec le nouveau mot de passe."
            role="status"
          />
          <p className="fr-mt-3w">
            <Link to="/connexion">Se connecter</Link>
          </p>
        </>
      ) : !requestId ? (
        <form onSubmit={(event) => void start.run(event)}>
          <p>
            Saisissez votre identifiant : un code est envoyé à l’adresse électronique ou au téléphone que votre agence a
            vérifiés. Les agents s’adressent à l’administrateur des comptes de leur organisation.
          </p>
          <ErrorNotice error={start.error} title="Demande impossible" />
          <Input
            label="Identifiant"
            hintText="Votre adresse électronique"
            nativeInputProps={{
              name: 'login',
              autoComplete: 'username',
              required: true,
              value: login,
              onChange: (e) => setLogin(e.target.value),
            }}
          />
          <Button type="submit" disabled={start.busy}>
            Recevoir un code
          </Button>
        </form>
      ) : (
        <form onSubmit={(event) => void complete.run(event)}>
          {sent ? <Alert severity="info" small description={sent} className="fr-mb-3w" /> : null}
          <ErrorNotice error={complete.error} title="Changement refusé" />
          <Input
            label="Code reçu"
            nativeInputProps={{
              name: 'code',
              autoComplete: 'one-time-code',
              inputMode: 'numeric',
              required: true,
              value: code,
              onChange: (e) => setCode(e.target.value),
            }}
          />
          <PasswordInput
            label="Nouveau mot de passe"
            messages={[
              { message: '12 caractères au moins ; une phrase de quelques mots est plus sûre.', severity: 'info' },
            ]}
            nativeInputProps={{
              name: 'newPassword',
              autoComplete: 'new-password',
              required: true,
              value: newPassword,
              onChange: (e) => setNewPassword(e.target.value),
            }}
          />
          <Input
            label="Code de votre second facteur (si vous en avez un)"
            hintText="Application d’authentification ou code de secours"
            nativeInputProps={{
              name: 'secondFactorCode',
              autoComplete: 'off',
              value: secondFactorCode,
              onChange: (e) => setSecondFactorCode(e.target.value),
            }}
          />
          <Button type="submit" disabled={complete.busy}>
            Changer le mot de passe
          </Button>
        </form>
      )}
    </>
  );
}
