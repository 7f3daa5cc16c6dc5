import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { lockAggregate } from '@coalition/shared/db/locks';
import { execute } from '@coalition/shared/db/sql';
import { inTransaction } from '@coalition/shared/db/transaction';
import { CoalitionError, ErrorCode, notFound } from '@coalition/shared/errors';
import { FEED_START } from '@coalition/shared/feed/position';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';
import { currencyCode, parseInput, text } from '@coalition/shared/validation';
import type { FxRate } from '../journal/money';
import { parseRate } from '../journal/money';
import type { SettlementModel } from '../journal/netting';
import { computeCycle, type CycleBasis } from './cycle-computation';
import { SettlementCycle } from './settlement-cycle.entity';

interface CycleRow {
  partner_id?: string;
  id: string;
  number: number | null;
  status: SettlementCycle['status'];
  from_position: string;
  cutoff_position: string | null;
  opened_at: Date;
  closed_at: Date | null;
  model: SettlementModel | null;
  base_currency: string | null;
  fx_rates: FxRate[] | null;
  items: number | null;
  closed_by: string | null;
  approved_at: Date | null;
  approved_by: string | null;
  paid_at: Date | null;
  paid_by: string | null;
  payment_reference: string | null;
}

const toCycle = (row: CycleRow): SettlementCycle =>
  Object.assign(new SettlementCycle(), {
    id: row.id,
    number: row.number,
    status: row.status,
    fromPosition: row.from_position,
    cutoffPosition: row.cutoff_position,
    openedAt: row.opened_at,
    closedAt: row.closed_at,
    model: row.model,
    baseCurrency: row.base_currency?.trim() ?? null,
    fxRates: row.fx_rates ?? [],
    items: row.items,
    closedBy: row.closed_by,
    approvedAt: row.approved_at,
    approvedBy: row.approved_by,
    paidAt: row.paid_at,
    paidBy: row.paid_by,
    paymentReference: row.payment_reference,
  });

export const cycleCursor = (cycle: SettlementCycle) => timeIdKey.of(cycle.openedAt, cycle.id);

const closeInput = z.object({
  model: z.enum(['HUB', 'DIRECT']).nullish(),
  fxRates: z
    .array(
      z.object({
        currency: currencyCode,
        rate: z
          .string()
          .refine((r) => parseRate(r) !== undefined, 'must be a positive decimal, e.g. "1.1734"'),
      }),
    )
    .max(200)
    .nullish(),
});
const payInput = z.object({ paymentReference: text('paymentReference', 200) });

/** Business refusals of a close: the operator fixes the input and closes again. */
const isRefusal = (error: unknown) =>
  error instanceof CoalitionError &&
  (error.extensions.code === ErrorCode.CONTRACT_MISSING ||
    error.extensions.code === ErrorCode.FX_RATE_MISSING);

export interface CloseDefaults {
  model: SettlementModel;
  baseCurrency: string;
}

/**
 * Settlement cycles: one DRAFT cycle takes in facts; closing it cuts it at a position of the member
 * fact sequence and computes it; then the operator approves it and records its payment.
 *
 * A close runs in two transactions. The first pins the cut-off (the intake's position at that
 * moment: every fact at or below it has arrived, every later one belongs to the next cycle) with
 * the model; the second computes everything and marks the cycle CLOSED. If the second is
 * interrupted, nothing of it remains and the next close of the cycle computes from the same pinned
 * cut-off: the same statements, never duplicated instructions.
 */
