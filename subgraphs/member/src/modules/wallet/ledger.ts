import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Statement } from '@coalition/shared/db/write-batch';
import { assert } from '@coalition/shared/errors';

/** Ledger accounts. Partner and operator accounts are never cached: their totals are derived. */
export const account = {
  member: (memberId: string) => `member:${memberId}`,
  issuance: (partnerId: string) => `partner:${partnerId}:issuance`,
  redemption: (partnerId: string) => `partner:${partnerId}:redemption`,
  /** Points that expired unused; the lot links say whose (settlement splits breakage by contract). */
  breakage: 'operator:breakage',
  /** Points the operator credits (goodwill, corrections) or takes back. */
  adjustments: 'operator:adjustments',
  /** Points the operator funds at earn time: tier bonuses and its share of co-funded promotions. */
  promotions: 'operator:promotions',
};

/** DEBT_REPAYMENT: lots consumed against a member's debt once a hold released them (debt-repayment.ts); it has no postings. */
export type TransactionKind =
  'EARN' | 'BURN' | 'REFUND' | 'EXPIRY' | 'ADJUSTMENT' | 'TRANSFER' | 'DEBT_REPAYMENT';

export interface NewTransaction {
  memberId: string;
  kind: TransactionKind;
  /** The points the transaction moves for the member (positive). */
  points: bigint;
  partnerId?: string | null;
  storeId?: string | null;
  receiptId?: string | null;
  reversesId?: string | null;
  /** An earn's partner rules version. */
  rulesVersion?: number | null;
  details?: Record<string, unknown>;
  at: Date;
  postings: { account: string; points: bigint }[];
}

/**
 * Writes one balanced transaction (L1): its postings must sum to zero, checked before anything is
 * written. Zero-point transactions (a purchase too small to earn) carry no postings, and neither
 * does a DEBT_REPAYMENT: it moves points between lots and the debt, not between accounts.
 */
export async function writeTransaction(
  manager: EntityManager,
  txn: NewTransaction,
): Promise<string> {
  const { id, statements } = transactionStatements(txn);
  for (const statement of statements) await manager.query(statement.text, statement.values);
  return id;
}

/** The writes of one balanced transaction, for a caller that sends them with others in one batch (runBatch). */
export function transactionStatements(txn: NewTransaction): {
  id: string;
  statements: Statement[];
} {
  const sum = txn.postings.reduce((total, p) => total + p.points, 0n);
  assert(sum === 0n, `ledger transaction does not balance: postings sum to ${sum}`);
  assert(
    txn.postings.every((p) => p.points !== 0n),
    'a posting moves a non-zero number of points',
  );
  const id = randomUUID();
  const statements: Statement[] = [
    {
      text: `INSERT INTO ledger_transaction (id, member_id, kind, points, partner_id, store_id, receipt_id, reverses_id, details, created_at, rules_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)`,
      values: [
        id,
        txn.memberId,
        txn.kind,
        txn.points.toString(),
        txn.partnerId ?? null,
        txn.storeId ?? null,
        txn.receiptId ?? null,
        txn.reversesId ?? null,
        JSON.stringify(txn.details ?? {}),
        txn.at,
        txn.rulesVersion ?? null,
      ],
    },
  ];
  if (txn.postings.length > 0) {
    const values: unknown[] = [];
    const rows = txn.postings.map((p, i) => {
      values.push(id, p.account, p.points.toString());
      return `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3})`;
    });
    statements.push({
      text: `INSERT INTO posting (transaction_id, account, points) VALUES ${rows.join(', ')}`,
      values,
    });
  }
  return { id, statements };
}
