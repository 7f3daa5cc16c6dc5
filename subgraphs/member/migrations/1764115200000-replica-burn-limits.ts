import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The wallet's copy of each partner's burn limits (see the partner service's partner table). */
export class ReplicaBurnLimits1764115200000 implements MigrationInterface {
  name = 'ReplicaBurnLimits1764115200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE partner_replica ADD COLUMN burn_points_min integer NOT NULL DEFAULT 1, ADD COLUMN burn_points_max integer',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE partner_replica DROP COLUMN burn_points_min, DROP COLUMN burn_points_max',
    );
  }
}
