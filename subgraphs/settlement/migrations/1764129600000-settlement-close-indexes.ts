import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What closing a cycle over millions of facts costs the database, cut down (bench/settlement-close.ts
 * and BENCHMARKS.md, Settlement close, have the measurements behind each line):
 *
 * - A reversal is priced at the first item of the transaction it reverses. Indexing the lookup's
 *   whole sort order, with the time it reads, makes it one index-only probe instead of an index
 *   scan, a heap fetch and a sort per reversal. It replaces settlement_item_transaction, of which
 *   it is an extension (same leading column).
 * - The reversals of a cycle's range (a few percent of its items), from a partial index, so the
 *   transactions they reverse can be looked up in order without a pass over the whole range.
 * - The journal's foreign key to settlement_cycle ran one lookup and row lock per journal row:
 *   two million of them at a million facts, a third of the close. The one writer of the journal,
 *   computeCycle, checks and key-share-locks its cycle once instead (lockCycleRow), which is the
 *   same guarantee: no journal row without its cycle, and no cycle deleted under its journal.
 * - journal_entry_transaction, on random uuids, cost more than the heap and the primary key
 *   together on every journal row written, and no query reads by it. A transaction's entries are
 *   reached through settlement_item (by transaction), its position (the cycle whose range holds
 *   it) and the journal's primary key.
 */
export class SettlementCloseIndexes1764129600000 implements MigrationInterface {
  name = 'SettlementCloseIndexes1764129600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX settlement_item_transaction_first ON settlement_item (transaction_id, tx_id, seq, n) INCLUDE (at)',
    );
    await queryRunner.query('DROP INDEX settlement_item_transaction');
    await queryRunner.query(
      'CREATE INDEX settlement_item_reversal ON settlement_item (tx_id, seq) INCLUDE (original_transaction_id) WHERE original_transaction_id IS NOT NULL',
    );
    await queryRunner.query(
      'ALTER TABLE journal_entry DROP CONSTRAINT journal_entry_cycle_id_fkey',
    );
    await queryRunner.query('DROP INDEX journal_entry_transaction');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX journal_entry_transaction ON journal_entry (transaction_id)',
    );
    await queryRunner.query(
      'ALTER TABLE journal_entry ADD CONSTRAINT journal_entry_cycle_id_fkey FOREIGN KEY (cycle_id) REFERENCES settlement_cycle (id)',
    );
    await queryRunner.query('DROP INDEX settlement_item_reversal');
    await queryRunner.query(
      'CREATE INDEX settlement_item_transaction ON settlement_item (transaction_id)',
    );
    await queryRunner.query('DROP INDEX settlement_item_transaction_first');
  }
}
