import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { agreementInForce, type Agreement } from './agreement.ts';

/** What an organisation must show before it reads anything (the CNIL's "prove effective security measures"). */
export const GATE_REQUIREMENTS = [
  'mfa_enforced',
  'agreement_valid',
  'security_contact',
  'network_ranges',
  'security_audit',
  // Issue 24: the DPIA of every processing of the agreements in force has each of its measures
  // implemented, with its evidence; the organisation attested the security baseline (second
  // factor, scoped authorisations, logs that detect anomalies) less than a year ago.
  'dpia_measures_implemented',
  'security_baseline_attested',
] as const;
export type GateRequirement = (typeof GATE_REQUIREMENTS)[number];

export const AUDIT_VALIDITY_DAYS = 365;
export const DEROGATION_MAX_DAYS = 90;
/** A security-baseline attestation counts for a year, like an audit (issue 24). */
export const ATTESTATION_VALIDITY_DAYS = 365;

/** What the DPIA and the partner's attestation say, as the gate reads them (issue 24; src/policy/assurance.ts loads it). */
export interface GateAssurance {
  /** Processings (agreement purposes) whose latest DPIA has every measure implemented with its evidence. */
  completeDpias: ReadonlySet<string>;
  /** When the organisation last attested the security baseline (ISO instant), or null: never. */
  baselineAttestedAt: string | null;
}

/** Nothing proven: every assurance requirement unmet (fails closed). */
export const NO_ASSURANCE: GateAssurance = { completeDpias: new Set(), baselineAttestedAt: null };

/** Purposes of `agreements` whose DPIA is missing or has a measure not implemented with evidence. */
export function processingsWithoutCompleteDpia(agreements: readonly Agreement[], assurance: GateAssurance): string[] {
  const missing = new Set<string>();
  for (const agreement of agreements)
    for (const rule of agreement.purposes) if (!assurance.completeDpias.has(rule.purpose)) missing.add(rule.purpose);
  return [...missing].sort();
}

/** An attestation dated in the last ATTESTATION_VALIDITY_DAYS days (not in the future). */
export function baselineAttested(assurance: GateAssurance, now: Date): boolean {
  if (!assurance.baselineAttestedAt) return false;
  const ageDays = (now.getTime() - Date.parse(assurance.baselineAttestedAt)) / 86_400_000;
  return ageDays >= 0 && ageDays <= ATTESTATION_VALIDITY_DAYS;
}

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
  /** The DPIAs and the baseline attestation (issue 24); NO_ASSURANCE when nothing is proven. */
  assurance: GateAssurance;
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
    dpia_measures_implemented: processingsWithoutCompleteDpia(inForce, input.assurance).length === 0,
    security_baseline_attested: baselineAttested(input.assurance, now),
  };
  const covered = new Set(
    input.derogations.filter((d) => Date.parse(d.expiresAt) > now.getTime()).map((d) => d.requirement),
  );
  const unmet = GATE_REQUIREMENTS.filter((r) => !met[r] && !covered.has(r));
  const derogated = GATE_REQUIREMENTS.filter((r) => !met[r] && covered.has(r));
  return { compliant: unmet.length === 0, unmet, derogated };
}

/** The requirements an agreement (or a new version of one) must meet to come into force (issue 24). */
export const COMING_INTO_FORCE_REQUIREMENTS = ['dpia_measures_implemented', 'security_baseline_attested'] as const;

/**
 * May `agreement` come into force now? The same two requirements as at every decision, read on
 * this agreement alone whatever its dates, and a derogation in force covers one exactly as it
 * does at a decision. `missingDpias` names the processings that hold it back.
 */
export function comingIntoForceGate(input: {
  agreement: Agreement;
  assurance: GateAssurance;
  derogations: readonly Derogation[];
  now: Date;
}): { unmet: GateRequirement[]; derogated: GateRequirement[]; missingDpias: string[] } {
  const missingDpias = processingsWithoutCompleteDpia([input.agreement], input.assurance);
  const met: Record<(typeof COMING_INTO_FORCE_REQUIREMENTS)[number], boolean> = {
    dpia_measures_implemented: missingDpias.length === 0,
    security_baseline_attested: baselineAttested(input.assurance, input.now),
  };
  const covered = new Set(
    input.derogations.filter((d) => Date.parse(d.expiresAt) > input.now.getTime()).map((d) => d.requirement),
  );
  return {
    unmet: COMING_INTO_FORCE_REQUIREMENTS.filter((r) => !met[r] && !covered.has(r)),
    derogated: COMING_INTO_FORCE_REQUIREMENTS.filter((r) => !met[r] && covered.has(r)),
    missingDpias,
  };
}
