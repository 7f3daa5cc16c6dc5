import type { DataSource } from 'typeorm';
import { assert } from '@coalition/shared/errors';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';
import {
  pointsSummaryOf,
  type Period,
  type PointsSummary,
  type TransactionGroup,
} from './partner-totals';

/** Whose transactions a partner's list names: every member's (operators), or only members who linked the partner. */
export type MemberDisclosure = 'ALL' | 'LINKED';

export interface PartnerTransactionFilter {
  storeId?: string;
  kinds?: string[];
  /** [from, to) in ledger time; either end may be open. */
  from?: Date;
  to?: Date;
}

export interface PartnerTransactionQuery {
  filter: PartnerTransactionFilter;
  page: Page;
  disclosure: MemberDisclosure;
}

export interface PartnerTransactionEntry {
  id: string;
  partnerId: string;
  kind: string;
  points: bigint;
  storeId: string | null;
  receiptId: string | null;
  reversesId: string | null;
  rulesVersion: number | null;
  createdAt: Date;
  /** Null unless the query's disclosure lets the viewer know whose transaction it is. */
  memberId: string | null;
}

export interface MemberReach extends Period {
  /** Members who earned or burned at the partner in the period. */
  members: number;
  /** Of those, members who also earned or burned at another partner in the same period. */
  membersAlsoElsewhere: number;
}

export const partnerTransactionCursor = (entry: { createdAt: Date; id: string }) =>
  timeIdKey.of(entry.createdAt, entry.id);

interface TransactionRow {
  id: string;
  partner_id: string;
  kind: string;
  points: string;
  store_id: string | null;
  receipt_id: string | null;
  reverses_id: string | null;
  rules_version: number | null;
  created_at: Date;
  member_id: string | null;
}

/** Every requested partner gets an answer, the empty one when it had nothing in the period. */
function byPartner<T>(partnerIds: readonly string[], empty: () => T): Map<string, T> {
  return new Map(partnerIds.map((id) => [id, empty()]));
}

/**
 * Partners' views of the ledger (docs/architecture.md: partner totals are derived from the ledger, never kept
 * row by row). Each read takes many partners at once, for one set of arguments, so a list of
 * partners costs one query per view (see partner-views.loaders.ts). Only earns, burns and refunds
 * carry a partner: its rows are the partner's own business, and nothing else's is ever read here
 * but the counts of memberReach.
 */
export class PartnerViewsService {
  constructor(private readonly dataSource: DataSource) {}

  /** Each partner's transactions, newest first, up to page.limit + 1 of them (connectionOf tells whether there are more). */
  async transactions(
    partnerIds: readonly string[],
    query: PartnerTransactionQuery,
  ): Promise<Map<string, PartnerTransactionEntry[]>> {
    const { filter, page, disclosure } = query;
    const after = page.after ? timeIdKey.parse(page.after) : undefined;
    const rows: TransactionRow[] = await this.dataSource.query(
      `SELECT t.id, t.partner_id, t.kind, t.points, t.store_id, t.receipt_id, t.reverses_id, t.rules_version, t.created_at,
              CASE WHEN $9::boolean OR EXISTS (SELECT 1 FROM member_partner_link l WHERE l.member_id = t.member_id AND l.partner_id = t.partner_id)
                   THEN t.member_id END AS member_id
         FROM unnest($1::uuid[]) AS p (id)
        CROSS JOIN LATERAL (
              SELECT x.id, x.partner_id, x.member_id, x.kind, x.points, x.store_id, x.receipt_id, x.reverses_id, x.rules_version, x.created_at
                FROM ledger_transaction x
               WHERE x.partner_id = p.id
                 AND ($2::uuid IS NULL OR x.store_id = $2)
                 AND ($3::text[] IS NULL OR x.kind = ANY($3))
                 AND ($4::timestamptz IS NULL OR x.created_at >= $4)
                 AND ($5::timestamptz IS NULL OR x.created_at < $5)
                 AND ($6::timestamptz IS NULL OR (x.created_at, x.id) < ($6::timestamptz, $7::uuid))
               ORDER BY x.created_at DESC, x.id DESC
               LIMIT $8) AS t
        ORDER BY t.partner_id, t.created_at DESC, t.id DESC`,
      [
        partnerIds,
        filter.storeId ?? null,
        filter.kinds ?? null,
        filter.from ?? null,
        filter.to ?? null,
        after?.time ?? null,
        after?.id ?? null,
        page.limit + 1,
        disclosure === 'ALL',
      ],
    );
    const result = byPartner<PartnerTransactionEntry[]>(partnerIds, () => []);
    for (const row of rows) {
      const list = result.get(row.partner_id);
      assert(list, 'a transaction of a partner that was not asked for');
      list.push({
        id: row.id,
        partnerId: row.partner_id,
        kind: row.kind,
        points: BigInt(row.points),
        storeId: row.store_id,
        receiptId: row.receipt_id,
        reversesId: row.reverses_id,
        rulesVersion: row.rules_version,
        createdAt: row.created_at,
        memberId: row.member_id,
      });
    }
    return result;
  }

