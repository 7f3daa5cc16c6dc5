import type { MigrationInterface, QueryRunner } from 'typeorm';

const KINDS = ['EARN', 'BURN', 'REFUND', 'EXPIRY', 'ADJUSTMENT', 'TRANSFER'];

/**
 * DEBT_REPAYMENT transactions: lots consumed against a member's debt once a hold releases the
 * points a purchase refund could not take (see debt-repayment.ts). Only the kind's CHECK changes.
 */
export class DebtRepayment1764720000000 implements MigrationInterface {
  name = 'DebtRepayment1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await this.allowKinds(queryRunner, [...KINDS, 'DEBT_REPAYMENT']);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // History is append-only: a database that has repaid debt this way cannot go back.
    const used: unknown[] = await queryRunner.query(
      "SELECT 1 FROM ledger_transaction WHERE kind = 'DEBT_REPAYMENT' LIMIT 1",
    );
    if (used.length > 0)
      throw new Error(
        'DEBT_REPAYMENT transactions exist: the ledger is append-only, so this migration cannot be reverted',
      );
    await this.allowKinds(queryRunner, KINDS);
  }

  private async allowKinds(queryRunner: QueryRunner, kinds: readonly string[]): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE ledger_transaction DROP CONSTRAINT ledger_transaction_kind_check',
    );
    await queryRunner.query(
      `ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_transaction_kind_check CHECK (kind IN (${kinds.map((k) => `'${k}'`).join(', ')}))`,
    );
  }
}
