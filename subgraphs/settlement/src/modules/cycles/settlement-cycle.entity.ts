import type { FxRate } from '../journal/money';
import type { SettlementModel } from '../journal/netting';

export type CycleStatus = 'DRAFT' | 'CLOSED' | 'APPROVED' | 'PAID';

/** A settlement cycle as the API shows it (rows are mapped by CyclesService). */
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
