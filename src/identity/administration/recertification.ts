import { randomUUID } from 'node:crypto';
import { ConflictError, ForbiddenError, NotFoundError } from '../../domain/index.ts';
import { inTransaction, isUniqueViolation, type Executor, type RecertificationItemsTable } from '../../store/index.ts';
import { alertSecurityContact, type Messenger } from '../notifications.ts';
import { revokeAllSessions } from '../sessions.ts';
import { requireOrgAdmin } from './requests.ts';
import { appendEvent } from '../../ledger/index.ts';

/** Every organisation reviews its staff accounts twice a year, and has a month to do it. */
export const RECERTIFICATION_EVERY_DAYS = 180;
export const RECERTIFICATION_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

export interface RecertificationView {
  id: string;
  organisationId: string;
  startedAt: string;
  dueAt: string;
  closedAt: string | null;
  accounts: Array<{
    accountId: string;
    login: string;
    decision: RecertificationItemsTable['decision'];
    decidedBy: string | null;
    decidedAt: string | null;
  }>;
}

async function openCampaign(
  trx: Executor,
  organisationId: string,
  startedBy: string | null,
  now: Date,
): Promise<{ id: string; dueAt: string; accounts: number }> {
  const id = randomUUID();
  const dueAt = new Date(now.getTime() + RECERTIFICATION_WINDOW_DAYS * DAY_MS).toISOString();
  await trx
    .insertInto('recertification_campaigns')
    .values({
      id,
      organisation_id: organisationId,
      started_by: startedBy,
      started_at: now.toISOString(),
      due_at: dueAt,
      closed_at: null,
    })
    .execute();
  const accounts = await trx
    .selectFrom('accounts')
    .innerJoin('actors', 'actors.id', 'accounts.actor_id')
    .select('accounts.id')
    .where('actors.organisation_id', '=', organisationId)
    .where('accounts.status', '=', 'active')
    .execute();
  if (accounts.length)
    await trx
      .insertInto('recertification_items')
      .values(
        accounts.map((a) => ({
          campaign_id: id,
          account_id: a.id,
          decision: 'pending' as const,
          decided_by: null,
          decided_at: null,
        })),
      )
      .execute();
  await appendEvent(trx, 'recertification_started', {
    accountId: startedBy,
    details: { campaign: id, organisation: organisationId, accounts: accounts.length },
  });
  return { id, dueAt, accounts: accounts.length };
}

async function announceCampaign(
  m: Messenger,
  organisationId: string,
  campaign: { id: string; dueAt: string; accounts: number },
): Promise<void> {
  await alertSecurityContact(
    m,
    organisationId,
    'recertification_alert',
    'revue des comptes ouverte',
    `Une revue des ${campaign.accounts} comptes de votre organisation est ouverte jusqu’au ${campaign.dueAt}. Chaque compte doit être confirmé par un administrateur autre que son titulaire ; ceux qui ne le sont pas seront désactivés à l’échéance.`,
  );
}

async function currentCampaign(db: Executor, organisationId: string) {
  return db
    .selectFrom('recertification_campaigns')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('closed_at', 'is', null)
    .executeTakeFirst();
}

/** An administrator opens a review of all the organisation's active accounts. */
export async function startRecertification(
  m: Messenger,
  adminAccountId: string,
  now = new Date(),
): Promise<RecertificationView> {
  const admin = await requireOrgAdmin(m.db, adminAccountId);
  if (await currentCampaign(m.db, admin.organisationId))
    throw new ConflictError('une revue des comptes est déjà en cours', 'recertification_open');
  const campaign = await inTransaction(m.db, (trx) =>
    openCampaign(trx, admin.organisationId, admin.accountId, now),
  ).catch((error: unknown) => {
    if (isUniqueViolation(error))
      throw new ConflictError('une revue des comptes est déjà en cours', 'recertification_open');
    throw error;
  });
  await announceCampaign(m, admin.organisationId, campaign);
  return (await recertificationView(m.db, campaign.id))!;
}

export async function recertificationView(db: Executor, campaignId: string): Promise<RecertificationView | undefined> {
  const campaign = await db
    .selectFrom('recertification_campaigns')
    .selectAll()
    .where('id', '=', campaignId)
    .executeTakeFirst();
  if (!campaign) return undefined;
  const items = await db
    .selectFrom('recertification_items')
    .innerJoin('accounts', 'accounts.id', 'recertification_items.account_id')
    .select([
      'recertification_items.account_id',
      'accounts.login',
      'recertification_items.decision',
      'recertification_items.decided_by',
      'recertification_items.decided_at',
    ])
    .where('recertification_items.campaign_id', '=', campaignId)
    .orderBy('accounts.login')
    .execute();
  return {
    id: campaign.id,
    organisationId: campaign.organisation_id,
    startedAt: campaign.started_at,
    dueAt: campaign.due_at,
    closedAt: campaign.closed_at,
    accounts: items.map((i) => ({
      accountId: i.account_id,
      login: i.login,
      decision: i.decision,
      decidedBy: i.decided_by,
      decidedAt: i.decided_at,
    })),
  };
}

