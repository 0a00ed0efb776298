import { setTimeout as sleep } from 'node:timers/promises';
import type { AccountsTable, Executor } from '../store/index.ts';
import { findAccountByLogin, normalizeLogin } from './accounts.ts';
import { hasUsableSecondFactor } from './passkeys/index.ts';
import { verifyPassword } from './passwords.ts';
import { announceToAccount, type Messenger } from './notifications.ts';
import { createSession, networkOf, type ClientContext, type IssuedSession } from './sessions.ts';
import {
  addressScope,
  blockedUntil,
  blocksOf,
  clearFailures,
  globalScope,
  latest,
  loginDayScope,
  loginScope,
  networkScope,
  oneAtATime,
  recordFailure,
  type ThrottleScope,
} from './throttle.ts';
import { appendEvent } from '../ledger/index.ts';

export type LoginOutcome =
  | {
      ok: true;
      account: AccountsTable;
      session: IssuedSession;
      secondFactor: 'required' | 'enrolment_required' | 'not_required';
    }
  | { ok: false; reason: 'invalid_credentials' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

export interface LoginOptions {
  /** Where a lock of the account is announced to its holder (the route's messenger). */
  messenger?: Messenger;
  /** The slower answer given from a place under a spray (default 1 s). */
  stepUpDelayMs?: number;
  /** Thresholds of the network-wide and service-wide counts (tests make them small). */
  networkMaxFailures?: number;
  globalMaxFailures?: number;
}

/** How much slower a sign-in from a place under a spray answers: a sprayer's rate drops, a person barely notices. */
const STEP_UP_DELAY_MS = 1_000;

/**
 * Password login. Unknown account, wrong password and disabled account get the same answer
 * in the same time. Failures count per login name (over 15 minutes and over a day), per
 * address, per network and for the whole service, so a lock reveals nothing, a paced guesser
 * is stopped within a day, and a spray is seen whether it comes from one address, one network
 * or everywhere. The login name's own counts refuse outright. The others describe a place, where
 * colleagues behind one NAT share an address with whoever fails: from a blocked place the answer
 * is slower, and a correct password opens a session only for an account whose second factor
 * will be asked next (without one, nothing tells the holder from the sprayer: refused).
 */
export async function loginWithPassword(
  db: Executor,
  credentials: { login: string; password: string },
  client: ClientContext,
  now = new Date(),
  options: LoginOptions = {},
): Promise<LoginOutcome> {
  const login = normalizeLogin(credentials.login);
  // Guesses at one login name take turns: each is checked against the count the previous left.
  return oneAtATime(`login:${login}`, () => passwordAttempt(db, login, credentials.password, client, now, options));
}

async function passwordAttempt(
  db: Executor,
  login: string,
  password: string,
  client: ClientContext,
  now: Date,
  options: LoginOptions,
): Promise<LoginOutcome> {
  const { accountScopes, placeScopes, everywhere } = failureScopes(login, client.address, options);
  const throttled = async (until: Date, scope: string): Promise<LoginOutcome> => {
    await appendEvent(db, 'login_throttled', {
      address: client.address,
      details: { until: until.toISOString(), scope },
    });
    return { ok: false, reason: 'throttled', retryAfterSeconds: Math.ceil((until.getTime() - now.getTime()) / 1000) };
  };
  const blocks = await blocksOf(db, [...accountScopes, ...placeScopes, everywhere], now);
  const blockOf = (scopes: readonly ThrottleScope[]) => latest(scopes.flatMap((s) => blocks.get(s.key) ?? []));
  const accountBlocked = blockOf(accountScopes);
  if (accountBlocked) return throttled(accountBlocked, 'login');
  const placeBlocked = blockOf(placeScopes);
  const sprayed = blocks.has(everywhere.key);
  if (placeBlocked || sprayed) await sleep(options.stepUpDelayMs ?? STEP_UP_DELAY_MS);
  const account = await findAccountByLogin(db, login);
  const passwordOk = await verifyPassword(account?.password_hash, password);
  if (!account || !passwordOk || account.status !== 'active') {
    await countWrongPassword(db, login, account, client, now, options);
    // From a blocked place a wrong password is answered as the block, as before the block.
    if (placeBlocked) return throttled(placeBlocked, 'place');
    return { ok: false, reason: 'invalid_credentials' };
  }
  await clearFailures(db, accountScopes[0]!);
  const enrolled = await hasUsableSecondFactor(db, account.id);
  // From a blocked place, the right password alone is not proof enough: the factor must follow.
  if (placeBlocked && !enrolled) return throttled(placeBlocked, 'place');
  // Staff must hold a second factor; anyone who enrolled one must present it.
  const secondFactor = enrolled ? 'required' : account.kind === 'staff' ? 'enrolment_required' : 'not_required';
  const session = await createSession(db, account.id, account.kind, client, {
    now,
    requiresSecondFactor: secondFactor !== 'not_required',
  });
  await db.updateTable('accounts').set({ last_login_at: now.toISOString() }).where('id', '=', account.id).execute();
  await appendEvent(db, 'login_succeeded', {
    accountId: account.id,
    address: client.address,
    details: { session: session.publicId, ...(placeBlocked ? { steppedUp: true } : {}) },
  });
  return { ok: true, account, session, secondFactor };
}

/** The scopes of a failure, in the order they are counted, as the ledger names them. */
const SCOPE_NAMES = ['login', 'login_day', 'address', 'network', 'global'] as const;

/** Where a wrong password for this login name, from this address, is counted (in `SCOPE_NAMES`' order). */
function failureScopes(
  login: string,
  address: string,
  options: Pick<LoginOptions, 'networkMaxFailures' | 'globalMaxFailures'>,
) {
  return {
    accountScopes: [loginScope(login), loginDayScope(login)],
    placeScopes: [addressScope(address), networkScope(networkOf(address), options.networkMaxFailures)],
    everywhere: globalScope(options.globalMaxFailures),
  };
}

/**
 * The login name's own blocks (15 minutes and a day) at this moment: what refuses a password
 * outright, at sign-in and wherever else a password is asked for (a password change).
 */
export async function loginBlockedUntil(db: Executor, login: string, now = new Date()): Promise<Date | undefined> {
  return blockedUntil(db, [loginScope(login), loginDayScope(login)], now);
}

/**
 * A wrong password counted as every failed sign-in is: per login name (15 minutes and a day), per
 * address, per network and for the whole service, recorded in the ledger with the locks it causes;
 * the daily lock is the paced guesser's, and its target hears of it on every verified channel.
 * `operation` names what asked for the password when it was not a sign-in (`password_change`).
 */
export async function countWrongPassword(
  db: Executor,
  login: string,
  account: AccountsTable | undefined,
  client: ClientContext,
  now: Date,
  options: LoginOptions & { operation?: string } = {},
): Promise<void> {
  const { accountScopes, placeScopes, everywhere } = failureScopes(login, client.address, options);
  const scopes = [...accountScopes, ...placeScopes, everywhere];
  const locks = await Promise.all(scopes.map((scope) => recordFailure(db, scope, now)));
  const operation: Record<string, string> = options.operation ? { operation: options.operation } : {};
  await appendEvent(db, 'login_failed', {
    accountId: account?.id ?? null,
    address: client.address,
    details: { reason: 'invalid_credentials', ...operation },
  });
  for (const [i, until] of locks.entries()) {
    if (!until) continue;
    const scope = SCOPE_NAMES[i]!;
    await appendEvent(db, 'login_locked', {
      accountId: i < accountScopes.length ? (account?.id ?? null) : null,
      address: client.address,
      details: { until: until.toISOString(), scope, ...operation },
    });
    if (scope === 'login_day' && account && options.messenger) {
      await announceToAccount(
        options.messenger,
        account.id,
        'login_lock_announcement',
        'Rempart : connexions bloquées sur votre compte',
        `Trop de mots de passe erronés ont été essayés sur votre compte depuis 24 heures : les connexions par mot de passe sont bloquées jusqu’au ${until.toLocaleString('fr-FR', { timeZone: 'Europe/Paris' })}. Si ce n’est pas vous, quelqu’un cherche votre mot de passe : choisissez-en un nouveau, long et unique, et activez un second facteur.`,
        { verifiedOnly: true },
      );
    }
  }
}
