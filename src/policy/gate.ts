import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { agreementInForce, type Agreement } from './agreement.ts';

/** What an organisation must show before it reads anything (the CNIL's "prove effective security measures"). */
export const GATE_REQUIREMENTS = [
  'mfa_enforced',
  'agreement_valid',
  'security_contact',
  'network_ranges',
  'security_audit',
] as const;
export type GateRequirement = (typeof GATE_REQUIREMENTS)[number];

export const AUDIT_VALIDITY_DAYS = 365;
export const DEROGATION_MAX_DAYS = 90;

/** The organisation's security posture, as stored in `organisations.security_posture`. */
export interface SecurityPosture {
  mfa: 'required' | 'optional';
  passkeyOnly: boolean;
  /** Date (YYYY-MM-DD) of the last security audit, or null if none. */
  lastAudit: string | null;
  /** CIDR ranges its staff and systems connect from. */
  networks: string[];
  /** Its staff's professional e-mail domains: activation codes go to addresses there only. */
  emailDomains: string[];
}

export function parsePosture(json: string): SecurityPosture {
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed && typeof parsed === 'object') raw = parsed as Record<string, unknown>;
  } catch {
    // An unreadable posture is a non-compliant one: every requirement below fails closed.
  }
  return {
    mfa: raw.mfa === 'required' ? 'required' : 'optional',
    passkeyOnly: raw.passkeyOnly === true,
    lastAudit: typeof raw.lastAudit === 'string' ? raw.lastAudit : null,
    networks: Array.isArray(raw.networks) ? raw.networks.filter((n): n is string => typeof n === 'string') : [],
    emailDomains: Array.isArray(raw.emailDomains)
      ? raw.emailDomains.filter((d): d is string => typeof d === 'string')
      : [],
  };
}

export interface Derogation {
  id: string;
  requirement: GateRequirement;
  expiresAt: string;
}

export interface GateResult {
  compliant: boolean;
  /** Requirements not met and not covered by a derogation in force. */
  unmet: GateRequirement[];
  /** Requirements met only thanks to a derogation (shown to the DPO). */
  derogated: GateRequirement[];
}

/** Parsed ranges per posture: building a BlockList costs more than the whole decision, and postures rarely change. */
const parsedRanges = new Map<string, BlockList | undefined>();
const PARSED_RANGES_KEPT = 4096;

function blockListOf(networks: readonly string[]): BlockList | undefined {
  const key = networks.join('\n');
  if (parsedRanges.has(key)) return parsedRanges.get(key);
  const list = buildBlockList(networks);
  if (parsedRanges.size >= PARSED_RANGES_KEPT) parsedRanges.delete(parsedRanges.keys().next().value!);
  parsedRanges.set(key, list);
  return list;
}

function buildBlockList(networks: readonly string[]): BlockList | undefined {
  const list = new BlockList();
  let any = false;
  for (const cidr of networks) {
    const [address, prefixText] = cidr.split('/');
    // "10.0.0.0/" must not read as /0 (every address): the prefix is one to three digits or the range is ignored.
    if (!address || !prefixText || !/^\d{1,3}$/.test(prefixText)) continue;
    const prefix = Number(prefixText);
    if (isIPv4(address) && prefix >= 0 && prefix <= 32) list.addSubnet(address, prefix, 'ipv4');
    else if (isIPv6(address) && prefix >= 0 && prefix <= 128) list.addSubnet(address, prefix, 'ipv6');
    else continue;
    any = true;
  }
  return any ? list : undefined;
}

export function addressAllowed(networks: readonly string[], address: string): boolean {
  const list = blockListOf(networks);
  if (!list) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return list.check(v4, 'ipv4');
  if (isIPv6(address)) return list.check(address, 'ipv6');
  return false;
}

/**
 * The partner security gate, evaluated at every decision: a posture that falls out of
 * compliance (an audit too old, an agreement expired) suspends access at once, and a
 * derogation covers one requirement, for at most 90 days, then lapses by itself.
 */
export function evaluateGate(input: {
  posture: SecurityPosture;
  agreements: readonly Agreement[];
  derogations: readonly Derogation[];
  clientAddress?: string;
  now: Date;
}): GateResult {
  const { posture, now } = input;
  const inForce = input.agreements.filter((a) => agreementInForce(a, now));
  const auditAgeDays = posture.lastAudit
    ? (now.getTime() - Date.parse(`${posture.lastAudit}T00:00:00Z`)) / 86_400_000
    : Number.POSITIVE_INFINITY;
  const met: Record<GateRequirement, boolean> = {
    mfa_enforced: posture.mfa === 'required',
    agreement_valid: inForce.length > 0,
    security_contact: inForce.some((a) => /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(a.securityContact)),
    network_ranges:
      input.clientAddress === undefined
        ? blockListOf(posture.networks) !== undefined
        : addressAllowed(posture.networks, input.clientAddress),
    security_audit: auditAgeDays >= 0 && auditAgeDays <= AUDIT_VALIDITY_DAYS,
  };
  const covered = new Set(
    input.derogations.filter((d) => Date.parse(d.expiresAt) > now.getTime()).map((d) => d.requirement),
  );
  const unmet = GATE_REQUIREMENTS.filter((r) => !met[r] && !covered.has(r));
  const derogated = GATE_REQUIREMENTS.filter((r) => !met[r] && covered.has(r));
  return { compliant: unmet.length === 0, unmet, derogated };
}
