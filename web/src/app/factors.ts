import {
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import { api, setCsrfToken } from './api.ts';
import { PasskeyAddressError, passkeyAddressMatches } from './errors.ts';

/** Before the browser is asked: a passkey only works where its relying party is (see PasskeyAddressError). */
function checkPasskeyAddress(relyingPartyId: string | undefined): void {
  const { hostname, host, protocol, port, pathname } = window.location;
  if (!relyingPartyId || passkeyAddressMatches(relyingPartyId, hostname)) return;
  throw new PasskeyAddressError(
    relyingPartyId,
    host,
    `${protocol}//${relyingPartyId}${port ? `:${port}` : ''}${pathname}`,
  );
}

/**
 * Passing a second factor rotates the session (new cookie, new anti-forgery token): every
 * helper here keeps the token the server returns.
 */
export async function passSecondFactorWithCode(code: string): Promise<void> {
  const result = await api<{ csrfToken: string }>('/api/auth/second-factor', {
    method: 'POST',
    body: { code: code.replace(/\s+/g, '') },
  });
  setCsrfToken(result.csrfToken);
}

export async function passSecondFactorWithPasskey(): Promise<void> {
  const optionsJSON = await api<PublicKeyCredentialRequestOptionsJSON>('/api/auth/passkeys/authentication/options', {
    method: 'POST',
  });
  checkPasskeyAddress(optionsJSON.rpId);
  const response = await startAuthentication({ optionsJSON });
  const result = await api<{ csrfToken: string }>('/api/auth/passkeys/authentication', {
    method: 'POST',
    body: { response },
  });
  setCsrfToken(result.csrfToken);
}

/** Register a passkey on this device; the first second factor of an account also returns recovery codes. */
export async function registerPasskey(label: string, activationCode?: string): Promise<string[] | undefined> {
  const optionsJSON = await api<PublicKeyCredentialCreationOptionsJSON>('/api/auth/passkeys/registration/options', {
    method: 'POST',
  });
  checkPasskeyAddress(optionsJSON.rp.id);
  const response = await startRegistration({ optionsJSON });
  const result = await api<{ recoveryCodes?: string[]; csrfToken?: string }>('/api/auth/passkeys/registration', {
    method: 'POST',
    body: { response, label, ...activationField(activationCode) },
  });
  if (result.csrfToken) setCsrfToken(result.csrfToken);
  return result.recoveryCodes;
}

export interface TotpEnrolment {
  factorId: string;
  secret: string;
  otpauthUri: string;
}

export function beginTotpEnrolment(): Promise<TotpEnrolment> {
  return api<TotpEnrolment>('/api/auth/factors/totp', { method: 'POST' });
}

/** The activation code, sent only when the first factor of an account activated by code asks for it. */
function activationField(activationCode: string | undefined): { activationCode?: string } {
  const trimmed = activationCode?.trim();
  return trimmed ? { activationCode: trimmed } : {};
}

export async function confirmTotpEnrolment(factorId: string, code: string, activationCode?: string): Promise<string[]> {
  const result = await api<{ recoveryCodes: string[]; csrfToken: string }>('/api/auth/factors/totp/confirm', {
    method: 'POST',
    body: { factorId, code: code.replace(/\s+/g, ''), ...activationField(activationCode) },
  });
  setCsrfToken(result.csrfToken);
  return result.recoveryCodes;
}
