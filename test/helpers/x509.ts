import { createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';

/**
 * X.509 certificates for tests (RFC 5280), DER built byte by byte: a manufacturer's attestation
 * root, its intermediates and the batch certificates authenticators sign attestations with.
 * ECDSA P-256 with SHA-256 only; none of it comes from the library under test.
 */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}
const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const octetString = (content: Buffer) => tlv(0x04, content);
const bitString = (content: Buffer) => tlv(0x03, Buffer.from([0]), content);
const TRUE = Buffer.from([0x01, 0x01, 0xff]);

function oid(text: string): Buffer {
  const arcs = text.split('.').map(Number);
  const bytes = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const groups = [arc & 0x7f];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128))
      groups.unshift((rest & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/**
 * A positive serial number: 8 random bytes, the sign bit cleared and the next one set, so that
 * the first byte is never 0 (DER wants an INTEGER's shortest form: a leading zero byte before
 * a byte under 0x80 is invalid, and OpenSSL then refuses the certificate — 1 run in 128).
 */
function serial(): Buffer {
  const bytes = randomBytes(8);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return tlv(0x02, bytes);
}

function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  // UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5).
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii'))
    : tlv(0x18, Buffer.from(iso, 'ascii'));
}

/** Distinguished name attributes, in this order: C, O, OU, CN. */
export interface DistinguishedName {
  C?: string;
  O?: string;
  OU?: string;
  CN: string;
}

function name(dn: DistinguishedName): Buffer {
  const attribute = (type: string, value: string, tag: number) =>
    set(sequence(oid(type), tlv(tag, Buffer.from(value, 'utf8'))));
  const parts: Buffer[] = [];
  if (dn.C) parts.push(attribute('2.5.4.6', dn.C, 0x13));
  if (dn.O) parts.push(attribute('2.5.4.10', dn.O, 0x0c));
  if (dn.OU) parts.push(attribute('2.5.4.11', dn.OU, 0x0c));
  parts.push(attribute('2.5.4.3', dn.CN, 0x0c));
  return sequence(...parts);
}

const ECDSA_WITH_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));
/** id-fido-gen-ce-aaguid: the authenticator model a batch certificate speaks for. */
const FIDO_AAGUID_EXTENSION = '1.3.6.1.4.1.45724.1.1.4';

export interface IssuedCertificate {
  der: Buffer;
  pem: string;
  subject: DistinguishedName;
  privateKey: KeyObject;
}

export interface CertificateOptions {
  subject: DistinguishedName;
  /** The issuer; none makes a self-signed certificate. */
  issuer?: IssuedCertificate;
  ca: boolean;
  /** The AAGUID extension of an attestation certificate (16 bytes). */
  aaguid?: Buffer;
  notBefore?: Date;
  notAfter?: Date;
}

/** A certificate for a new P-256 key, signed by its issuer (or by itself). */
export function certificate(options: CertificateOptions): IssuedCertificate {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const notBefore = options.notBefore ?? new Date(Date.now() - 86_400_000);
  const notAfter = options.notAfter ?? new Date(Date.now() + 365 * 86_400_000);
  const extension = (type: string, value: Buffer, critical = false) =>
    sequence(oid(type), ...(critical ? [TRUE] : []), octetString(value));
  const extensions = [extension('2.5.29.19', options.ca ? sequence(TRUE) : sequence(), true)];
  // keyCertSign and cRLSign for an authority, digitalSignature for a batch certificate.
  extensions.push(
    extension('2.5.29.15', options.ca ? tlv(0x03, Buffer.from([1, 0x06])) : tlv(0x03, Buffer.from([7, 0x80])), true),
  );
  if (options.aaguid) extensions.push(extension(FIDO_AAGUID_EXTENSION, octetString(options.aaguid)));
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    serial(),
    ECDSA_WITH_SHA256,
    name(options.issuer?.subject ?? options.subject),
    sequence(time(notBefore), time(notAfter)),
    name(options.subject),
    spki,
    tlv(0xa3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, options.issuer?.privateKey ?? privateKey);
  const der = sequence(tbs, ECDSA_WITH_SHA256, bitString(signature));
  const pem = new X509Certificate(der).toString();
  return { der, pem, subject: options.subject, privateKey };
}

/** A manufacturer's attestation root (self-signed authority). */
export function attestationRoot(organisation: string): IssuedCertificate {
  return certificate({
    subject: { C: 'FR', O: organisation, CN: `${organisation} FIDO Root CA` },
    ca: true,
    notAfter: new Date(Date.now() + 10 * 365 * 86_400_000),
  });
}

/** A batch attestation certificate as FIDO wants it for 'packed' (subject OU « Authenticator Attestation », not an authority). */
export function batchCertificate(
  issuer: IssuedCertificate,
  options: { aaguid?: Buffer; notAfter?: Date } = {},
): IssuedCertificate {
  return certificate({
    subject: {
      C: 'FR',
      O: issuer.subject.O ?? 'Test',
      OU: 'Authenticator Attestation',
      CN: `${issuer.subject.O ?? 'Test'} batch ${randomBytes(3).toString('hex')}`,
    },
    issuer,
    ca: false,
    ...(options.aaguid ? { aaguid: options.aaguid } : {}),
    ...(options.notAfter ? { notAfter: options.notAfter } : {}),
  });
}
