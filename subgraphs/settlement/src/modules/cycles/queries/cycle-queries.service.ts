import type { DataSource } from 'typeorm';
import { sqlFile } from '@coalition/shared/db/sql-file';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';
import { OPERATOR } from '../../journal/netting';
import { toCycle, type CycleRow, type SettlementCycle } from '../settlement-cycle.entity';

/** The operator as its statements and their CSV name it. */
export const OPERATOR_NAME = 'Coalition operator';

const CYCLES_OF_PARTNERS = sqlFile(new URL('./sql/cycles-of-partners.sql', import.meta.url));

/** Reads of cycles, for the API and for the lifecycle's checks: by id, all of them, a partner's. */
export class CycleQueriesService {
  constructor(private readonly dataSource: DataSource) {}

  async byId(cycleId: string): Promise<SettlementCycle | undefined> {
    const [cycle] = await this.byIds([cycleId]);
    return cycle;
  }

  /** The cycles of these ids, in their order; undefined where there is none (one read for all). */
  async byIds(cycleIds: readonly string[]): Promise<(SettlementCycle | undefined)[]> {
    const rows: CycleRow[] = await this.dataSource.query(
      'SELECT * FROM settlement_cycle WHERE id = ANY($1::uuid[])',
      [[...cycleIds]],
    );
    const found = new Map(rows.map((row) => [row.id, toCycle(row)]));
    return cycleIds.map((id) => found.get(id));
  }

  /**
   * The names statements show beside their parties' ids: a partner's from settlement's copy of the
   * partner directory, the operator's fixed. A partner the feed has not brought yet has none ('').
   */
  async partyNames(parties: readonly string[]): Promise<string[]> {
    const rows: { id: string; name: string }[] = await this.dataSource.query(
      'SELECT id::text, name FROM partner_directory WHERE id::text = ANY($1::text[])',
      [[...parties]],
    );
    const names = new Map(rows.map((row) => [row.id, row.name]));
    return parties.map((party) => (party === OPERATOR ? OPERATOR_NAME : (names.get(party) ?? '')));
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

  /** The cycles each partner has a statement in, newest first: one page per partner, one read. */
  async pagesOfPartners(
    partnerIds: readonly string[],
    page: Page,
  ): Promise<Map<string, SettlementCycle[]>> {
    const after = page.after ? timeIdKey.parse(page.after) : undefined;
    const rows: CycleRow[] = await this.dataSource.query(CYCLES_OF_PARTNERS, [
      [...partnerIds],
      after?.time ?? null,
      after?.id ?? null,
      page.limit + 1,
    ]);
    const byPartner = new Map<string, SettlementCycle[]>(partnerIds.map((id) => [id, []]));
    for (const row of rows) byPartner.get(row.partner_id ?? '')?.push(toCycle(row));
    return byPartner;
  }
}
