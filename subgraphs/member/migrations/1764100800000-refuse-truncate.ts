import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Row triggers do not see TRUNCATE: refuse it on the append-only history too (docs/ledger.md, L4). */
export class RefuseTruncate1764100800000 implements MigrationInterface {
  name = 'RefuseTruncate1764100800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['ledger_transaction', 'posting', 'lot_link']) {
      await queryRunner.query(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_rewrite()`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['ledger_transaction', 'posting', 'lot_link']) {
      await queryRunner.query(`DROP TRIGGER ${table}_no_truncate ON ${table}`);
    }
  }
}
