import type { Executor } from '../store/index.ts';
import { checkCode, CODE_MAX_ATTEMPTS, spendCode } from './codes.ts';
import { hasUsableSecondFactor } from './passkeys/index.ts';

/**
 * Whether the first second factor of an account may be enrolled now, and with what proof.
 * - `free`: the account was not activated by code (provisioned by the operator: the demo, the
 *   command line), or its activation already served a first enrolment, or it has a factor.
 * - `code`: enrolment must present the activation code, still valid (`codeId` is its copy).
 * - `lapsed`: the activation code expired or was burned before a factor was enrolled: only two
 *   administrators' reset (a new activation) opens enrolment again.
 */
export type EnrolmentGate = { state: 'free' } | { state: 'code'; codeId: string } | { state: 'lapsed' };

export async function enrolmentGate(db: Executor, accountId: string, now = new Date()): Promise<EnrolmentGate> {
  if (await hasUsableSecondFactor(db, accountId)) return { state: 'free' };
  const latest = await db
    .selectFrom('credential_codes')
    .select(['id', 'used_at', 'expires_at', 'attempts'])
    .where('account_id', '=', accountId)
    .where('purpose', '=', 'enrolment')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!latest || latest.used_at) return { state: 'free' };
  if (latest.attempts >= CODE_MAX_ATTEMPTS || Date.parse(latest.expires_at) <= now.getTime())
    return { state: 'lapsed' };
  return { state: 'code', codeId: latest.id };
}

export type EnrolmentProof =
  | { ok: true; codeId: string | null }
  | { ok: false; reason: 'activation_code_required' | 'activation_code_invalid' | 'activation_lapsed' };

/**
 * The first factor of an activated staff account is bound to its activation: the password
 * alone (phished, guessed, or set by whoever intercepted nothing but it) must not let a
 * stranger enrol their own app or key. Checks the presented activation code without spending
 * it (`spendEnrolmentProof` does, once the factor is active); a wrong code counts, the fifth burns it.
 */
export async function proveEnrolment(
  db: Executor,
  accountId: string,
  presented: string | undefined,
  now = new Date(),
): Promise<EnrolmentProof> {
  const gate = await enrolmentGate(db, accountId, now);
  if (gate.state === 'free') return { ok: true, codeId: null };
  if (gate.state === 'lapsed') return { ok: false, reason: 'activation_lapsed' };
  if (!presented) return { ok: false, reason: 'activation_code_required' };
  const check = await checkCode(db, gate.codeId, 'enrolment', presented, now);
  if (check.ok) return { ok: true, codeId: gate.codeId };
  return { ok: false, reason: check.reason === 'wrong' ? 'activation_code_invalid' : 'activation_lapsed' };
}

export async function spendEnrolmentProof(
  db: Executor,
  proof: Extract<EnrolmentProof, { ok: true }>,
  now = new Date(),
): Promise<void> {
  if (proof.codeId) await spendCode(db, proof.codeId, now);
}

/** The answer to a refused proof, in French, naming the field. */
export const ENROLMENT_REFUSALS: Record<
  Extract<EnrolmentProof, { ok: false }>['reason'],
  { status: 400 | 403; message: string }
> = {
  activation_code_required: {
    status: 403,
    message: 'Premier second facteur : saisissez aussi le code d’activation reçu sur votre adresse professionnelle.',
  },
  activation_code_invalid: { status: 400, message: 'Code d’activation incorrect.' },
  activation_lapsed: {
    status: 403,
    message:
      'Code d’activation expiré ou épuisé : demandez à deux administrateurs de votre organisation une réinitialisation de votre accès.',
  },
};
