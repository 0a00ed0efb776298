import { randomUUID } from 'node:crypto';
import { ConflictError, ValidationError } from '../domain/index.ts';
import { inTransaction, type AccountsTable, type Executor } from '../store/index.ts';
import { hashPassword, passwordIssues } from './passwords.ts';
import { appendEvent } from '../ledger/index.ts';

export function normalizeLogin(login: string): string {
  return login.trim().toLowerCase();
}

export type NewAccount = NewAccountFields &
  (
    | { password: string; passwordHash?: never }
    /**
     * A password its holder chose earlier and that passed the rules then, kept only as its hash
     * (an online registration held for an agent's review: the account comes at the decision).
     */
    | { password?: never; passwordHash: string }
  );

interface NewAccountFields {
  kind: AccountsTable['kind'];
  login: string;
  actorId?: string;
  personId?: string;
  /** Words the password must not lean on: names, email. */
  personalWords?: string[];
}

export async function createAccount(db: Executor, input: NewAccount): Promise<string> {
  const login = normalizeLogin(input.login);
  if (input.password !== undefined) {
    const issues = passwordIssues(input.password, [login, ...(input.personalWords ?? [])]);
    if (issues.length) throw new ValidationError(issues);
  }
  if ((input.kind === 'staff') !== (input.actorId !== undefined))
    throw new Error('a staff account needs an actor, and only staff accounts have one');
  const passwordHash = input.passwordHash ?? (await hashPassword(input.password));
  return inTransaction(db, async (trx) => {
    const taken = await trx.selectFrom('accounts').select('id').where('login', '=', login).executeTakeFirst();
    if (taken) throw new ConflictError('cet identifiant de connexion est déjà pris', 'login_taken');
    const id = randomUUID();
    const now = new Date().toISOString();
    await trx
      .insertInto('accounts')
      .values({
        id,
        kind: input.kind,
        actor_id: input.actorId ?? null,
        person_id: input.personId ?? null,
        login,
        password_hash: passwordHash,
        status: 'active',
        created_at: now,
        last_login_at: null,
        password_changed_at: now,
      })
      .execute();
    await appendEvent(trx, 'account_created', { accountId: id, details: { kind: input.kind } });
    return id;
  });
}

/** Whether an account already signs in with this login (an online registration asks before creating one). */
export async function isLoginTaken(db: Executor, login: string): Promise<boolean> {
  return (
    (await db.selectFrom('accounts').select('id').where('login', '=', normalizeLogin(login)).executeTakeFirst()) !==
    undefined
  );
}

export async function findAccountByLogin(db: Executor, login: string): Promise<AccountsTable | undefined> {
  return db.selectFrom('accounts').selectAll().where('login', '=', normalizeLogin(login)).executeTakeFirst();
}
