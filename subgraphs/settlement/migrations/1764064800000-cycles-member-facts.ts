import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createCursorTable, dropFeedTables } from '@coalition/shared/feed/outbox';

export class CyclesMemberFacts1764064800000 implements MigrationInterface {
  name = 'CyclesMemberFacts1764064800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Every member-feed fact settlement has taken in, in feed order: what cycles are computed from.
    await queryRunner.query(`
      CREATE TABLE member_fact (
        tx_id numeric(20, 0) NOT NULL,
        seq bigint NOT NULL,
        type text NOT NULL,
        key text NOT NULL,
        payload jsonb NOT NULL,
        recorded_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tx_id, seq)
      )`);
    await queryRunner.query(`
      CREATE TABLE settlement_cycle (
        id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('DRAFT', 'CLOSED', 'APPROVED', 'PAID')),
        from_position text NOT NULL,
        cutoff_position text,
        opened_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz
      )`);
    await queryRunner.query(
      'CREATE INDEX settlement_cycle_opened ON settlement_cycle (opened_at DESC, id DESC)',
    );
    await queryRunner.query(`
      CREATE TABLE partner_statement (
        cycle_id uuid NOT NULL REFERENCES settlement_cycle (id),
        partner_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (cycle_id, partner_id)
      )`);
    await queryRunner.query(
      'CREATE INDEX partner_statement_partner ON partner_statement (partner_id, cycle_id)',
    );
    await createCursorTable(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropFeedTables(queryRunner, 'feed_cursor');
    await queryRunner.query('DROP TABLE partner_statement');
    await queryRunner.query('DROP TABLE settlement_cycle');
    await queryRunner.query('DROP TABLE member_fact');
  }
}
