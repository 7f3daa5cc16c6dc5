import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ledger time in one place: `ledger_now()` is the database clock, unless a row in `ledger_clock`
 * freezes it at an instant. Only the tests freeze it (to burn at expiry − 1 ms, at expiry and at
 * expiry + 1 ms); the member service refuses to start in production while it is frozen.
 */
export class LedgerClock1764108000000 implements MigrationInterface {
  name = 'LedgerClock1764108000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ledger_clock (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        frozen_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE FUNCTION ledger_now() RETURNS timestamptz LANGUAGE sql VOLATILE AS
      $$ SELECT coalesce((SELECT frozen_at FROM ledger_clock), clock_timestamp()) $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP FUNCTION ledger_now()');
    await queryRunner.query('DROP TABLE ledger_clock');
  }
}
