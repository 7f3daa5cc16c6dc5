import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The coalition's tier bonuses (operator-funded, every partner): replaced as a whole set. */
export class TierBonuses1764721800000 implements MigrationInterface {
  name = 'TierBonuses1764721800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tier_bonus (
        tier text PRIMARY KEY CHECK (tier ~ '^[A-Z][A-Z0-9_]{0,31}$'),
        bonus_percent integer NOT NULL CHECK (bonus_percent BETWEEN 1 AND 500),
        set_at timestamptz NOT NULL,
        set_by text NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE tier_bonus');
  }
}
