/** Passkeys (WebAuthn) as second factor. */
export {};
