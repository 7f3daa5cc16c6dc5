import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Settlement's copy of the partners (from the partner feed): contracts are checked against it. */
export class PartnerDirectory1764151200000 implements MigrationInterface {
  name = 'PartnerDirectory1764151200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE partner_directory (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        settlement_currency char(3) NOT NULL,
        status text NOT NULL,
        feed_position text NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE partner_directory');
  }
}
