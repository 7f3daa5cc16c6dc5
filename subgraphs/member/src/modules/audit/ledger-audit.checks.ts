/**
 * The ledger audit's checks (docs/ledger.md, L1–L9), one set-based SQL statement each. Every statement
 * selects the violating rows as (id text, detail text); the runner counts them and keeps a sample.
 * They read only the member database's tables and catalogue, so each is one snapshot and scales
 * with the ledger (hash joins and aggregates, no per-row round trips).
 *
 * Written to stay right as REFUND, EXPIRY, ADJUSTMENT, TRANSFER and DEBT_REPAYMENT transactions appear: lot links of
 * any kind consume lots; rules that depend on a kind's meaning (a burn takes only spendable lots,
 * oldest expiry first) are applied to that kind only.
 */

export type InvariantId = 'L1' | 'L2' | 'L3' | 'L4' | 'L5' | 'L6' | 'L7' | 'L8' | 'L9';

export interface AuditParameters {
  /** Database time the audit reads balances at (one value for every check). */
  asOf: Date;
  /** When the last completed expiry run started (ledger time): lots expired by then must be empty (L9). */
  expiryRunAt: Date | null;
  /** Codes a recorded idempotent failure may carry. */
  outcomeCodes: readonly string[];
}

export interface AuditCheck {
  invariant: InvariantId;
  /** A short, stable name for reports and tests. */
  name: string;
  /** What holds when the check finds nothing. */
  description: string;
  /** Why the check does not run, or undefined when it does. */
  skippedBecause?: (p: AuditParameters) => string | undefined;
  params?: (p: AuditParameters) => unknown[];
  sql: string;
}

const UUID_PATTERN = "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'";
/** A text that should hold a uuid, as a uuid (null when it does not): joins stay typed and indexed. */
export const asUuid = (expression: string) =>
  `(CASE WHEN (${expression}) ~ ${UUID_PATTERN} THEN (${expression})::uuid END)`;
/**
 * A column a later migration adds (wallet.debt, lot.restored_from_lot_id), read through the row's
 * JSON so the audit also runs, unchanged, against a database migrated before it existed.
 */
export const laterColumn = (row: string, column: string) => `(to_jsonb(${row}) ->> '${column}')`;

