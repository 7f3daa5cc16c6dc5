import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reward catalogue: items and vouchers a member orders for points at a partner, with stock
 * (null: unlimited), and the orders. An order reserves a unit of stock while PENDING, keeps it when
 * CONFIRMED (the wallet burned the points: burn_transaction_id) and gives it back when FAILED.
 */
export class Rewards1764730600000 implements MigrationInterface {
  name = 'Rewards1764730600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE reward (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partner (id),
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        kind text NOT NULL CHECK (kind IN ('ITEM', 'VOUCHER')),
        points_cost bigint NOT NULL CHECK (points_cost > 0),
        stock integer CHECK (stock >= 0),
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      'CREATE INDEX reward_partner ON reward (partner_id, created_at DESC, id DESC)',
    );
    await queryRunner.query(
      'CREATE INDEX reward_partner_active ON reward (partner_id, created_at DESC, id DESC) WHERE active',
    );
    await queryRunner.query(`
      CREATE TABLE reward_order (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partner (id),
        reward_id uuid NOT NULL REFERENCES reward (id),
        member_id uuid NOT NULL,
        points bigint NOT NULL CHECK (points > 0),
        status text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'FAILED')),
        failure_code text,
        burn_transaction_id uuid,
        voucher_code text,
        idempotency_scope text NOT NULL,
        idempotency_key text NOT NULL,
        request_hash text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT reward_order_idempotency UNIQUE (idempotency_scope, idempotency_key),
        CONSTRAINT reward_order_outcome CHECK (
          CASE status
            WHEN 'PENDING' THEN failure_code IS NULL AND burn_transaction_id IS NULL AND voucher_code IS NULL
            WHEN 'CONFIRMED' THEN failure_code IS NULL AND burn_transaction_id IS NOT NULL
            ELSE failure_code IS NOT NULL AND burn_transaction_id IS NULL AND voucher_code IS NULL END)
      )`);
    await queryRunner.query(
      'CREATE UNIQUE INDEX reward_order_voucher_code ON reward_order (voucher_code) WHERE voucher_code IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE INDEX reward_order_member ON reward_order (member_id, created_at DESC, id DESC)',
    );
    await queryRunner.query(
      'CREATE INDEX reward_order_partner ON reward_order (partner_id, created_at DESC, id DESC)',
    );
    await queryRunner.query(
      `CREATE INDEX reward_order_pending ON reward_order (created_at) WHERE status = 'PENDING'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE reward_order');
    await queryRunner.query('DROP TABLE reward');
  }
}
