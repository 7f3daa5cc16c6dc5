import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { lockAggregate } from '@coalition/shared/db/locks';
import { execute } from '@coalition/shared/db/sql';
import { inTransaction, isUniqueViolation } from '@coalition/shared/db/transaction';
import { CoalitionError, ErrorCode, notFound } from '@coalition/shared/errors';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';
import { currencyCode, parseInput, text, uuid } from '@coalition/shared/validation';

export type DisputeStatus = 'OPEN' | 'ACCEPTED' | 'REJECTED';

export interface Dispute {
  id: string;
  cycleId: string;
  partnerId: string;
  currency: string;
  lineNo: number;
  reason: string;
  status: DisputeStatus;
  openedAt: Date;
  resolution: string | null;
  resolvedAt: Date | null;
  adjustment: { id: string; amount: bigint; appliedCycleId: string | null } | null;
}

interface DisputeRow {
  id: string;
  cycle_id: string;
  partner_id: string;
  currency: string;
  line_no: number;
  reason: string;
  status: DisputeStatus;
  opened_at: Date;
  resolution: string | null;
  resolved_at: Date | null;
  adjustment_id: string | null;
  amount_minor: string | null;
  applied_cycle_id: string | null;
}

const toDispute = (r: DisputeRow): Dispute => ({
  id: r.id,
  cycleId: r.cycle_id,
  partnerId: r.partner_id,
  currency: r.currency.trim(),
  lineNo: r.line_no,
  reason: r.reason,
  status: r.status,
  openedAt: r.opened_at,
  resolution: r.resolution,
  resolvedAt: r.resolved_at,
  adjustment: r.adjustment_id
    ? { id: r.adjustment_id, amount: BigInt(r.amount_minor!), appliedCycleId: r.applied_cycle_id }
    : null,
});

const SELECT = `SELECT d.*, a.amount_minor, a.applied_cycle_id FROM dispute d LEFT JOIN settlement_adjustment a ON a.id = d.adjustment_id`;

const openInput = z.object({
  cycleId: uuid,
  currency: currencyCode,
  lineNo: z.number().int().min(1),
  reason: text('reason', 2000, true),
});

const resolveInput = z
  .object({
    accept: z.boolean(),
    /** What the partner is owed (positive) or owes (negative) in the line's currency, when accepted. */
    adjustment: z
      .bigint()
      .min(-(10n ** 12n))
      .max(10n ** 12n)
      .nullish(),
    resolution: text('resolution', 2000, true),
  })
  .refine((r) => !r.accept || (r.adjustment != null && r.adjustment !== 0n), {
    message: 'is required, and not zero, to accept a dispute',
    path: ['adjustment'],
  })
  .refine((r) => r.accept || r.adjustment == null, {
    message: 'is only given when the dispute is accepted',
    path: ['adjustment'],
  });

/**
 * Disputes of statement lines. A partner opens one on a line of its own closed statement; the
 * operator accepts it with an adjustment (carried by the next cycle to close) or rejects it. The
 * disputed statement never changes (docs/ledger.md, L12).
 */
export class DisputesService {
  constructor(private readonly dataSource: DataSource) {}

  async open(partnerId: string, raw: unknown, by: string): Promise<Dispute> {
    const input = parseInput(openInput, raw);
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      const lines: { status: string }[] = await manager.query(
        `SELECT c.status FROM statement_line l JOIN settlement_cycle c ON c.id = l.cycle_id
          WHERE l.cycle_id = $1 AND l.party = $2 AND l.currency = $3 AND l.line_no = $4`,
        [input.cycleId, partnerId, input.currency, input.lineNo],
      );
      if (!lines[0]) throw notFound('Statement line');
      const id = randomUUID();
      try {
        await manager.query(
          `INSERT INTO dispute (id, cycle_id, partner_id, currency, line_no, reason, status, opened_at, opened_by) VALUES ($1, $2, $3, $4, $5, $6, 'OPEN', now(), $7)`,
          [id, input.cycleId, partnerId, input.currency, input.lineNo, input.reason, by],
        );
      } catch (error) {
        if (isUniqueViolation(error, 'dispute_one_open'))
          throw new CoalitionError(ErrorCode.CONFLICT, 'This line already has an open dispute.');
        throw error;
      }
      return toDispute((await manager.query(`${SELECT} WHERE d.id = $1`, [id]))[0]);
    });
  }

  async resolve(disputeId: string, raw: unknown, operator: string): Promise<Dispute> {
    const input = parseInput(resolveInput, raw);
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockAggregate(manager, 'dispute', disputeId);
      const rows: DisputeRow[] = await manager.query(`${SELECT} WHERE d.id = $1 FOR UPDATE OF d`, [
        disputeId,
      ]);
      const dispute = rows[0];
      if (!dispute) throw notFound('Dispute');
      if (dispute.status !== 'OPEN')
        throw new CoalitionError(
          ErrorCode.CONFLICT,
          `The dispute is already ${dispute.status.toLowerCase()}.`,
        );
      let adjustmentId: string | null = null;
      if (input.accept) {
        adjustmentId = randomUUID();
        await manager.query(
          `INSERT INTO settlement_adjustment (id, partner_id, currency, amount_minor, reason, dispute_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, now(), $7)`,
          [
            adjustmentId,
            dispute.partner_id,
            dispute.currency,
            input.adjustment!.toString(),
            input.resolution,
            dispute.id,
            operator,
          ],
        );
      }
      await execute(
        manager,
        `UPDATE dispute SET status = $2, resolution = $3, resolved_at = now(), resolved_by = $4, adjustment_id = $5 WHERE id = $1`,
        [
          dispute.id,
          input.accept ? 'ACCEPTED' : 'REJECTED',
          input.resolution,
          operator,
          adjustmentId,
        ],
      );
      return toDispute((await manager.query(`${SELECT} WHERE d.id = $1`, [dispute.id]))[0]);
    });
  }

  /** A partner's disputes (all partners' for an operator: partnerId undefined), newest first. */
  async list(partnerId: string | undefined, page: Page): Promise<Dispute[]> {
    const after = page.after ? timeIdKey.parse(page.after) : undefined;
    const rows: DisputeRow[] = await this.dataSource.query(
      `${SELECT} WHERE ($1::uuid IS NULL OR d.partner_id = $1)
          AND ($2::timestamptz IS NULL OR (d.opened_at, d.id) < ($2::timestamptz, $3::uuid))
        ORDER BY d.opened_at DESC, d.id DESC LIMIT $4`,
      [partnerId ?? null, after?.time ?? null, after?.id ?? null, page.limit + 1],
    );
    return rows.map(toDispute);
  }

  async byId(id: string): Promise<Dispute | undefined> {
    const rows: DisputeRow[] = await this.dataSource.query(`${SELECT} WHERE d.id = $1`, [id]);
    return rows[0] ? toDispute(rows[0]) : undefined;
  }
}

export const disputeCursor = (d: Dispute) => timeIdKey.of(d.openedAt, d.id);