/** Member accounts are exactly `member:<uuid>`; a later `member:<uuid>:debt` is another account. */
export const MEMBER_ACCOUNT = `'^member:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;

const l1: AuditCheck[] = [
  {
    invariant: 'L1',
    name: 'transaction-balances',
    description: "every transaction's postings sum to zero",
    sql: `SELECT transaction_id::text AS id, 'postings sum to ' || sum(points) AS detail
            FROM posting GROUP BY transaction_id HAVING sum(points) <> 0`,
  },
  {
    invariant: 'L1',
    name: 'ledger-balances',
    description: 'all postings of the ledger sum to zero',
    sql: `SELECT 'ledger' AS id, 'all postings sum to ' || total AS detail
            FROM (SELECT coalesce(sum(points), 0) AS total FROM posting) t WHERE total <> 0`,
  },
  {
    // Kinds whose meaning is fixed: an earn credits, a burn debits the member exactly its points.
    invariant: 'L1',
    name: 'earn-burn-postings',
    description: 'each EARN credits and each BURN debits the member account by exactly its points',
    // (transaction_id, account) is the posting's key: at most one posting on the member's own account.
    sql: `SELECT t.id::text AS id, t.kind || ' of ' || t.points || ' moved ' || coalesce(m.points, 0) || ' on the member account' AS detail
            FROM ledger_transaction t
            LEFT JOIN posting m ON m.transaction_id = t.id AND m.account = 'member:' || t.member_id
           WHERE t.kind IN ('EARN', 'BURN') AND coalesce(m.points, 0) <> CASE WHEN t.kind = 'EARN' THEN t.points ELSE -t.points END`,
  },
];

const l2: AuditCheck[] = [
  {
    invariant: 'L2',
    name: 'wallet-balance',
    description: "each wallet's cached balance equals the sum of its member account's postings",
    sql: `WITH member_postings AS (
            SELECT substr(account, 8)::uuid AS member_id, sum(points) AS total FROM posting
             WHERE account ~ ${MEMBER_ACCOUNT} GROUP BY account)
          SELECT coalesce(w.member_id, p.member_id)::text AS id,
                 'wallet.balance ' || coalesce(w.balance::text, '(no wallet)') || ', postings ' || coalesce(p.total, 0) AS detail
            FROM wallet w FULL JOIN member_postings p ON p.member_id = w.member_id
           WHERE w.member_id IS NULL OR w.balance <> coalesce(p.total, 0)`,
  },
  {
    invariant: 'L2',
    name: 'lifetime-earned',
    description: "each wallet's lifetime_earned equals the points of its EARN transactions",
    sql: `WITH earned AS (SELECT member_id, sum(points) AS total FROM ledger_transaction WHERE kind = 'EARN' GROUP BY member_id)
          SELECT w.member_id::text AS id, 'lifetime_earned ' || w.lifetime_earned || ', earns ' || coalesce(e.total, 0) AS detail
            FROM wallet w LEFT JOIN earned e ON e.member_id = w.member_id
           WHERE w.lifetime_earned <> coalesce(e.total, 0)`,
  },
];

const l3: AuditCheck[] = [
  {
    // Lots count if matured by now and not yet expired when the member's oldest open hold was
    // placed, with the points taken from them after they expired (by the expiry run, or by a
    // refund from its purchase's own lot) counted back in: a lot that expired under an open hold
    // (holds last up to 7 days, lots 2 years) is not a hold or burn overdrawing, so it must not
    // read as one, before or after the expiry run empties it. Members with no open hold cannot be
    // below zero: remaining >= 0 is a column constraint.
    invariant: 'L3',
    name: 'available-not-negative',
    description: "no member's open holds reserve more than their spendable lots hold",
    params: (p) => [p.asOf],
    sql: `WITH open_holds AS (
            SELECT member_id, sum(points) AS held, min(created_at) AS since FROM hold
             WHERE status = 'OPEN' AND expires_at > $1 GROUP BY member_id),
          counted AS (
            SELECT h.member_id, l.id, l.remaining, l.expires_at
              FROM open_holds h JOIN lot l ON l.member_id = h.member_id AND l.available_at <= $1 AND l.expires_at > h.since),
          taken_once_expired AS (
            SELECT c.id, sum(k.points) AS points
              FROM counted c JOIN lot_link k ON k.lot_id = c.id JOIN ledger_transaction t ON t.id = k.transaction_id AND t.created_at >= c.expires_at
             GROUP BY c.id),
          spendable AS (
            SELECT h.member_id, h.held, coalesce(sum(c.remaining + coalesce(x.points, 0)), 0) AS matured
              FROM open_holds h
              LEFT JOIN counted c ON c.member_id = h.member_id
              LEFT JOIN taken_once_expired x ON x.id = c.id
             GROUP BY h.member_id, h.held)
          SELECT member_id::text AS id, 'spendable ' || matured || ', held ' || held || ': available ' || (matured - held) AS detail
            FROM spendable WHERE matured < held`,
  },
];

const l4: AuditCheck[] = [
  {
    // tgtype bits: 1 row-level, 2 before, 8 delete, 16 update. 'D' is a disabled trigger.
    invariant: 'L4',
    name: 'append-only-triggers',
    description:
      'ledger_transaction, posting and lot_link each have an enabled trigger refusing UPDATE and DELETE',
    sql: `SELECT e.table_name AS id, 'no enabled BEFORE UPDATE OR DELETE row trigger raising on rewrite' AS detail
            FROM (VALUES ('ledger_transaction'), ('posting'), ('lot_link')) AS e (table_name)
           WHERE NOT EXISTS (
             SELECT 1 FROM pg_trigger t
               JOIN pg_class c ON c.oid = t.tgrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               JOIN pg_proc f ON f.oid = t.tgfoid
              WHERE c.relname = e.table_name AND n.nspname = current_schema() AND NOT t.tgisinternal AND t.tgenabled <> 'D'
                AND (t.tgtype & 27) = 27 AND f.prosrc ILIKE '%RAISE EXCEPTION%')`,
  },
  {
    invariant: 'L4',
    name: 'references',
    description:
      'every posting, lot link, lot, hold capture and reversal references a transaction that exists',
    sql: `SELECT p.transaction_id::text AS id, 'posting on ' || p.account || ' of a missing transaction' AS detail
            FROM posting p LEFT JOIN ledger_transaction t ON t.id = p.transaction_id WHERE t.id IS NULL
          UNION ALL
          SELECT k.transaction_id::text, 'lot link of a missing transaction (lot ' || k.lot_id || ')'
            FROM lot_link k LEFT JOIN ledger_transaction t ON t.id = k.transaction_id WHERE t.id IS NULL
          UNION ALL
          SELECT k.lot_id::text, 'lot link to a missing lot (transaction ' || k.transaction_id || ')'
            FROM lot_link k LEFT JOIN lot l ON l.id = k.lot_id WHERE l.id IS NULL
          UNION ALL
          SELECT l.id::text, 'lot of a missing earn transaction'
            FROM lot l LEFT JOIN ledger_transaction t ON t.id = l.earn_transaction_id WHERE t.id IS NULL
          UNION ALL
          SELECT h.id::text, 'hold captured by a missing transaction'
            FROM hold h LEFT JOIN ledger_transaction t ON t.id = h.capture_transaction_id
           WHERE h.capture_transaction_id IS NOT NULL AND t.id IS NULL
          UNION ALL
          SELECT r.id::text, 'reverses a missing transaction'
            FROM ledger_transaction r LEFT JOIN ledger_transaction t ON t.id = r.reverses_id
           WHERE r.reverses_id IS NOT NULL AND t.id IS NULL`,
  },
];

const l5: AuditCheck[] = [
  {
    invariant: 'L5',
    name: 'receipt-index',
    description: 'a unique index keeps each (partner, receipt) to one EARN',
    sql: `SELECT 'ledger_transaction_receipt' AS id, 'the unique index on EARN (partner_id, receipt_id) is missing or invalid' AS detail
           WHERE NOT EXISTS (
             SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relname = 'ledger_transaction_receipt' AND n.nspname = current_schema() AND i.indisunique AND i.indisvalid)`,
  },
  {
    invariant: 'L5',
    name: 'duplicate-receipts',
    description: 'no two EARN transactions share a partner and receipt id',
    sql: `SELECT partner_id || '/' || receipt_id AS id, count(*) || ' EARN transactions: ' || string_agg(id::text, ', ' ORDER BY id) AS detail
            FROM ledger_transaction WHERE kind = 'EARN' AND receipt_id IS NOT NULL
           GROUP BY partner_id, receipt_id HAVING count(*) > 1`,
  },
  {
    invariant: 'L5',
    name: 'idempotency-records',
    description:
      'every idempotency record holds a request hash and exactly one outcome: {ok: {...}} or {error: {code, message}} with a wallet code',
    params: (p) => [p.outcomeCodes],
    sql: `SELECT r.scope || ' ' || r.key AS id, r.operation || ': malformed record ' || left(r.response::text, 120) AS detail
            FROM idempotency_record r
           WHERE r.request_hash !~ '^[0-9a-f]{64}$'
              OR CASE WHEN jsonb_typeof(r.response) = 'object' THEN
                   (r.response ? 'ok') = (r.response ? 'error') OR (r.response - 'ok' - 'error') <> '{}'::jsonb
                   OR NOT coalesce(jsonb_typeof(r.response -> 'ok') = 'object'
                        OR (jsonb_typeof(r.response -> 'error') = 'object'
                            AND (r.response -> 'error' ->> 'code') = ANY ($1::text[])
                            AND jsonb_typeof(r.response -> 'error' -> 'message') = 'string'), false)
                 ELSE true END`,
  },
  {
    // One key, one effect: each earn, burn and refund (the operations callers ask for) is the
    // recorded outcome of exactly one key, and a recorded outcome names an effect that committed
    // with it. EXPIRY runs on the wallet's own schedule and has no key.
    invariant: 'L5',
    name: 'keys-and-effects',
    description:
      'each EARN, BURN and REFUND is the recorded outcome of exactly one idempotency key, and every recorded outcome exists',
    sql: `WITH recorded AS (
            SELECT r.scope, r.key, r.operation,
                   ${asUuid("r.response -> 'ok' ->> 'transactionId'")} AS transaction_id,
                   CASE WHEN r.operation IN ('hold', 'void') THEN ${asUuid("r.response -> 'ok' ->> 'id'")} END AS hold_id,
                   r.response -> 'ok' ? 'transactionId' AS names_transaction
              FROM idempotency_record r WHERE jsonb_typeof(r.response -> 'ok') = 'object')
          SELECT t.id::text AS id, t.kind || ' recorded under ' || count(r.key) || ' idempotency keys' AS detail
            FROM ledger_transaction t LEFT JOIN recorded r ON r.transaction_id = t.id
           WHERE t.kind IN ('EARN', 'BURN', 'REFUND') GROUP BY t.id, t.kind HAVING count(r.key) <> 1
          UNION ALL
          SELECT r.scope || ' ' || r.key, r.operation || ' recorded a transaction that does not exist'
            FROM recorded r LEFT JOIN ledger_transaction t ON t.id = r.transaction_id
           WHERE r.names_transaction AND t.id IS NULL
          UNION ALL
          SELECT r.scope || ' ' || r.key, r.operation || ' recorded a hold that does not exist'
            FROM recorded r LEFT JOIN hold h ON h.id = r.hold_id
           WHERE r.operation IN ('hold', 'void') AND h.id IS NULL`,
  },
];

export const checksL1toL5: AuditCheck[] = [...l1, ...l2, ...l3, ...l4, ...l5];
