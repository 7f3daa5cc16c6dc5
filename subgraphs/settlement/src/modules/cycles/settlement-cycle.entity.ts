import { timeIdKey } from '@coalition/shared/graphql/pagination';
import type { FxRate } from '../journal/money';
import type { SettlementModel } from '../journal/netting';

export type CycleStatus = 'DRAFT' | 'CLOSED' | 'APPROVED' | 'PAID';

/** A settlement cycle as the API shows it (mapped from its row by toCycle). */
export class SettlementCycle {
  id: string;
  number: number | null;
  status: CycleStatus;
  fromPosition: string;
  cutoffPosition: string | null;
  openedAt: Date;
  closedAt: Date | null;
  model: SettlementModel | null;
  baseCurrency: string | null;
  fxRates: FxRate[];
  items: number | null;
  closedBy: string | null;
  approvedAt: Date | null;
  approvedBy: string | null;
  paidAt: Date | null;
  paidBy: string | null;
  paymentReference: string | null;
}

/** A settlement_cycle row as node-pg reads it (with the partner it was found for, in a per-partner read). */
export interface CycleRow {
  partner_id?: string;
  id: string;
  number: number | null;
  status: CycleStatus;
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

export const toCycle = (row: CycleRow): SettlementCycle =>
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

/** Cycles list newest first: by the time they opened, then id. */
export const cycleCursor = (cycle: SettlementCycle) => timeIdKey.of(cycle.openedAt, cycle.id);
