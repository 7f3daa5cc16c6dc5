import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The operator's statement lines split reversals by their original cycle, as the partners' do
 * (computation/sql/operator-lines.sql). Cycles closed before keep their nets and payments; only
 * the operator's lines are written again the new way, so recomputing such a cycle (verify)
 * matches what is stored. Frozen here as it was on the day: later changes to the computation do
 * not reach back through this migration.
 */
export class OperatorReversalLines1765152000000 implements MigrationInterface {
  name = 'OperatorReversalLines1765152000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const cycles: { cycle_id: string }[] = await queryRunner.query(
      `SELECT DISTINCT cycle_id FROM statement_line WHERE party = 'operator'`,
    );
    for (const { cycle_id: cycleId } of cycles) {
      await queryRunner.query(
        `DELETE FROM statement_line WHERE cycle_id = $1 AND party = 'operator'`,
        [cycleId],
      );
      await queryRunner.query(OPERATOR_LINES, [cycleId]);
    }
  }

  async down(): Promise<void> {
    // The new lines add up to the same nets; there is nothing to restore.
  }
}

const OPERATOR_LINES = `
WITH mirrored AS (
  SELECT currency, kind, original_cycle_id, sum(entries) AS entries, sum(points) AS points, -sum(exact_micros) AS exact_micros, round(-sum(exact_micros) / 1000000)::bigint AS amount_minor
    FROM statement_line WHERE cycle_id = $1 GROUP BY currency, kind, original_cycle_id
), rounding AS (
  SELECT m.currency, 'ROUNDING' AS kind, NULL::uuid AS original_cycle_id, 0 AS entries, 0 AS points, 0 AS exact_micros, p.net_minor - sum(m.amount_minor) AS amount_minor
    FROM mirrored m JOIN cycle_position p ON p.cycle_id = $1 AND p.party = 'operator' AND p.currency = m.currency
   GROUP BY m.currency, p.net_minor
)
INSERT INTO statement_line (cycle_id, party, currency, line_no, kind, original_cycle_id, adjustment_id, entries, points, exact_micros, amount_minor)
SELECT $1, 'operator', currency, row_number() OVER (PARTITION BY currency ORDER BY array_position(ARRAY['ISSUANCE','ISSUANCE_REVERSAL','REDEMPTION','REDEMPTION_REVERSAL','BREAKAGE_SHARE','FEE','ADJUSTMENT','ROUNDING']::text[], kind), original_cycle_id NULLS FIRST), kind, original_cycle_id, NULL, entries, points, exact_micros, amount_minor
  FROM (SELECT * FROM mirrored UNION ALL SELECT * FROM rounding WHERE amount_minor <> 0) lines`;
