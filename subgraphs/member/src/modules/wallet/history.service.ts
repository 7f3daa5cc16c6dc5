import type { DataSource } from 'typeorm';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';

export interface HistoryEntry {
  id: string;
  kind: string;
  points: bigint;
  /** Signed: what the transaction did to the member's own account (its postings there). */
  balanceChange: bigint;
  partnerId: string | null;
  storeId: string | null;
  receiptId: string | null;
  reversesId: string | null;
  rulesVersion: number | null;
  createdAt: Date;
}

export interface LotEntry {
  id: string;
  issuerPartnerId: string | null;
  points: bigint;
  remaining: bigint;
  availableAt: Date;
  expiresAt: Date;
  createdAt: Date;
  restoredFromLotId: string | null;
}

export interface HistoryFilter {
  /** Only this partner's transactions (a partner viewer is always limited to its own). */
  partnerId?: string;
  kinds?: string[];
}

export const historyCursor = (entry: { createdAt: Date; id: string }) =>
  timeIdKey.of(entry.createdAt, entry.id);

/** Reads of the ledger for people: history and lots, newest first, keyset-paginated. */
export class HistoryService {
  constructor(private readonly dataSource: DataSource) {}

  async history(memberId: string, filter: HistoryFilter, page: Page): Promise<HistoryEntry[]> {
    const after = page.after ? timeIdKey.parse(page.after) : undefined;
    const rows: {
      id: string;
      kind: string;
      points: string;
      balance_change: string;
      partner_id: string | null;
      store_id: string | null;
      receipt_id: string | null;
      reverses_id: string | null;
      rules_version: number | null;
      created_at: Date;
    }[] = await this.dataSource.query(
      `SELECT t.id, t.kind, t.points, t.partner_id, t.store_id, t.receipt_id, t.reverses_id, t.rules_version, t.created_at,
              (SELECT coalesce(sum(p.points), 0) FROM posting p
                WHERE p.transaction_id = t.id AND p.account = 'member:' || t.member_id) AS balance_change
         FROM ledger_transaction t
          WHERE t.member_id = $1
            AND ($2::uuid IS NULL OR t.partner_id = $2)
            AND ($3::text[] IS NULL OR t.kind = ANY($3))
            AND ($4::timestamptz IS NULL OR (t.created_at, t.id) < ($4::timestamptz, $5::uuid))
          ORDER BY t.created_at DESC, t.id DESC LIMIT $6`,
      [
        memberId,
        filter.partnerId ?? null,
        filter.kinds ?? null,
        after?.time ?? null,
        after?.id ?? null,
        page.limit + 1,
      ],
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      points: BigInt(r.points),
      balanceChange: BigInt(r.balance_change),
      partnerId: r.partner_id,
      storeId: r.store_id,
      receiptId: r.receipt_id,
      reversesId: r.reverses_id,
      rulesVersion: r.rules_version,
      createdAt: r.created_at,
    }));
  }

  async lots(memberId: string, page: Page): Promise<LotEntry[]> {
    const after = page.after ? timeIdKey.parse(page.after) : undefined;
    const rows: {
      id: string;
      issuer_partner_id: string | null;
      points: string;
      remaining: string;
      available_at: Date;
      expires_at: Date;
      created_at: Date;
      restored_from_lot_id: string | null;
    }[] = await this.dataSource.query(
      `SELECT id, issuer_partner_id, points, remaining, available_at, expires_at, created_at, restored_from_lot_id FROM lot
          WHERE member_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
          ORDER BY created_at DESC, id DESC LIMIT $4`,
      [memberId, after?.time ?? null, after?.id ?? null, page.limit + 1],
    );
    return rows.map((r) => ({
      id: r.id,
      issuerPartnerId: r.issuer_partner_id,
      points: BigInt(r.points),
      remaining: BigInt(r.remaining),
      availableAt: r.available_at,
      expiresAt: r.expires_at,
      createdAt: r.created_at,
      restoredFromLotId: r.restored_from_lot_id,
    }));
  }
}
