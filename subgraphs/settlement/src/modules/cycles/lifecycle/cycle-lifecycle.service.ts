import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { lockAggregate } from '@coalition/shared/db/locks';
import { execute } from '@coalition/shared/db/sql';
import { inTransaction } from '@coalition/shared/db/transaction';
import { CoalitionError, ErrorCode, notFound } from '@coalition/shared/errors';
import { FEED_START } from '@coalition/shared/feed/position';
import { currencyCode, parseInput, text } from '@coalition/shared/validation';
import { parseRate, type FxRate } from '../../journal/money';
import type { SettlementModel } from '../../journal/netting';
import { computeCycle, type CycleBasis } from '../computation/cycle-computation';
import type { CycleQueriesService } from '../queries/cycle-queries.service';
import { toCycle, type CycleRow, type SettlementCycle } from '../settlement-cycle.entity';

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
export class CycleLifecycleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queries: CycleQueriesService,
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
      const asked = await this.queries.byId(cycleId);
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

  private async storedFxRates(): Promise<FxRate[]> {
    const rows: { currency: string; rate: string }[] = await this.dataSource.query(
      'SELECT currency, rate::text FROM fx_rate ORDER BY currency',
    );
    return rows.map((r) => ({ currency: r.currency.trim(), rate: r.rate.replace(/\.?0+$/, '') }));
  }
}
