import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The first step of every wallet write in one round trip instead of three (BENCHMARKS.md): the
 * member's advisory lock, taken before the transaction writes anything (see lockAggregate; the
 * key is passed in, built as lockAggregate builds it); then the wallet row, locked, with ledger time
 * read once the lock is held; then the member's open holds past their timeout marked expired by
 * that time (L6). No wallet row: no rows back, and nothing but the advisory lock taken.
 */
export class LockWallet1764856800000 implements MigrationInterface {
  name = 'LockWallet1764856800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION lock_wallet(lock_key text, wallet_member_id uuid)
      RETURNS TABLE (balance bigint, debt bigint, lifetime_earned bigint, now timestamptz, expired_holds jsonb)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        locked wallet%ROWTYPE;
        ledger_time timestamptz;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended(lock_key, 0));
        SELECT * INTO locked FROM wallet w WHERE w.member_id = wallet_member_id FOR UPDATE;
        IF NOT FOUND THEN
          RETURN;
        END IF;
        ledger_time := ledger_now();
        RETURN QUERY
          WITH expired AS (
            UPDATE hold h SET status = 'EXPIRED', resolved_at = h.expires_at
             WHERE h.member_id = wallet_member_id AND h.status = 'OPEN' AND h.expires_at <= ledger_time
            RETURNING h.id, h.points)
          SELECT locked.balance, locked.debt, locked.lifetime_earned, ledger_time,
                 coalesce((SELECT jsonb_agg(jsonb_build_object('id', e.id, 'points', e.points::text) ORDER BY e.id) FROM expired e), '[]'::jsonb);
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP FUNCTION lock_wallet(text, uuid)');
  }
}
