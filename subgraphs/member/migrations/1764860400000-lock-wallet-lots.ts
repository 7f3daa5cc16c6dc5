import type { MigrationInterface, QueryRunner } from 'typeorm';
import { LockWallet1764856800000 } from './1764856800000-lock-wallet';

/**
 * lock_wallet also answers with what the write that follows reads first: the member's live lots
 * and the points their open holds reserve (all open holds are within their timeout once it has
 * expired the others). Timestamps are passed as Postgres's text, which the service parses with the
 * driver's own parser, so a lot's dates are the same to the millisecond as a plain read gives.
 */
export class LockWalletLots1764860400000 implements MigrationInterface {
  name = 'LockWalletLots1764860400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP FUNCTION lock_wallet(text, uuid)');
    await queryRunner.query(`
      CREATE FUNCTION lock_wallet(lock_key text, wallet_member_id uuid)
      RETURNS TABLE (balance bigint, debt bigint, lifetime_earned bigint, now timestamptz, expired_holds jsonb, live_lots jsonb, held bigint)
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
                 coalesce((SELECT jsonb_agg(jsonb_build_object('id', e.id, 'points', e.points::text) ORDER BY e.id) FROM expired e), '[]'::jsonb),
                 coalesce((SELECT jsonb_agg(jsonb_build_array(l.id, l.remaining::text, l.available_at::text, l.expires_at::text, l.created_at::text, l.issuer_partner_id))
                             FROM lot l WHERE l.member_id = wallet_member_id AND l.remaining > 0), '[]'::jsonb),
                 coalesce((SELECT sum(h.points) FROM hold h WHERE h.member_id = wallet_member_id AND h.status = 'OPEN' AND h.expires_at > ledger_time), 0)::bigint;
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP FUNCTION lock_wallet(text, uuid)');
    await new LockWallet1764856800000().up(queryRunner);
  }
}
