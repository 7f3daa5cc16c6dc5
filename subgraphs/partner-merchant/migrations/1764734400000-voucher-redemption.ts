import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A confirmed voucher is redeemed once, at one of its partner's stores: when and where. */
export class VoucherRedemption1764734400000 implements MigrationInterface {
  name = 'VoucherRedemption1764734400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE reward_order
        ADD COLUMN redeemed_at timestamptz,
        ADD COLUMN redeemed_store_id uuid REFERENCES store (id),
        ADD CONSTRAINT reward_order_redeemed CHECK (
          (redeemed_at IS NULL) = (redeemed_store_id IS NULL)
          AND (redeemed_at IS NULL OR (status = 'CONFIRMED' AND voucher_code IS NOT NULL)))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE reward_order DROP CONSTRAINT reward_order_redeemed, DROP COLUMN redeemed_store_id, DROP COLUMN redeemed_at',
    );
  }
}
