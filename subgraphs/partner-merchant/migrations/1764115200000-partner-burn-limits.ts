import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each partner's smallest and largest burn per transaction; no maximum means the coalition's. */
export class PartnerBurnLimits1764115200000 implements MigrationInterface {
  name = 'PartnerBurnLimits1764115200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE partner
        ADD COLUMN burn_points_min integer NOT NULL DEFAULT 1 CHECK (burn_points_min BETWEEN 1 AND 10000000),
        ADD COLUMN burn_points_max integer CHECK (burn_points_max BETWEEN burn_points_min AND 10000000)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE partner DROP COLUMN burn_points_min, DROP COLUMN burn_points_max',
    );
  }
}
