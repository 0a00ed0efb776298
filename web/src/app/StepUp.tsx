import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState, type FormEvent } from 'react';
import { ApiError } from './api.ts';
import { passSecondFactorWithCode, passSecondFactorWithPasskey } from './factors.ts';
import { PasskeyButton } from './PasskeyName.tsx';
import { ErrorNotice, useAction } from './ui.tsx';

/** True when the server asks for a fresh second factor before a sensitive operation. */
export function needsStepUp(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'step_up_required';
}

/**
 * The second factor asked for: a one-time code (authenticator app or recovery code) or a
 * passkey. Used at sign-in and before a sensitive operation; `onPassed` runs once it is passed.
 */
export function SecondFactorForm({
  onPassed,
  submitLabel,
  errorTitle,
  onCancel,
}: {
  onPassed: () => unknown;
  submitLabel: string;
  errorTitle?: string;
  onCancel?: () => void;
}) {
  const [code, setCode] = useState('');
  const withCode = useAction(async (event: FormEvent) => {
    event.preventDefault();
    await passSecondFactorWithCode(code);
    await onPassed();
  });
  const withPasskey = useAction(async () => {
    await passSecondFactorWithPasskey();
    await onPassed();
  });
  return (
    <>
      <ErrorNotice error={withCode.error ?? withPasskey.error} title={errorTitle} />
      <form onSubmit={(event) => void withCode.run(event)}>
        <Input
          label="Code à usage unique"
          nativeInputProps={{
            value: code,
            onChange: (e) => setCode(e.target.value),
            autoComplete: 'one-time-code',
            inputMode: 'numeric',
            name: 'code',
            required: true,
          }}
        />
        <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left">
          <li>
            <Button type="submit" disabled={withCode.busy}>
              {submitLabel}
            </Button>
          </li>
          <li>
            <PasskeyButton
              label="Utiliser ma clé d’accès"
              busy={withPasskey.busy}
              onClick={() => void withPasskey.run()}
            />
          </li>
          {onCancel ? (
            <li>
              <Button type="button" priority="tertiary" onClick={onCancel}>
                Annuler
              </Button>
            </li>
          ) : null}
        </ul>
      </form>
    </>
  );
}

/**
 * « Confirmez votre identité » : a sensitive operation (bank details, releasing an account,
 * break-glass, exports) needs a second factor passed within five minutes. Once passed, the
 * caller retries its operation.
 */
export function StepUp({ onPassed, onCancel }: { onPassed: () => void; onCancel?: () => void }) {
  return (
    <section className="fr-callout fr-mb-3w" aria-labelledby="step-up-title">
      <h2 id="step-up-title" className="fr-callout__title fr-h5">
        Confirmez votre identité
      </h2>
      <p className="fr-callout__text fr-text--sm">
        Opération sensible : saisissez le code de votre application d’authentification (ou un code de secours), ou
        utilisez votre clé d’accès.
      </p>
      <SecondFactorForm onPassed={onPassed} submitLabel="Confirmer" onCancel={onCancel} />
    </section>
  );
}
