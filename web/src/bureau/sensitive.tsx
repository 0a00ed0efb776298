import { StepUp, needsStepUp } from '../app/StepUp.tsx';
import { ErrorNotice } from '../app/ui.tsx';

/**
 * The error of a sensitive action, or the step-up prompt when the server asks for a fresh
 * second factor: once passed, the action runs again.
 */
export function SensitiveOutcome({ error, retry, cancel }: { error: unknown; retry: () => void; cancel: () => void }) {
  if (needsStepUp(error)) return <StepUp onPassed={retry} onCancel={cancel} />;
  return <ErrorNotice error={error} />;
}
