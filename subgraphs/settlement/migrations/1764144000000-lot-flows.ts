import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { Fact } from '@coalition/shared/feed/outbox';
import { lotFlowsOf, recordLotFlows } from '../src/modules/member-facts/lot-flows';
import { memberFeedIntake } from '../src/modules/member-facts/member-fact-intake';

/**
 * Points into and out of lots, per member fact: the float report's source. Facts taken in before
 * this migration are replayed through the same function, so the table covers the whole intake.
 */
export class LotFlows1764144000000 implements MigrationInterface {
  name = 'LotFlows1764144000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE lot_flow (
        tx_id numeric(20, 0) NOT NULL,
        seq bigint NOT NULL,
        n integer NOT NULL,
        kind text NOT NULL,
        lot_id uuid NOT NULL,
        issuer_partner_id uuid,
        points bigint NOT NULL CHECK (points <> 0),
        at timestamptz NOT NULL,
        PRIMARY KEY (tx_id, seq, n)
      )`);
    await queryRunner.query('CREATE INDEX lot_flow_lot ON lot_flow (lot_id)');
    let after = { txId: '0', seq: '0' };
    for (;;) {
      const facts: {
        tx_id: string;
        seq: string;
        type: string;
        key: string;
        payload: Record<string, unknown>;
        recorded_at: Date;
      }[] = await queryRunner.query(
        'SELECT tx_id, seq, type, key, payload, recorded_at FROM member_fact WHERE (tx_id, seq) > ($1::numeric, $2::bigint) ORDER BY tx_id, seq LIMIT 5000',
        [after.txId, after.seq],
      );
      if (facts.length === 0) break;
      for (const row of facts) {
        const fact: Fact = {
          position: `${row.tx_id}.${row.seq}`,
          type: row.type,
          key: row.key,
          payload: row.payload,
          recordedAt: row.recorded_at.toISOString(),
        };
        const known = memberFeedIntake.read(fact);
        if (known) await recordLotFlows(queryRunner.manager, row.tx_id, row.seq, lotFlowsOf(known));
      }
      const last = facts[facts.length - 1]!;
      after = { txId: last.tx_id, seq: last.seq };
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE lot_flow');
  }
}
