import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState, type FormEvent } from 'react';
import { api } from '../app/api.ts';
import { needsStepUp, StepUp } from '../app/StepUp.tsx';
import { ErrorNotice, useAction } from '../app/ui.tsx';
import { classList, useConsole, type Declaration } from './context.tsx';

/**
 * « Accès exceptionnel »: outside the agent's scope, with a written justification, after a fresh
 * second factor, read-only for 30 minutes, reviewed by the security officer.
 */
export function BreakGlass({
  target,
  declaration,
  onGranted,
  outOfScope = 'Ce dossier n’est pas dans votre périmètre.',
}: {
  /** The file refused (by its id), or the exact identifier a search did not find within scope. */
  target: { personId: string } | { identifier: Record<string, unknown> };
  declaration: Declaration;
  onGranted(expiresAt: string, personId: string): void;
  outOfScope?: string;
}) {
  const { profile } = useConsole();
  const rule = profile.purposes.find((p) => p.purpose === declaration.purpose);
  const [justification, setJustification] = useState('');
  const request = useAction(async () => {
    const asked = {
      purpose: declaration.purpose,
      caseReference: declaration.caseReference,
      justification: justification.trim(),
      classes: rule?.read ?? [],
    };
    const answer = await api<{ id: string; personId: string; expiresAt: string }>(
      'personId' in target
        ? `/api/staff/persons/${encodeURIComponent(target.personId)}/break-glass`
        : '/api/staff/break-glass',
      { method: 'POST', body: 'personId' in target ? asked : { ...asked, identifier: target.identifier } },
    );
    onGranted(answer.expiresAt, answer.personId);
  });
  // A fresh second factor first: the form gives way to « Confirmez votre identité », then retries.
  const stepUp = needsStepUp(request.error);
  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    await request.run();
  };
  if (!rule) return null;
  return (
    <section aria-labelledby="break-glass-title" className="fr-mb-4w">
      <h2 id="break-glass-title" className="fr-h4">
        Accès exceptionnel
      </h2>
      <Alert
        severity="warning"
        small={false}
        title="Cet accès sera examiné par le responsable de la sécurité"
        description={`${outOfScope} En cas de nécessité, vous pouvez l’ouvrir exceptionnellement : pour 30 minutes, en lecture seule, limité à ${classList(rule.read)}. Le responsable de la sécurité et le référent sécurité de votre organisation sont alertés immédiatement et examinent votre justification ; un accès injustifié engage votre responsabilité.`}
        className="fr-mb-3w"
      />
      {stepUp ? (
        <StepUp onPassed={() => void submit()} onCancel={() => request.setError(null)} />
      ) : (
        <form onSubmit={(event) => void submit(event)}>
          <ErrorNotice error={request.error} title="Accès exceptionnel refusé" />
          <Input
            label="Justification"
            hintText="Pourquoi cet accès hors de votre périmètre est nécessaire (30 caractères au moins). Elle est conservée et relue."
            textArea
            nativeTextAreaProps={{
              name: 'justification',
              required: true,
              minLength: 30,
              maxLength: 2000,
              rows: 4,
              value: justification,
              onChange: (e) => setJustification(e.target.value),
            }}
          />
          <Button
            type="submit"
            priority="secondary"
            iconId="fr-icon-warning-line"
            disabled={request.busy || justification.trim().length < 30}
          >
            Demander l’accès exceptionnel
          </Button>
        </form>
      )}
    </section>
  );
}
