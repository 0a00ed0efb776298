/**
 * The browser's only way to the API: same origin, the session cookie (httpOnly, never seen
 * here) and, on every state-changing request, the session's anti-forgery token. The token lives
 * in memory; after a reload the page asks the server for it again (`GET /api/auth/session`).
 */

import { ApiError, type ApiIssue } from './errors.ts';

export { ApiError, explain, type ApiIssue } from './errors.ts';

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Listeners told when the server says the session is gone (expired, revoked, signed out elsewhere). */
const sessionLostListeners = new Set<() => void>();
export function onSessionLost(listener: () => void): () => void {
  sessionLostListeners.add(listener);
  return () => sessionLostListeners.delete(listener);
}

/**
 * Listeners told when the server holds the session because it is used from a new network: it
 * does nothing until the second factor is passed again from here.
 */
const sessionHeldListeners = new Set<() => void>();
export function onSessionHeld(listener: () => void): () => void {
  sessionHeldListeners.add(listener);
  return () => sessionHeldListeners.delete(listener);
}

/** What the server says of an account contained by the guard: why, and whom to call. */
export interface Containment {
  message: string;
  securityContact?: string;
}

/** Listeners told when the server says the account is suspended for security (the guard contained it). */
const containedListeners = new Set<(containment: Containment) => void>();
export function onContained(listener: (containment: Containment) => void): () => void {
  containedListeners.add(listener);
  return () => containedListeners.delete(listener);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Extra headers: a file request's declared purpose and case reference. */
  headers?: Record<string, string>;
  /** Do not treat a 401 as a lost session (the sign-in page's own calls). */
  quiet401?: boolean;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  if (!response.ok) {
    const payload = (await response.json().catch(() => ({}))) as {
      error?: string;
      reason?: string;
      message?: string;
      securityContact?: string;
      issues?: ApiIssue[];
    };
    const contained =
      (response.status === 401 && payload.error === 'session_contained') ||
      (response.status === 403 && payload.error === 'actor_contained');
    if (contained && payload.message) {
      const containment: Containment = {
        message: payload.message,
        ...(payload.securityContact ? { securityContact: payload.securityContact } : {}),
      };
      for (const listener of containedListeners) listener(containment);
    } else if (response.status === 401 && !options.quiet401) for (const listener of sessionLostListeners) listener();
    if (response.status === 403 && payload.reason === 'new_network')
      for (const listener of sessionHeldListeners) listener();
    throw new ApiError(
      response.status,
      payload.error ?? `http_${response.status}`,
      payload.message ?? `Erreur ${response.status}.`,
      payload.issues ?? [],
    );
  }
  return response;
}

/** A JSON request; `undefined` for 204. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/**
 * A file from the API saved by the browser: fetched with the session (the URL carries no
 * personal data and no secret), then handed over through a short-lived blob address.
 */
export async function download(path: string, fallbackName: string, options: RequestOptions = {}): Promise<void> {
  const response = await send(path, options);
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
