import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Partners' own rate limits at the gateway, as the audit trail of every change an operator made:
 * who, when, to what. A partner's limit is its newest entry; null numbers mean "back to the
 * gateway's defaults".
 */
export class PartnerRateLimits1764738000000 implements MigrationInterface {
  name = 'PartnerRateLimits1764738000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE partner_rate_limit_change (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partner (id),
        requests_per_minute integer CHECK (requests_per_minute > 0),
        burst integer CHECK (burst >= 0),
        changed_by text NOT NULL,
        changed_at timestamptz NOT NULL,
        CHECK ((requests_per_minute IS NULL) = (burst IS NULL))
      )`);
    await queryRunner.query(
      'CREATE INDEX partner_rate_limit_change_partner ON partner_rate_limit_change (partner_id, changed_at DESC, id DESC)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE partner_rate_limit_change');
  }
}
