import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The wallet: a double-entry points ledger (transactions and their postings), the lots points live
 * in, the links that record which lots every burn consumed, holds, and idempotency records.
 * Postings, transactions and lot links are append-only (docs/ledger.md, L4): a trigger refuses UPDATE
 * and DELETE on them.
 */
export class WalletLedger1764072000000 implements MigrationInterface {
  name = 'WalletLedger1764072000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE partner_replica
        ADD COLUMN points_per_currency_unit integer NOT NULL DEFAULT 1,
        ADD COLUMN return_window_days integer NOT NULL DEFAULT 14`);
    // One row per member: the lock every wallet operation takes first, and the cached balance (L2).
    await queryRunner.query(`
      CREATE TABLE wallet (
        member_id uuid PRIMARY KEY REFERENCES member (id),
        balance bigint NOT NULL DEFAULT 0,
        lifetime_earned bigint NOT NULL DEFAULT 0 CHECK (lifetime_earned >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query('INSERT INTO wallet (member_id) SELECT id FROM member');
    await queryRunner.query(`
      CREATE TABLE ledger_transaction (
        id uuid PRIMARY KEY,
        member_id uuid NOT NULL REFERENCES member (id),
        kind text NOT NULL CHECK (kind IN ('EARN', 'BURN', 'REFUND', 'EXPIRY', 'ADJUSTMENT', 'TRANSFER')),
        points bigint NOT NULL,
        partner_id uuid,
        store_id uuid,
        receipt_id text,
        reverses_id uuid REFERENCES ledger_transaction (id),
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      'CREATE INDEX ledger_transaction_member ON ledger_transaction (member_id, created_at DESC, id DESC)',
    );
    // A receipt earns at most once per partner (L5), whatever idempotency key it comes with.
    await queryRunner.query(
      `CREATE UNIQUE INDEX ledger_transaction_receipt ON ledger_transaction (partner_id, receipt_id) WHERE kind = 'EARN'`,
    );
    await queryRunner.query(`
      CREATE TABLE posting (
        transaction_id uuid NOT NULL REFERENCES ledger_transaction (id),
        account text NOT NULL,
        points bigint NOT NULL CHECK (points <> 0),
        PRIMARY KEY (transaction_id, account)
      )`);
    await queryRunner.query('CREATE INDEX posting_account ON posting (account)');
    await queryRunner.query(`
      CREATE TABLE lot (
        id uuid PRIMARY KEY,
        member_id uuid NOT NULL REFERENCES member (id),
        earn_transaction_id uuid NOT NULL REFERENCES ledger_transaction (id),
        issuer_partner_id uuid NOT NULL,
        funded_by jsonb NOT NULL,
        points bigint NOT NULL CHECK (points > 0),
        remaining bigint NOT NULL CHECK (remaining >= 0 AND remaining <= points),
        available_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      'CREATE INDEX lot_member_live ON lot (member_id, expires_at, created_at, id) WHERE remaining > 0',
    );
    await queryRunner.query(`
      CREATE TABLE lot_link (
        lot_id uuid NOT NULL REFERENCES lot (id),
        transaction_id uuid NOT NULL REFERENCES ledger_transaction (id),
        points bigint NOT NULL CHECK (points > 0),
        PRIMARY KEY (lot_id, transaction_id)
      )`);
    await queryRunner.query('CREATE INDEX lot_link_transaction ON lot_link (transaction_id)');
    await queryRunner.query(`
      CREATE TABLE hold (
        id uuid PRIMARY KEY,
        member_id uuid NOT NULL REFERENCES member (id),
        partner_id uuid NOT NULL,
        store_id uuid NOT NULL,
        points bigint NOT NULL CHECK (points > 0),
        status text NOT NULL CHECK (status IN ('OPEN', 'CAPTURED', 'VOIDED', 'EXPIRED')),
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        resolved_at timestamptz,
        captured_points bigint,
        capture_transaction_id uuid REFERENCES ledger_transaction (id),
        CHECK ((status = 'OPEN') = (resolved_at IS NULL)),
        CHECK ((status = 'CAPTURED') = (capture_transaction_id IS NOT NULL)),
        CHECK (captured_points IS NULL OR (captured_points > 0 AND captured_points <= points))
      )`);
    await queryRunner.query(
      `CREATE INDEX hold_member_open ON hold (member_id) WHERE status = 'OPEN'`,
    );
    await queryRunner.query(`
      CREATE TABLE idempotency_record (
        scope text NOT NULL,
        key text NOT NULL,
        operation text NOT NULL,
        request_hash text NOT NULL,
        response jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);
    await queryRunner.query(`
      CREATE FUNCTION refuse_ledger_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'ledger history is append-only: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
      END $$`);
    for (const table of ['ledger_transaction', 'posting', 'lot_link']) {
      await queryRunner.query(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_ledger_rewrite()`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'idempotency_record',
      'hold',
      'lot_link',
      'lot',
      'posting',
      'ledger_transaction',
      'wallet',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
    await queryRunner.query('DROP FUNCTION refuse_ledger_rewrite()');
    await queryRunner.query(
      'ALTER TABLE partner_replica DROP COLUMN points_per_currency_unit, DROP COLUMN return_window_days',
    );
  }
}
