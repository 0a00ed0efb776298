import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { explain } from './api.ts';

/** The page the browser loaded keeps the focus at the top, where the skip links are. */
let loadedPage = true;

/**
 * A page's title: the `<h1>` and the document's title together; focused when a client-side
 * navigation brings it, so that a screen reader announces the new page (RGAA 12.6, 12.7).
 */
export function PageTitle({ children, title }: { children: ReactNode; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} — Rempart`;
    if (loadedPage) {
      loadedPage = false;
      return;
    }
    ref.current?.focus();
  }, [title]);
  return (
    <h1 ref={ref} tabIndex={-1} className="rempart-page-title">
      {children}
    </h1>
  );
}

export function ErrorNotice({ error, title = 'Action impossible' }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <Alert
      severity="error"
      small={false}
      title={title}
      description={explain(error)}
      className="fr-mb-3w"
      role="alert"
    />
  );
}

export function SuccessNotice({ message }: { message: string | null }) {
  if (!message) return null;
  return <Alert severity="success" small description={message} className="fr-mb-3w" role="status" />;
}

export function Loading({ what = 'Chargement' }: { what?: string }) {
  return (
    <p className="fr-text--sm" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Load something once (and again on `reload` or when `deps` change); the error is kept to show it. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load()
      .then((value) => {
        if (!live) return;
        setData(value);
        setError(null);
      })
      .catch((failure: unknown) => live && setError(failure))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [tick, ...deps]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** Run an action from a form or button: busy while it runs, its failure kept to show it. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setBusy(true);
      setError(null);
      try {
        return await action(...args);
      } catch (failure) {
        setError(failure);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [action],
  );
  return { run, busy, error, setError };
}
