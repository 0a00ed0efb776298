import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { PasswordInput } from '@codegouvfr/react-dsfr/blocks/PasswordInput';
import { useState, type FormEvent } from 'react';
import { api, setCsrfToken } from './api.ts';
import { fieldError } from './errors.ts';
import { plural } from './format.ts';
import { useSession, useSignedIn } from './session.tsx';
import { needsStepUp, StepUp } from './StepUp.tsx';
import { ErrorNotice, SuccessNotice, useAction, useLoad } from './ui.tsx';

/** The anchor of this section: « changez votre mot de passe » elsewhere on the page leads here. */
export const PASSWORD_SECTION = 'mot-de-passe';

interface Changed {
  revokedSessions: number;
  announced: number;
  csrfToken: string;
}

/**
 * « Changer mon mot de passe », on « Sécurité du compte »: the current password, the new one and,
 * when the account has an authenticator app, its code (a passkey is confirmed by the step-up
 * that appears when the server asks for a second factor). Each refusal is said next to its field;
 * once changed, the other sessions are closed and this one is re-issued (a new anti-forgery token).
 */
export function PasswordChange() {
  const info = useSignedIn();
  const { refresh } = useSession();
  // Read again when the session rotates (enrolling a factor re-issues it): the code field follows the factors.
  const factors = useLoad(
    () => api<{ factors: Array<{ kind: string; status: string }> }>('/api/auth/factors'),
    [info.session.id],
  );
  const active = factors.data?.factors.filter((f) => f.status === 'active') ?? [];
  const hasApp = active.some((f) => f.kind === 'totp');
  const hasPasskey = active.some((f) => f.kind === 'passkey');
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [secondFactorCode, setSecondFactorCode] = useState('');
  const [stepUp, setStepUp] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  const change = useAction(async () => {
    setMessage(null);
    const code = hasApp ? secondFactorCode.replace(/\s+/g, '') : '';
    let result: Changed;
    try {
      result = await api<Changed>('/api/auth/password', {
        method: 'POST',
        body: { currentPassword, newPassword, ...(code ? { secondFactorCode: code } : {}) },
      });
    } catch (error) {
      // No code given and no factor passed lately: a passkey (or a code) is asked for, then the change is sent again.
      setStepUp(needsStepUp(error) && (hasPasskey || !hasApp));
      throw error;
    }
    setStepUp(false);
    setCsrfToken(result.csrfToken);
    setCurrentPassword('');
    setNewPassword('');
    setSecondFactorCode('');
    setMessage(
      `Votre mot de passe a été changé. ${
        result.revokedSessions === 0
          ? 'Aucune autre session n’était ouverte.'
          : `${plural(result.revokedSessions, 'autre session fermée', 'autres sessions fermées')}.`
      } ${
        result.announced === 0
          ? 'Aucun moyen de contact vérifié n’est enregistré pour vous prévenir.'
          : 'Un message vous a été envoyé sur vos moyens de contact vérifiés.'
      }`,
    );
    // The session was re-issued: read it again, so that « Cette session » is still this one.
    await refresh();
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void change.run();
  };

  const currentError = fieldError(change.error, 'currentPassword');
  const newError = fieldError(change.error, 'newPassword');
  const codeError = fieldError(change.error, 'secondFactorCode');
  return (
    <section className="fr-mb-6w" aria-labelledby={PASSWORD_SECTION}>
      <h2 id={PASSWORD_SECTION}>Changer mon mot de passe</h2>
      <p>
        Choisissez un mot de passe que vous n’utilisez nulle part ailleurs. Une fois changé, vos autres sessions sont
        fermées et vous en êtes prévenu sur vos moyens de contact vérifiés.
      </p>
      <ErrorNotice error={change.error} title="Changement refusé" />
      <SuccessNotice message={message} />
      {stepUp ? (
        <StepUp
          onPassed={() => {
            setStepUp(false);
            void change.run();
          }}
          onCancel={() => setStepUp(false)}
        />
      ) : null}
      <form onSubmit={onSubmit} noValidate data-testid="password-change">
        <PasswordInput
          label="Mot de passe actuel"
          className="fr-mb-3w"
          messagesHint=""
          messages={currentError ? [{ message: currentError, severity: 'error' }] : []}
          nativeInputProps={{
            name: 'currentPassword',
            autoComplete: 'current-password',
            required: true,
            value: currentPassword,
            onChange: (e) => setCurrentPassword(e.target.value),
          }}
        />
        <PasswordInput
          label="Nouveau mot de passe"
          className="fr-mb-3w"
          hintText="12 caractères au moins ; une phrase de quelques mots est plus sûre et plus facile à retenir."
          messagesHint=""
          messages={newError ? [{ message: newError, severity: 'error' }] : []}
          nativeInputProps={{
            name: 'newPassword',
            autoComplete: 'new-password',
            required: true,
            value: newPassword,
            onChange: (e) => setNewPassword(e.target.value),
          }}
        />
        {hasApp ? (
          <Input
            label="Code de votre second facteur"
            hintText="Les 6 chiffres de votre application d’authentification, ou un code de secours"
            state={codeError ? 'error' : 'default'}
            stateRelatedMessage={codeError || undefined}
            nativeInputProps={{
              name: 'secondFactorCode',
              autoComplete: 'one-time-code',
              autoCapitalize: 'characters',
              maxLength: 16,
              value: secondFactorCode,
              onChange: (e) => setSecondFactorCode(e.target.value),
            }}
          />
        ) : null}
        <Button type="submit" disabled={change.busy}>
          Changer mon mot de passe
        </Button>
      </form>
    </section>
  );
}
