import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Households: members who may pass points to each other (points keep their issuer and expiry). */
export class Households1764093600000 implements MigrationInterface {
  name = 'Households1764093600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE household (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      'ALTER TABLE member ADD COLUMN household_id uuid REFERENCES household (id)',
    );
    await queryRunner.query(
      'CREATE INDEX member_household ON member (household_id) WHERE household_id IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE member DROP COLUMN household_id');
    await queryRunner.query('DROP TABLE household');
  }
}