export async function currentRecertification(
  db: Executor,
  adminAccountId: string,
): Promise<RecertificationView | undefined> {
  const admin = await requireOrgAdmin(db, adminAccountId);
  const campaign = await currentCampaign(db, admin.organisationId);
  return campaign ? recertificationView(db, campaign.id) : undefined;
}

/** Keep or disable one account; nobody certifies their own. */
export async function decideRecertification(
  m: Messenger,
  adminAccountId: string,
  accountId: string,
  decision: 'kept' | 'disabled',
  address: string,
  now = new Date(),
): Promise<RecertificationView> {
  const admin = await requireOrgAdmin(m.db, adminAccountId);
  const campaign = await currentCampaign(m.db, admin.organisationId);
  if (!campaign) throw new NotFoundError('revue des comptes en cours');
  if (accountId === admin.accountId)
    throw new ForbiddenError(
      'Un administrateur ne confirme pas son propre compte : un autre administrateur doit le faire.',
      'four_eyes_required',
    );
  await inTransaction(m.db, async (trx) => {
    const updated = await trx
      .updateTable('recertification_items')
      .set({ decision, decided_by: admin.accountId, decided_at: now.toISOString() })
      .where('campaign_id', '=', campaign.id)
      .where('account_id', '=', accountId)
      .where('decision', '=', 'pending')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw new NotFoundError('compte à revoir');
    if (decision === 'disabled') {
      await trx.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', accountId).execute();
      await revokeAllSessions(trx, accountId, 'recertification');
      await appendEvent(trx, 'account_disabled', {
        accountId,
        address,
        details: { reason: 'recertification', by: admin.accountId },
      });
    } else {
      await appendEvent(trx, 'account_recertified', {
        accountId,
        address,
        details: { by: admin.accountId, campaign: campaign.id },
      });
    }
  });
  return (await recertificationView(m.db, campaign.id))!;
}

/**
 * The daily sweep: close reviews past their due date, disabling every account nobody
 * confirmed, and open a review for each organisation whose last one is six months old (or,
 * for one never reviewed, six months after it joined).
 */
export async function runRecertificationSchedule(
  m: Messenger,
  now = new Date(),
): Promise<{ opened: number; closed: number; disabled: number }> {
  let closed = 0;
  let disabled = 0;
  const due = await m.db
    .selectFrom('recertification_campaigns')
    .selectAll()
    .where('closed_at', 'is', null)
    .where('due_at', '<=', now.toISOString())
    .execute();
  for (const campaign of due) {
    const pending = await inTransaction(m.db, async (trx) => {
      // Closed once: a sweep running at the same time on another process finds it closed and does nothing.
      const closing = await trx
        .updateTable('recertification_campaigns')
        .set({ closed_at: now.toISOString() })
        .where('id', '=', campaign.id)
        .where('closed_at', 'is', null)
        .executeTakeFirst();
      if (Number(closing.numUpdatedRows) !== 1) return undefined;
      const items = await trx
        .selectFrom('recertification_items')
        .select('account_id')
        .where('campaign_id', '=', campaign.id)
        .where('decision', '=', 'pending')
        .execute();
      const ids = items.map((i) => i.account_id);
      if (ids.length) {
        await trx
          .updateTable('recertification_items')
          .set({ decision: 'disabled', decided_at: now.toISOString() })
          .where('campaign_id', '=', campaign.id)
          .where('decision', '=', 'pending')
          .execute();
        await trx
          .updateTable('accounts')
          .set({ status: 'disabled' })
          .where('id', 'in', ids)
          .where('status', '=', 'active')
          .execute();
        for (const id of ids) {
          await revokeAllSessions(trx, id, 'not_recertified');
          await appendEvent(trx, 'account_disabled', {
            accountId: id,
            details: { reason: 'not_recertified', campaign: campaign.id },
          });
        }
      }
      return ids.length;
    });
    if (pending === undefined) continue;
    closed += 1;
    disabled += pending;
    await alertSecurityContact(
      m,
      campaign.organisation_id,
      'recertification_alert',
      'revue des comptes close',
      `La revue des comptes ouverte le ${campaign.started_at} est close : ${pending} compte(s) non confirmé(s) ont été désactivés.`,
    );
  }
  let opened = 0;
  const cutoff = new Date(now.getTime() - RECERTIFICATION_EVERY_DAYS * DAY_MS).toISOString();
  const organisations = await m.db
    .selectFrom('organisations')
    .select(['id', 'created_at'])
    .where('status', '=', 'active')
    .execute();
  for (const organisation of organisations) {
    const last = await m.db
      .selectFrom('recertification_campaigns')
      .select('started_at')
      .where('organisation_id', '=', organisation.id)
      .orderBy('started_at', 'desc')
      .executeTakeFirst();
    if ((last?.started_at ?? organisation.created_at) > cutoff) continue;
    if (await currentCampaign(m.db, organisation.id)) continue;
    // One open review per organisation (a unique index): opened by another process meanwhile, it is not opened twice.
    const campaign = await inTransaction(m.db, (trx) => openCampaign(trx, organisation.id, null, now)).catch(
      (error: unknown) => {
        if (isUniqueViolation(error)) return undefined;
        throw error;
      },
    );
    if (!campaign) continue;
    await announceCampaign(m, organisation.id, campaign);
    opened += 1;
  }
  return { opened, closed, disabled };
}
