import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/**
 * A software WebAuthn authenticator for tests: ES256 keys from node:crypto, 'none'
 * attestation (or 'packed', self or with a certificate chain), authenticator data and
 * signatures built byte by byte from the specification, CBOR by a few lines below — none of it
 * from the library under test.
 */

type Cbor = number | string | Uint8Array | Cbor[] | Map<number | string, Cbor>;

/** The CBOR subset WebAuthn needs (RFC 8949): integers, byte and text strings, maps. */
export function cbor(value: Cbor): Buffer {
  const head = (major: number, length: number): Buffer => {
    if (length < 24) return Buffer.from([(major << 5) | length]);
    if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
    if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
    const out = Buffer.alloc(5);
    out[0] = (major << 5) | 26;
    out.writeUInt32BE(length, 1);
    return out;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64url = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');

/** Authenticator data flags (WebAuthn §6.1). */
const FLAGS = { userPresent: 0x01, userVerified: 0x04, attestedCredentialData: 0x40 } as const;

interface HeldCredential {
  id: Buffer;
  privateKey: KeyObject;
  rpId: string;
  userHandle: string;
  counter: number;
}

export interface CeremonyOverrides {
  /** The origin the "browser" writes into the client data (a phishing site's, say). */
  origin?: string;
  /** The RP ID whose hash goes into the authenticator data. */
  rpId?: string;
  /** Sign this challenge instead of the one in the options (a stale one, say). */
  challenge?: string;
  userVerified?: boolean;
}

/**
 * What the authenticator answers a registration with (WebAuthn §8):
 * - `none`: no attestation statement, what browsers send when the relying party asks for none;
 * - `self`: 'packed' signed by the credential's own key, no certificate (anyone can make one);
 * - `{ chain }`: 'packed' signed by the batch key of `chain[0]`, the chain (leaf first, without
 *   the root) sent as x5c — what a security key from a manufacturer does.
 */
export type TestAttestation = 'none' | 'self' | { chain: readonly { der: Buffer; privateKey: KeyObject }[] };

export class SoftwareAuthenticator {
  /** The model this authenticator claims to be (random unless told): tests can see it stored. */
  readonly aaguid: Buffer;
  private readonly credentials = new Map<string, HeldCredential>();
  private readonly attestation: TestAttestation;

  /** @param origin what a browser on the relying party's page would report. */
  constructor(
    private readonly origin: string,
    options: { aaguid?: Buffer; attestation?: TestAttestation } = {},
  ) {
    this.aaguid = options.aaguid ?? randomBytes(16);
    this.attestation = options.attestation ?? 'none';
  }

  get aaguidText(): string {
    const hex = this.aaguid.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /**
   * navigator.credentials.create(): a new ES256 key pair, answered with 'none' attestation;
   * `reuse` answers with a credential this authenticator already holds (same id and key), as
   * someone trying to claim a credential registered elsewhere would.
   */
  create(
    options: PublicKeyCredentialCreationOptionsJSON,
    overrides: CeremonyOverrides & { reuse?: string } = {},
  ): RegistrationResponseJSON {
    if (!options.pubKeyCredParams.some((p) => p.alg === -7)) throw new Error('the relying party does not accept ES256');
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if ([...this.credentials.keys()].some((id) => excluded.has(id)))
      throw new Error('InvalidStateError: this authenticator already holds a credential of this account');
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    const reused = overrides.reuse ? this.credentials.get(overrides.reuse) : undefined;
    if (overrides.reuse && !reused) throw new Error('no such credential to reuse');
    const privateKey = reused?.privateKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    const id = reused?.id ?? randomBytes(32);
    const held: HeldCredential = reused ?? { id, privateKey, rpId, userHandle: options.user.id, counter: 0 };
    // COSE_Key: kty EC2 (1: 2), alg ES256 (3: -7), curve P-256 (-1: 1), x (-2), y (-3).
    const coseKey = cbor(
      new Map<number, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const credentialIdLength = Buffer.alloc(2);
    credentialIdLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      this.authenticatorDataHead(
        overrides.rpId ?? rpId,
        FLAGS.attestedCredentialData,
        held.counter,
        overrides.userVerified ?? true,
      ),
      this.aaguid,
      credentialIdLength,
      id,
      coseKey,
    ]);
    const clientDataJSON = this.clientData(
      'webauthn.create',
      overrides.challenge ?? options.challenge,
      overrides.origin,
    );
    const attestationObject = cbor(
      new Map<string, Cbor>([
        ['fmt', this.attestation === 'none' ? 'none' : 'packed'],
        ['attStmt', this.attestationStatement(authData, clientDataJSON, privateKey)],
        ['authData', authData],
      ]),
    );
    this.credentials.set(b64url(id), held);
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }

  /**
   * navigator.credentials.get(): an assertion by the first allowed credential this
   * authenticator holds (or the one named), its counter moved one step forward unless told.
   */
  get(
    options: PublicKeyCredentialRequestOptionsJSON,
    overrides: CeremonyOverrides & { credentialId?: string; counter?: number } = {},
  ): AuthenticationResponseJSON {
    const allowed = (options.allowCredentials ?? []).map((c) => c.id);
    const id = overrides.credentialId ?? allowed.find((c) => this.credentials.has(c));
    const held = id ? this.credentials.get(id) : undefined;
    if (!held) throw new Error('NotAllowedError: no credential of this authenticator is allowed');
    held.counter = overrides.counter ?? held.counter + 1;
    const authData = this.authenticatorDataHead(
      overrides.rpId ?? held.rpId,
      0,
      held.counter,
      overrides.userVerified ?? true,
    );
    const clientDataJSON = this.clientData('webauthn.get', overrides.challenge ?? options.challenge, overrides.origin);
    // ECDSA over authenticatorData ‖ SHA-256(clientDataJSON), DER-encoded as WebAuthn wants.
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), held.privateKey);
    return {
      id: b64url(held.id),
      rawId: b64url(held.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: held.userHandle,
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }

  /** Ids of the credentials this authenticator made. */
  get credentialIds(): string[] {
    return [...this.credentials.keys()];
  }

  counterOf(credentialId: string): number {
    return this.credentials.get(credentialId)?.counter ?? 0;
  }

  /** 'packed' (WebAuthn §8.2): ES256 over authenticatorData ‖ SHA-256(clientDataJSON). */
  private attestationStatement(authData: Buffer, clientDataJSON: Buffer, credentialKey: KeyObject): Map<string, Cbor> {
    if (this.attestation === 'none') return new Map();
    const signed = Buffer.concat([authData, sha256(clientDataJSON)]);
    if (this.attestation === 'self') {
      return new Map<string, Cbor>([
        ['alg', -7],
        ['sig', sign('sha256', signed, credentialKey)],
      ]);
    }
    const [leaf] = this.attestation.chain;
    if (!leaf) throw new Error('an attestation chain needs its batch certificate');
    return new Map<string, Cbor>([
      ['alg', -7],
      ['sig', sign('sha256', signed, leaf.privateKey)],
      ['x5c', this.attestation.chain.map((c) => c.der)],
    ]);
  }

  private authenticatorDataHead(rpId: string, extraFlags: number, counter: number, userVerified: boolean): Buffer {
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    const flags = FLAGS.userPresent | (userVerified ? FLAGS.userVerified : 0) | extraFlags;
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), counterBytes]);
  }

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin = this.origin): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
  }
}
