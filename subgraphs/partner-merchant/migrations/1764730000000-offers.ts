import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Activate-to-earn offers. The content is stored as the feed carries it (JSON, integers as
 * strings, dates ISO) and parsed back with the shared offer schema; the columns beside it are the
 * ones queried: the window (live offers are counted per partner) and the lifecycle. An offer is
 * never deleted: ENDED says when, and by whom, it was stopped early.
 */
export class Offers1764730000000 implements MigrationInterface {
  name = 'Offers1764730000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE offer (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partner (id),
        content jsonb NOT NULL,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('ACTIVE', 'ENDED')),
        created_at timestamptz NOT NULL,
        created_by text NOT NULL,
        ended_at timestamptz,
        ended_by text,
        CHECK (ends_at > starts_at),
        CHECK ((status = 'ENDED') = (ended_at IS NOT NULL) AND (ended_at IS NULL) = (ended_by IS NULL))
      )`);
    await queryRunner.query(
      'CREATE INDEX offer_partner_created ON offer (partner_id, created_at DESC, id DESC)',
    );
    await queryRunner.query(
      `CREATE INDEX offer_partner_live ON offer (partner_id, ends_at) WHERE status = 'ACTIVE'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE offer');
  }
}
