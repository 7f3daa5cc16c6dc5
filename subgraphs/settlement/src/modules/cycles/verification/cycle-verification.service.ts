import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { sqlFile } from '@coalition/shared/db/sql-file';
import { CoalitionError, ErrorCode, notFound } from '@coalition/shared/errors';
import { computeCycle } from '../computation/cycle-computation';
import type { CycleQueriesService } from '../queries/cycle-queries.service';
import type { SettlementCycle } from '../settlement-cycle.entity';

/** What recomputing a cycle compares, table by table: these columns of each row, as text. */
const COMPARED: Record<string, string> = {
  journal_entry: `(tx_id, seq, n, leg, kind, transaction_id, original_cycle_id, partner_id, issuer_partner_id, debit_account, credit_account, currency, points, amount_micros, contract_version_id)::text`,
  statement_line: `(party, currency, line_no, kind, original_cycle_id, adjustment_id, entries, points, exact_micros, amount_minor)::text`,
  cycle_position: `(party, currency, net_minor)::text`,
  payment_instruction: `(seq, currency, payer, payee, amount_minor)::text`,
  liability_cell: `(issuer, redeemer, points, redeemer_currency, redeemer_amount_minor, issuer_currency, issuer_amount_minor)::text`,
};

const DIFFERENCES = Object.entries(COMPARED).map(([table, row]) => ({
  table,
  sql: sqlFile(new URL('./sql/differences.sql', import.meta.url), { table, row }),
}));

export interface Verification {
  matches: boolean;
  differences: string[];
}

/** Thrown to roll the recomputation back once it has been compared. */
class Rollback extends Error {}

/**
 * Recomputes a closed cycle from the facts it holds, into a scratch cycle inside a transaction
 * that is rolled back, and lists every row that differs from what was stored (docs/ledger.md, L12).
 */
export class CycleVerificationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queries: CycleQueriesService,
  ) {}

  async verify(cycleId: string): Promise<Verification> {
    const cycle = await this.queries.byId(cycleId);
    if (!cycle) throw notFound('Settlement cycle');
    if (cycle.status === 'DRAFT')
      throw new CoalitionError(
        ErrorCode.CYCLE_OUT_OF_ORDER,
        'Only a closed cycle can be recomputed.',
      );
    const differences: string[] = [];
    await this.dataSource
      .transaction('REPEATABLE READ', async (manager) => {
        differences.push(...(await recomputeAndCompare(manager, cycle)));
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
    return { matches: differences.length === 0, differences };
  }
}

/** The rows where a recomputation of the cycle, into a scratch cycle, differs from what it stored. */
async function recomputeAndCompare(
  manager: EntityManager,
  cycle: SettlementCycle,
): Promise<string[]> {
  const scratch = randomUUID();
  await manager.query(
    `INSERT INTO settlement_cycle (id, status, from_position, cutoff_position, opened_at, model) VALUES ($1, 'CLOSED', $2, $3, now(), $4)`,
    [scratch, cycle.fromPosition, cycle.cutoffPosition, cycle.model],
  );
  await computeCycle(manager, {
    cycleId: scratch,
    fromPosition: cycle.fromPosition,
    cutoffPosition: cycle.cutoffPosition!,
    model: cycle.model!,
    baseCurrency: cycle.baseCurrency!,
    fxRates: cycle.fxRates,
    adjustments: { appliedIn: cycle.id },
  });
  const differences: string[] = [];
  for (const { table, sql } of DIFFERENCES) {
    const rows: { side: string; row: string }[] = await manager.query(sql, [cycle.id, scratch]);
    for (const r of rows) differences.push(`${table} ${r.side}: ${r.row}`);
  }
  return differences;
}
