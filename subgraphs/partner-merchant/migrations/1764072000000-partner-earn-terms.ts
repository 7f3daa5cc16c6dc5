import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The base earn terms the wallet applies until versioned earn rules arrive: points per unit of the
 * partner's currency (rounded down) and the return window during which earned points stay pending.
 */
export class PartnerEarnTerms1764072000000 implements MigrationInterface {
  name = 'PartnerEarnTerms1764072000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE partner
        ADD COLUMN points_per_currency_unit integer NOT NULL DEFAULT 1 CHECK (points_per_currency_unit BETWEEN 1 AND 1000),
        ADD COLUMN return_window_days integer NOT NULL DEFAULT 14 CHECK (return_window_days BETWEEN 0 AND 365)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE partner DROP COLUMN points_per_currency_unit, DROP COLUMN return_window_days',
    );
  }
}