  /**
   * Each partner's points in the period: issued and redeemed, and apart from them what refunds
   * reversed. Only a refund looks up what it reverses, by primary key: a join would have the
   * planner hash the whole ledger to find the few originals.
   */
  async pointsSummaries(
    partnerIds: readonly string[],
    period: Period,
  ): Promise<Map<string, PointsSummary>> {
    const rows: {
      partner_id: string;
      kind: string;
      reverses_kind: string | null;
      transactions: string;
      points: string;
    }[] = await this.dataSource.query(
      `SELECT partner_id, kind, reverses_kind, count(*) AS transactions, coalesce(sum(points), 0) AS points
         FROM (SELECT t.partner_id, t.kind, t.points,
                      CASE WHEN t.kind = 'REFUND' THEN (SELECT o.kind FROM ledger_transaction o WHERE o.id = t.reverses_id) END AS reverses_kind
                 FROM ledger_transaction t
                WHERE t.partner_id = ANY($1::uuid[]) AND t.created_at >= $2 AND t.created_at < $3) AS t
        GROUP BY partner_id, kind, reverses_kind`,
      [partnerIds, period.from, period.to],
    );
    const groups = byPartner<TransactionGroup[]>(partnerIds, () => []);
    for (const row of rows) {
      const partnerGroups = groups.get(row.partner_id);
      assert(partnerGroups, 'a total of a partner that was not asked for');
      partnerGroups.push({
        kind: row.kind,
        reversesKind: row.reverses_kind,
        transactions: BigInt(row.transactions),
        points: BigInt(row.points),
      });
    }
    return new Map(
      [...groups].map(([id, partnerGroups]) => [id, pointsSummaryOf(period, partnerGroups)]),
    );
  }

  /**
   * Each partner's members in the period, and how many of them also earned or burned at another
   * partner then: counts only, never which partner or what happened there. A purchase that
   * earned nothing still counts as the member earning at the partner (they presented their card).
   */
  async memberReach(
    partnerIds: readonly string[],
    period: Period,
  ): Promise<Map<string, MemberReach>> {
    const rows: { partner_id: string; members: string; also_elsewhere: string }[] =
      await this.dataSource.query(
        `WITH here AS (
         SELECT DISTINCT partner_id, member_id FROM ledger_transaction
          WHERE partner_id = ANY($1::uuid[]) AND kind IN ('EARN', 'BURN') AND created_at >= $2 AND created_at < $3)
       SELECT h.partner_id, count(*) AS members,
              count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM ledger_transaction o
                 WHERE o.member_id = h.member_id AND o.partner_id <> h.partner_id AND o.kind IN ('EARN', 'BURN')
                   AND o.created_at >= $2 AND o.created_at < $3)) AS also_elsewhere
         FROM here h
        GROUP BY h.partner_id`,
        [partnerIds, period.from, period.to],
      );
    const result = byPartner<MemberReach>(partnerIds, () => ({
      ...period,
      members: 0,
      membersAlsoElsewhere: 0,
    }));
    for (const row of rows) {
      const reach = {
        ...period,
        members: Number(row.members),
        membersAlsoElsewhere: Number(row.also_elsewhere),
      };
      assert(
        reach.membersAlsoElsewhere <= reach.members,
        'members also seen elsewhere are some of the members',
      );
      result.set(row.partner_id, reach);
    }
    return result;
  }
}