export class CyclesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly defaults: CloseDefaults,
    private readonly intakeConsumer: string,
  ) {}

  /** The cycle facts are accumulating in, created on first use. */
  async current(): Promise<SettlementCycle> {
    const open = await this.dataSource.query(
      `SELECT * FROM settlement_cycle WHERE status = 'DRAFT'`,
    );
    if (open[0]) return toCycle(open[0]);
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockAggregate(manager, 'settlement', 'cycles');
      const again: CycleRow[] = await manager.query(
        `SELECT * FROM settlement_cycle WHERE status = 'DRAFT'`,
      );
      if (again[0]) return toCycle(again[0]);
      const last: { number: number | null; cutoff_position: string | null }[] = await manager.query(
        `SELECT number, cutoff_position FROM settlement_cycle WHERE number IS NOT NULL ORDER BY number DESC LIMIT 1`,
      );
      const rows: CycleRow[] = await manager.query(
        `INSERT INTO settlement_cycle (id, number, status, from_position, opened_at) VALUES ($1, $2, 'DRAFT', $3, now()) RETURNING *`,
        [randomUUID(), (last[0]?.number ?? 0) + 1, last[0]?.cutoff_position ?? FEED_START],
      );
      return toCycle(rows[0]!);
    });
  }

  async close(raw: unknown, operator: string, cycleId?: string): Promise<SettlementCycle> {
    const input = parseInput(closeInput, raw);
    const draft = await this.current();
    if (cycleId && cycleId !== draft.id) {
      const asked = await this.byId(cycleId);
      if (!asked) throw notFound('Settlement cycle');
      throw new CoalitionError(
        ErrorCode.CYCLE_ALREADY_CLOSED,
        `Cycle ${asked.number} is already ${asked.status.toLowerCase()}: only the open cycle (${draft.number}) can be closed.`,
      );
    }
    const model = input.model ?? this.defaults.model;
    const pinned = await inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockAggregate(manager, 'settlement', 'cycles');
      return this.pin(manager, draft.id, model);
    });
    const fxRates = input.fxRates ?? (await this.storedFxRates());
    try {
      return await this.compute(draft.id, model, fxRates, operator);
    } catch (error) {
      // A refusal (a contract or an exchange rate missing) changes nothing: the cut-off this close
      // pinned is released, so the close that succeeds cuts at the end of the intake then, with
      // its own model. A pin left by an interrupted close stays: the rerun must reproduce that close.
      if (pinned !== undefined && isRefusal(error)) await this.unpin(draft.id, pinned);
      throw error;
    }
  }

  private compute(
    cycleId: string,
    model: SettlementModel,
    fxRates: FxRate[],
    operator: string,
  ): Promise<SettlementCycle> {
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockAggregate(manager, 'settlement', 'cycles');
      // A concurrent close that was refused may have released the pin this one found: cut here.
      await this.pin(manager, cycleId, model);
      const rows: CycleRow[] = await manager.query(
        'SELECT * FROM settlement_cycle WHERE id = $1 FOR UPDATE',
        [cycleId],
      );
      const cycle = rows[0]!;
      if (cycle.status !== 'DRAFT')
        throw new CoalitionError(
          ErrorCode.CYCLE_ALREADY_CLOSED,
          `Cycle ${cycle.number} is already ${cycle.status.toLowerCase()}.`,
        );
      const basis: CycleBasis = {
        cycleId: cycle.id,
        fromPosition: cycle.from_position,
        cutoffPosition: cycle.cutoff_position!,
        model: cycle.model!,
        baseCurrency: this.defaults.baseCurrency,
        fxRates,
        adjustments: 'pending',
      };
      const computed = await computeCycle(manager, basis);
      const usedRates = fxRates.filter(
        (r) => computed.currencies.includes(r.currency) && r.currency !== basis.baseCurrency,
      );
      await manager.query(
        `INSERT INTO partner_statement (cycle_id, partner_id)
         SELECT DISTINCT $1::uuid, party::uuid FROM statement_line WHERE cycle_id = $1 AND party <> 'operator'`,
        [cycle.id],
      );
      const closed = await execute<CycleRow>(
        manager,
        `UPDATE settlement_cycle SET status = 'CLOSED', closed_at = now(), closed_by = $2, base_currency = $3, fx_rates = $4::jsonb, items = $5
          WHERE id = $1 RETURNING *`,
        [cycle.id, operator, basis.baseCurrency, JSON.stringify(usedRates), computed.items],
      );
      await manager.query(
        `INSERT INTO settlement_cycle (id, number, status, from_position, opened_at) VALUES ($1, $2, 'DRAFT', $3, now())`,
        [randomUUID(), cycle.number! + 1, cycle.cutoff_position],
      );
      return toCycle(closed.rows[0]!);
    });
  }

  /**
   * Fixes the open cycle's cut-off and model, unless an earlier close already did; returns the
   * cut-off when this call fixed it. The caller holds the cycles lock.
   */
  private async pin(
    manager: EntityManager,
    cycleId: string,
    model: SettlementModel,
  ): Promise<string | undefined> {
    const cursor: { position: string }[] = await manager.query(
      'SELECT position FROM feed_cursor WHERE consumer = $1',
      [this.intakeConsumer],
    );
    const pinned = await execute<{ cutoff_position: string }>(
      manager,
      `UPDATE settlement_cycle SET cutoff_position = $2, model = $3 WHERE id = $1 AND status = 'DRAFT' AND cutoff_position IS NULL RETURNING cutoff_position`,
      [cycleId, cursor[0]?.position ?? FEED_START, model],
    );
    return pinned.rows[0]?.cutoff_position;
  }

  /** Releases the cut-off a refused close pinned, unless another close has since completed the cycle. */
  private async unpin(cycleId: string, cutoffPosition: string): Promise<void> {
    await inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockAggregate(manager, 'settlement', 'cycles');
      await manager.query(
        `UPDATE settlement_cycle SET cutoff_position = NULL, model = NULL WHERE id = $1 AND status = 'DRAFT' AND cutoff_position = $2`,
        [cycleId, cutoffPosition],
      );
    });
  }

  async approve(cycleId: string, operator: string): Promise<SettlementCycle> {
    return this.transition(cycleId, async (manager, cycle) => {
      if (cycle.status !== 'CLOSED')
        throw new CoalitionError(
          ErrorCode.CYCLE_OUT_OF_ORDER,
          `Only a closed cycle can be approved; cycle ${cycle.number} is ${cycle.status.toLowerCase()}.`,
        );
      const earlier: { number: number }[] = await manager.query(
        `SELECT number FROM settlement_cycle WHERE number < $1 AND status = 'CLOSED' ORDER BY number LIMIT 1`,
        [cycle.number],
      );
      if (earlier[0])
        throw new CoalitionError(
          ErrorCode.CYCLE_OUT_OF_ORDER,
          `Approve cycle ${earlier[0].number} first: cycles are approved in order.`,
        );
      return execute<CycleRow>(
        manager,
        `UPDATE settlement_cycle SET status = 'APPROVED', approved_at = now(), approved_by = $2 WHERE id = $1 RETURNING *`,
        [cycle.id, operator],
      );
    });
  }

  async markPaid(cycleId: string, raw: unknown, operator: string): Promise<SettlementCycle> {
    const input = parseInput(payInput, raw);
    return this.transition(cycleId, async (manager, cycle) => {
      if (cycle.status === 'PAID')
        throw new CoalitionError(
          ErrorCode.CYCLE_OUT_OF_ORDER,
          `Cycle ${cycle.number} is already paid (${cycle.payment_reference}).`,
        );
      if (cycle.status !== 'APPROVED')
        throw new CoalitionError(
          ErrorCode.CYCLE_NOT_APPROVED,
          `Cycle ${cycle.number} is ${cycle.status.toLowerCase()}: it must be approved before it is paid.`,
        );
      return execute<CycleRow>(
        manager,
        `UPDATE settlement_cycle SET status = 'PAID', paid_at = now(), paid_by = $2, payment_reference = $3 WHERE id = $1 RETURNING *`,
        [cycle.id, operator, input.paymentReference],
      );
    });
  }

  private transition(
    cycleId: string,
    change: (manager: EntityManager, cycle: CycleRow) => Promise<{ rows: CycleRow[] }>,
  ): Promise<SettlementCycle> {
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockAggregate(manager, 'settlement', 'cycles');
      const rows: CycleRow[] = await manager.query(
        'SELECT * FROM settlement_cycle WHERE id = $1 FOR UPDATE',
        [cycleId],
      );
      if (!rows[0]) throw notFound('Settlement cycle');
      return toCycle((await change(manager, rows[0])).rows[0]!);
    });
  }

  /**
   * Recomputes a closed cycle from the facts it holds, into a scratch cycle inside a transaction
   * that is rolled back, and lists every row that differs from what was stored (docs/ledger.md, L12).
   */
  async verify(cycleId: string): Promise<{ matches: boolean; differences: string[] }> {
    const cycle = await this.byId(cycleId);
    if (!cycle) throw notFound('Settlement cycle');
    if (cycle.status === 'DRAFT')
      throw new CoalitionError(
        ErrorCode.CYCLE_OUT_OF_ORDER,
        'Only a closed cycle can be recomputed.',
      );
    const differences: string[] = [];
    const rollback = new Error('rollback');
    await this.dataSource
      .transaction('REPEATABLE READ', async (manager) => {
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
        for (const [table, columns] of COMPARED) {
          const rows: { side: string; row: string }[] = await manager.query(
            `(SELECT 'stored' AS side, ${columns} AS row FROM ${table} WHERE cycle_id = $1 EXCEPT SELECT 'stored', ${columns} FROM ${table} WHERE cycle_id = $2)
             UNION ALL
             (SELECT 'recomputed', ${columns} FROM ${table} WHERE cycle_id = $2 EXCEPT SELECT 'recomputed', ${columns} FROM ${table} WHERE cycle_id = $1)
             LIMIT 20`,
            [cycle.id, scratch],
          );
          for (const r of rows) differences.push(`${table} ${r.side}: ${r.row}`);
        }
        throw rollback;
      })
      .catch((error: unknown) => {
        if (error !== rollback) throw error;
      });
    return { matches: differences.length === 0, differences };
  }

  async byId(cycleId: string): Promise<SettlementCycle | undefined> {
    const rows: CycleRow[] = await this.dataSource.query(
      'SELECT * FROM settlement_cycle WHERE id = $1',
      [cycleId],
    );
    return rows[0] ? toCycle(rows[0]) : undefined;
  }

  private async storedFxRates(): Promise<FxRate[]> {
    const rows: { currency: string; rate: string }[] = await this.dataSource.query(
      'SELECT currency, rate::text FROM fx_rate ORDER BY currency',
    );
    return rows.map((r) => ({ currency: r.currency.trim(), rate: r.rate.replace(/\.?0+$/, '') }));
  }

  /** All cycles, newest first. */
  async list(page: Page): Promise<SettlementCycle[]> {
    const after = page.after ? timeIdKey.parse(page.after) : undefined;
    const rows: CycleRow[] = await this.dataSource.query(
      `SELECT * FROM settlement_cycle
        WHERE $1::timestamptz IS NULL OR (opened_at, id) < ($1::timestamptz, $2::uuid)
        ORDER BY opened_at DESC, id DESC LIMIT $3`,
      [after?.time ?? null, after?.id ?? null, page.limit + 1],
    );
    return rows.map(toCycle);
  }

  /**
   * The cycles each partner has a statement in, newest first, one page per partner, in a single
   * query for all partners of a request.
   */
  async listForPartners(
    partnerIds: readonly string[],
    page: Page,
  ): Promise<Map<string, SettlementCycle[]>> {
    const after = page.after ? timeIdKey.parse(page.after) : undefined;
    const rows: CycleRow[] = await this.dataSource.query(
      `SELECT * FROM (
         SELECT s.partner_id, c.*, row_number() OVER (PARTITION BY s.partner_id ORDER BY c.opened_at DESC, c.id DESC) AS n
           FROM partner_statement s JOIN settlement_cycle c ON c.id = s.cycle_id
          WHERE s.partner_id = ANY($1::uuid[])
            AND ($2::timestamptz IS NULL OR (c.opened_at, c.id) < ($2::timestamptz, $3::uuid))
       ) ranked WHERE n <= $4 ORDER BY partner_id, opened_at DESC, id DESC`,
      [[...partnerIds], after?.time ?? null, after?.id ?? null, page.limit + 1],
    );
    const byPartner = new Map<string, SettlementCycle[]>(partnerIds.map((id) => [id, []]));
    for (const row of rows) byPartner.get(row.partner_id ?? '')?.push(toCycle(row));
    return byPartner;
  }
}

/** What recomputing a cycle compares, row by row. */
const COMPARED: [string, string][] = [
  [
    'journal_entry',
    `(tx_id, seq, n, leg, kind, transaction_id, original_cycle_id, partner_id, issuer_partner_id, debit_account, credit_account, currency, points, amount_micros, contract_version_id)::text`,
  ],
  [
    'statement_line',
    `(party, currency, line_no, kind, original_cycle_id, adjustment_id, entries, points, exact_micros, amount_minor)::text`,
  ],
  ['cycle_position', `(party, currency, net_minor)::text`],
  ['payment_instruction', `(seq, currency, payer, payee, amount_minor)::text`],
  [
    'liability_cell',
    `(issuer, redeemer, points, redeemer_currency, redeemer_amount_minor, issuer_currency, issuer_amount_minor)::text`,
  ],
];
