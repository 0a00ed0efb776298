import type { Executor } from '../store/index.ts';

/**
 * Retention of the message queue (issue 24 §2): settled messages (sent or given up) created
 * before `cutoff` on these channels are deleted, or keep only their date and channel (the masked
 * recipient and any sealed content gone). A message still to send is never touched. With
 * `dryRun`, only counted. Returns the messages concerned.
 */
export async function retireMessageRecords(
  db: Executor,
  what: { channels: ReadonlyArray<'email' | 'sms' | 'letter'>; cutoff: string; anonymise: boolean; dryRun: boolean },
): Promise<number> {
  const channels = [...what.channels];
  const settled = ['sent', 'failed'] as const;
  if (what.dryRun) {
    let q = db
      .selectFrom('outgoing_messages')
      .where('channel', 'in', channels)
      .where('created_at', '<', what.cutoff)
      .where('status', 'in', settled);
    if (what.anonymise) q = q.where((eb) => eb.or([eb('recipient', '!=', '—'), eb('sealed', 'is not', null)]));
    return Number((await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  }
  if (what.anonymise)
    return Number(
      (
        await db
          .updateTable('outgoing_messages')
          .set({ recipient: '—', sealed: null })
          .where('channel', 'in', channels)
          .where('created_at', '<', what.cutoff)
          .where('status', 'in', settled)
          .where((eb) => eb.or([eb('recipient', '!=', '—'), eb('sealed', 'is not', null)]))
          .executeTakeFirst()
      ).numUpdatedRows,
    );
  return Number(
    (
      await db
        .deleteFrom('outgoing_messages')
        .where('channel', 'in', channels)
        .where('created_at', '<', what.cutoff)
        .where('status', 'in', settled)
        .executeTakeFirst()
    ).numDeletedRows,
  );
}
