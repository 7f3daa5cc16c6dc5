import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A partner disputes a line of a closed statement; the operator resolves it. An accepted dispute
 * becomes a settlement_adjustment, which the next close carries as an ADJUSTMENT line: the
 * disputed statement itself never changes.
 */
export class Disputes1764136800000 implements MigrationInterface {
  name = 'Disputes1764136800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE dispute (
        id uuid PRIMARY KEY,
        cycle_id uuid NOT NULL REFERENCES settlement_cycle (id),
        partner_id uuid NOT NULL,
        currency char(3) NOT NULL,
        line_no integer NOT NULL,
        reason text NOT NULL,
        status text NOT NULL CHECK (status IN ('OPEN', 'ACCEPTED', 'REJECTED')),
        opened_at timestamptz NOT NULL,
        opened_by text NOT NULL,
        resolution text,
        resolved_at timestamptz,
        resolved_by text,
        adjustment_id uuid REFERENCES settlement_adjustment (id)
      )`);
    await queryRunner.query(
      'CREATE INDEX dispute_partner ON dispute (partner_id, opened_at DESC, id DESC)',
    );
    await queryRunner.query('CREATE INDEX dispute_cycle ON dispute (cycle_id)');
    // One open dispute per line at a time.
    await queryRunner.query(
      `CREATE UNIQUE INDEX dispute_one_open ON dispute (cycle_id, partner_id, currency, line_no) WHERE status = 'OPEN'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE dispute');
  }
}
