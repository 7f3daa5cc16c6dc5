import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  createCursorTable,
  createOutboxTable,
  dropFeedTables,
} from '@coalition/shared/feed/outbox';

export class MembersLinksReplica1764064800000 implements MigrationInterface {
  name = 'MembersLinksReplica1764064800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE member (
        id uuid PRIMARY KEY,
        card_number char(16) NOT NULL UNIQUE,
        name text NOT NULL,
        email text NOT NULL,
        enrolled_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query('CREATE UNIQUE INDEX member_email_unique ON member (lower(email))');
    await queryRunner.query('CREATE INDEX member_enrolled ON member (enrolled_at DESC, id DESC)');
    // The wallet's copy of the partner configuration, replicated from the partner feed.
    await queryRunner.query(`
      CREATE TABLE partner_replica (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        status text NOT NULL,
        settlement_currency char(3) NOT NULL,
        feed_position text NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE store_replica (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partner_replica (id),
        name text NOT NULL,
        time_zone text NOT NULL,
        feed_position text NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE member_partner_link (
        member_id uuid NOT NULL REFERENCES member (id),
        partner_id uuid NOT NULL REFERENCES partner_replica (id),
        linked_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (member_id, partner_id)
      )`);
    await createOutboxTable(queryRunner);
    await createCursorTable(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropFeedTables(queryRunner, 'feed_cursor');
    await dropFeedTables(queryRunner, 'outbox');
    await queryRunner.query('DROP TABLE member_partner_link');
    await queryRunner.query('DROP TABLE store_replica');
    await queryRunner.query('DROP TABLE partner_replica');
    await queryRunner.query('DROP TABLE member');
  }
}
