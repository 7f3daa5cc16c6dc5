import type { DataSource } from 'typeorm';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';
import { SettlementCycle } from './settlement-cycle.entity';

interface CycleRow {
  partner_id?: string;
  id: string;
  status: SettlementCycle['status'];
  from_position: string;
  cutoff_position: string | null;
  opened_at: Date;
  closed_at: Date | null;
}

const toCycle = (row: CycleRow): SettlementCycle =>
  Object.assign(new SettlementCycle(), {
    id: row.id,
    status: row.status,
    fromPosition: row.from_position,
    cutoffPosition: row.cutoff_position,
    openedAt: row.opened_at,
    closedAt: row.closed_at,
  });

export const cycleCursor = (cycle: SettlementCycle) => timeIdKey.of(cycle.openedAt, cycle.id);

export class CyclesService {
  constructor(private readonly dataSource: DataSource) {}

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
  async listForPartners(partnerIds: readonly string[], page: Page): Promise<Map<string, SettlementCycle[]>> {
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
