import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A leaving partner's last moments for earning and burning (set exactly while it is LEAVING), and
 * the audit trail of every status change: who, when, from what to what, why.
 */
export class PartnerStatusHistory1764720000000 implements MigrationInterface {
  name = 'PartnerStatusHistory1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE partner
        ADD COLUMN earn_stop_at timestamptz,
        ADD COLUMN burn_stop_at timestamptz,
        ADD CONSTRAINT partner_stop_dates CHECK (
          CASE WHEN status = 'LEAVING' THEN earn_stop_at IS NOT NULL AND burn_stop_at IS NOT NULL AND burn_stop_at >= earn_stop_at
               ELSE earn_stop_at IS NULL AND burn_stop_at IS NULL END)`);
    await queryRunner.query(`
      CREATE TABLE partner_status_change (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partner (id),
        from_status text NOT NULL CHECK (from_status IN ('ACTIVE', 'SUSPENDED', 'LEAVING')),
        to_status text NOT NULL CHECK (to_status IN ('ACTIVE', 'SUSPENDED', 'LEAVING')),
        reason text,
        earn_stop_at timestamptz,
        burn_stop_at timestamptz,
        changed_by text NOT NULL,
        changed_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      'CREATE INDEX partner_status_change_partner ON partner_status_change (partner_id, changed_at DESC, id DESC)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE partner_status_change');
    await queryRunner.query(
      'ALTER TABLE partner DROP CONSTRAINT partner_stop_dates, DROP COLUMN earn_stop_at, DROP COLUMN burn_stop_at',
    );
  }
}
