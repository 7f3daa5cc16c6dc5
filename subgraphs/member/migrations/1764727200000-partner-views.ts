import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a partner's views of the ledger read (Partner.ledgerTransactions, pointsSummary,
 * memberReach): its transactions by time, and one store's. The partner index carries the columns
 * the period totals and the member reach add up, so those are index-only scans of the partner's
 * rows in the period, not a visit to every heap page the period touches.
 *
 * Built CONCURRENTLY, outside a transaction: a plain CREATE INDEX would block every earn and burn
 * (they insert into ledger_transaction) while it scans the ledger. A run interrupted half-way leaves
 * an invalid index and no migration record; the rerun drops it and builds it again.
 */
export class PartnerViews1764727200000 implements MigrationInterface {
  name = 'PartnerViews1764727200000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await rebuild(
      queryRunner,
      'ledger_transaction_partner',
      'ON ledger_transaction (partner_id, created_at DESC, id DESC) INCLUDE (kind, points, member_id, reverses_id) WHERE partner_id IS NOT NULL',
    );
    await rebuild(
      queryRunner,
      'ledger_transaction_store',
      'ON ledger_transaction (store_id, created_at DESC, id DESC) WHERE store_id IS NOT NULL',
    );
    // A store belongs to one partner: without this the planner multiplies the two selectivities,
    // expects a store filter to leave almost nothing, and sorts the partner's whole period for a page.
    await queryRunner.query(
      'CREATE STATISTICS IF NOT EXISTS ledger_transaction_partner_store (dependencies) ON partner_id, store_id FROM ledger_transaction',
    );
    await queryRunner.query('ANALYZE ledger_transaction');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP STATISTICS IF EXISTS ledger_transaction_partner_store');
    await queryRunner.query('DROP INDEX CONCURRENTLY IF EXISTS ledger_transaction_store');
    await queryRunner.query('DROP INDEX CONCURRENTLY IF EXISTS ledger_transaction_partner');
  }
}

async function rebuild(queryRunner: QueryRunner, name: string, definition: string): Promise<void> {
  await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  await queryRunner.query(`CREATE INDEX CONCURRENTLY ${name} ${definition}`);
}
