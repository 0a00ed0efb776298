import { sql, type Kysely } from 'kysely';
import type { Flavour } from '../flavour.ts';

/**
 * Rights requests (GDPR Art. 12, 15–21; issue 24): one row per request a person made (their
 * espace, an agency desk, a letter, the phone, a mandated person), its identity check, its
 * state, its clock (receipt, time paused while identity is unconfirmed, extension) and its
 * answer; and the history of its steps. Free text (the request, the DPO's notes and answer) is
 * sealed like every personal value; reason codes and legal references are plain.
 */
export function rightsRequests(flavour: Flavour) {
  const blob = flavour === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('rights_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('reference', 'text', (c) => c.notNull().unique())
        .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id'))
        .addColumn('kind', 'text', (c) =>
          c.notNull().check(sql.raw("kind in ('access', 'rectification', 'erasure', 'restriction', 'objection')")),
        )
        .addColumn('channel', 'text', (c) =>
          c.notNull().check(sql.raw("channel in ('espace', 'agency_desk', 'letter', 'phone', 'mandate')")),
        )
        .addColumn('status', 'text', (c) =>
          c
            .notNull()
            .check(
              sql.raw("status in ('received', 'identity_to_confirm', 'in_progress', 'extended', 'answered', 'closed')"),
            ),
        )
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('recorded_by', 'text')
        .addColumn('details', blob)
        .addColumn('verification_method', 'text')
        .addColumn('verified_by', 'text')
        .addColumn('verified_at', 'text')
        .addColumn('paused_ms', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('paused_since', 'text')
        .addColumn('extended_at', 'text')
        .addColumn('outcome', 'text', (c) => c.check(sql.raw("outcome in ('granted', 'partly_granted', 'refused')")))
        .addColumn('refusal_reason', 'text')
        .addColumn('legal_reference', 'text')
        .addColumn('answer_channel', 'text', (c) => c.check(sql.raw("answer_channel in ('espace', 'email', 'letter')")))
        .addColumn('answer', blob)
        .addColumn('answered_at', 'text')
        .addColumn('answered_by', 'text')
        .addColumn('closed_at', 'text')
        .addColumn('overdue_alerted_at', 'text')
        .execute();
      await db.schema.createIndex('rights_requests_person').on('rights_requests').columns(['person_id']).execute();
      await db.schema.createIndex('rights_requests_status').on('rights_requests').columns(['status']).execute();
      await db.schema
        .createTable('rights_request_steps')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('request_id', 'text', (c) => c.notNull().references('rights_requests.id'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('note', blob)
        .addColumn('details', 'text', (c) => c.notNull())
        .addUniqueConstraint('rights_request_steps_position', ['request_id', 'position'])
        .execute();
    },
  };
}
