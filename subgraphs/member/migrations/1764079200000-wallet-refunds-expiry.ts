import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds and expiry. `wallet.debt` records points a purchase refund clawed back after they were
 * spent (the documented policy: a recorded debt, repaid first from later earnings, never a silent
 * loss); while it is positive the member has no live lots. A refunded burn gives its points back
 * as new lots that keep the consumed lots' issuer and expiry (`restored_from_lot_id`).
 */
export class WalletRefundsExpiry1764079200000 implements MigrationInterface {
  name = 'WalletRefundsExpiry1764079200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE wallet ADD COLUMN debt bigint NOT NULL DEFAULT 0 CHECK (debt >= 0)',
    );
    await queryRunner.query(
      'ALTER TABLE lot ADD COLUMN restored_from_lot_id uuid REFERENCES lot (id)',
    );
    await queryRunner.query('CREATE INDEX lot_expiring ON lot (expires_at) WHERE remaining > 0');
    await queryRunner.query(
      'CREATE INDEX ledger_transaction_reverses ON ledger_transaction (reverses_id) WHERE reverses_id IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX ledger_transaction_reverses');
    await queryRunner.query('DROP INDEX lot_expiring');
    await queryRunner.query('ALTER TABLE lot DROP COLUMN restored_from_lot_id');
    await queryRunner.query('ALTER TABLE wallet DROP COLUMN debt');
  }
}
