import { asUuid, laterColumn, MEMBER_ACCOUNT, type AuditCheck } from './ledger-audit.checks';

const debtOf = (wallet: string) => `coalesce(${laterColumn(wallet, 'debt')}::bigint, 0)`;
/** Points of an EARN that repaid debt instead of becoming a lot (details.debtRepaid, absent before debts existed). */
/** Of an earn's debt repayment, the operator-funded points (earns with tier bonuses or co-funded promotions). */
const operatorDebtRepaidBy = (earn: string) =>
  `(CASE WHEN (${earn}.details -> 'earn' ->> 'operatorDebtRepaid') ~ '^[0-9]+$' THEN (${earn}.details -> 'earn' ->> 'operatorDebtRepaid')::bigint ELSE 0 END)`;
const debtRepaidBy = (earn: string) =>
  `(CASE WHEN (${earn}.details ->> 'debtRepaid') ~ '^[0-9]+$' THEN (${earn}.details ->> 'debtRepaid')::bigint ELSE 0 END)`;

/**
 * The audit's checks of holds (L6), lots (L7), issuer attribution (L8) and expiry (L9). Same
 * contract as ledger-audit.checks.ts: one statement each, selecting (id, detail) of violations.
 */

const l6: AuditCheck[] = [
  {
    invariant: 'L6',
    name: 'hold-states',
    description:
      'each hold is in one coherent state: CAPTURED iff it has a capture, resolved iff not OPEN, resolved within its timeout unless EXPIRED',
    sql: `SELECT id::text AS id, problem AS detail FROM (
            SELECT id, CASE
              WHEN (status = 'CAPTURED') <> (capture_transaction_id IS NOT NULL) THEN status || ' with capture transaction ' || coalesce(capture_transaction_id::text, 'none')
              WHEN (status = 'OPEN') <> (resolved_at IS NULL) THEN status || ' with resolved_at ' || coalesce(resolved_at::text, 'null')
              WHEN status = 'CAPTURED' AND (captured_points IS NULL OR captured_points <= 0 OR captured_points > points) THEN 'captured ' || coalesce(captured_points::text, 'null') || ' of ' || points
              WHEN status <> 'CAPTURED' AND captured_points IS NOT NULL THEN status || ' with captured_points ' || captured_points
              WHEN resolved_at < created_at THEN 'resolved before it was placed'
              WHEN status IN ('CAPTURED', 'VOIDED') AND resolved_at >= expires_at THEN status || ' at ' || resolved_at || ', after its timeout ' || expires_at
              WHEN status = 'EXPIRED' AND resolved_at < expires_at THEN 'expired at ' || resolved_at || ', before its timeout ' || expires_at
            END AS problem FROM hold) h
           WHERE problem IS NOT NULL`,
  },
  {
    invariant: 'L6',
    name: 'hold-captures',
    description:
      "each captured hold's transaction is a BURN of the captured points, for its member and partner, naming the hold",
    sql: `SELECT h.id::text AS id, 'captured ' || h.captured_points || ' by ' || t.kind || ' ' || t.id || ' of ' || t.points AS detail
            FROM hold h JOIN ledger_transaction t ON t.id = h.capture_transaction_id
           WHERE t.kind <> 'BURN' OR t.points IS DISTINCT FROM h.captured_points OR t.member_id <> h.member_id
              OR t.partner_id IS DISTINCT FROM h.partner_id OR (t.details ->> 'holdId') IS DISTINCT FROM h.id::text
              OR t.created_at >= h.expires_at`,
  },
  {
    // A hold resolves once: a second capture would be a second BURN naming the same hold.
    invariant: 'L6',
    name: 'hold-resolved-once',
    description:
      "each BURN naming a hold is that hold's one capture, and no transaction captures two holds",
    sql: `SELECT t.id::text AS id, 'BURN names hold ' || (t.details ->> 'holdId') || ', whose capture is ' || coalesce(h.capture_transaction_id::text, 'none') AS detail
            FROM ledger_transaction t LEFT JOIN hold h ON h.id = ${asUuid("t.details ->> 'holdId'")}
           WHERE t.kind = 'BURN' AND (t.details ->> 'holdId') IS NOT NULL AND h.capture_transaction_id IS DISTINCT FROM t.id
          UNION ALL
          SELECT capture_transaction_id::text, 'captures ' || count(*) || ' holds'
            FROM hold WHERE capture_transaction_id IS NOT NULL GROUP BY capture_transaction_id HAVING count(*) > 1`,
  },
];

const l7: AuditCheck[] = [
  {
    invariant: 'L7',
    name: 'lot-remaining',
    description: "each lot's remaining equals its points less the points linked out of it",
    sql: `SELECT l.id::text AS id, 'points ' || l.points || ', linked out ' || coalesce(k.consumed, 0) || ', remaining ' || l.remaining AS detail
            FROM lot l LEFT JOIN (SELECT lot_id, sum(points) AS consumed FROM lot_link GROUP BY lot_id) k ON k.lot_id = l.id
           WHERE l.remaining <> l.points - coalesce(k.consumed, 0)`,
  },
  {
    // Against the ledger, not the cached balance: L2 covers the cache, so a drifted cache is one
    // violation, not two. A refund that claws back points already spent records them as debt
    // (wallet.debt): the member account then holds the lots less the debt.
    invariant: 'L7',
    name: 'member-lots',
    description:
      "each member's lots, less the member's debt, hold exactly the sum of the member account's postings",
    sql: `WITH member_postings AS (
            SELECT substr(account, 8)::uuid AS member_id, sum(points) AS total FROM posting
             WHERE account ~ ${MEMBER_ACCOUNT} GROUP BY account),
          member_lots AS (SELECT member_id, sum(remaining) AS remaining FROM lot GROUP BY member_id),
          debts AS (SELECT w.member_id, ${debtOf('w')} AS debt FROM wallet w)
          SELECT coalesce(p.member_id, l.member_id, d.member_id)::text AS id,
                 'lots hold ' || coalesce(l.remaining, 0) || ', debt ' || coalesce(d.debt, 0) || ', postings ' || coalesce(p.total, 0) AS detail
            FROM member_postings p
            FULL JOIN member_lots l ON l.member_id = p.member_id
            FULL JOIN debts d ON d.member_id = coalesce(p.member_id, l.member_id)
           WHERE coalesce(l.remaining, 0) - coalesce(d.debt, 0) <> coalesce(p.total, 0)`,
  },
  {
    // Debt is repaid first (by later earns, burn refunds, credits and transfers in, and by the
    // points a hold releases), and only arises once a clawback has taken every unexpired point it
    // may: all pending points, and available ones down to what open holds reserve. So a member in
    // debt has no pending points, and no more spendable points than their open holds reserve
    // (counting holds past their timeout whose release the next write records).
    invariant: 'L7',
    name: 'debt-without-lots',
    description:
      'a member in debt holds no points in unexpired lots beyond what open holds reserve',
    params: (p) => [p.asOf],
    sql: `WITH held AS (SELECT member_id, sum(points) AS held FROM hold WHERE status = 'OPEN' GROUP BY member_id)
          SELECT w.member_id::text AS id,
                 'debt ' || ${debtOf('w')} || ' beside ' || coalesce(sum(l.remaining) FILTER (WHERE l.available_at > $1), 0) || ' pending and '
                 || coalesce(sum(l.remaining) FILTER (WHERE l.available_at <= $1), 0) || ' spendable points, ' || coalesce(h.held, 0) || ' held' AS detail
            FROM wallet w
            JOIN lot l ON l.member_id = w.member_id AND l.remaining > 0 AND l.expires_at > $1
            LEFT JOIN held h ON h.member_id = w.member_id
           WHERE ${debtOf('w')} > 0
           GROUP BY w.member_id, ${debtOf('w')}, h.held
          HAVING coalesce(sum(l.remaining) FILTER (WHERE l.available_at > $1), 0) > 0
              OR coalesce(sum(l.remaining) FILTER (WHERE l.available_at <= $1), 0) > coalesce(h.held, 0)`,
  },
  {
    invariant: 'L7',
    name: 'burn-links',
    description: "each BURN's and DEBT_REPAYMENT's lot links add up to its points",
    sql: `SELECT t.id::text AS id, t.kind || ' of ' || t.points || ' linked ' || coalesce(k.linked, 0) AS detail
            FROM ledger_transaction t LEFT JOIN (SELECT transaction_id, sum(points) AS linked FROM lot_link GROUP BY transaction_id) k ON k.transaction_id = t.id
           WHERE t.kind IN ('BURN', 'DEBT_REPAYMENT') AND coalesce(k.linked, 0) <> t.points`,
  },
  {
    // Burns, household transfers and debt repayments take spendable lots (takeFromLots); clawbacks (purchase refunds)
    // and debit adjustments take unexpired ones, pending included, and a clawback its purchase's
    // own lot even past its expiry; expiry takes expired ones (its side is L9's). Each only from
    // its own member's lots.
    invariant: 'L7',
    name: 'spendable-links',
    description:
      "links never take from a lot before it existed; burns, transfers, clawbacks, adjustments, debt repayments and expiry take only their member's lots; a BURN, TRANSFER or DEBT_REPAYMENT only lots available and unexpired at the time, a REFUND or ADJUSTMENT only unexpired ones (a REFUND its purchase's own lots even expired)",
    sql: `SELECT t.id::text AS id, t.kind || ' took from lot ' || l.id || ': ' || CASE
              WHEN l.created_at > t.created_at THEN 'created after the transaction'
              WHEN l.member_id <> t.member_id THEN 'another member''s lot'
              WHEN l.expires_at <= t.created_at THEN 'expired at ' || l.expires_at
              ELSE 'still pending until ' || l.available_at END AS detail
            FROM lot_link k JOIN ledger_transaction t ON t.id = k.transaction_id JOIN lot l ON l.id = k.lot_id
           WHERE l.created_at > t.created_at
              OR (t.kind IN ('BURN', 'TRANSFER', 'REFUND', 'ADJUSTMENT', 'EXPIRY', 'DEBT_REPAYMENT') AND l.member_id <> t.member_id)
              OR (t.kind IN ('BURN', 'TRANSFER', 'REFUND', 'ADJUSTMENT', 'DEBT_REPAYMENT') AND l.expires_at <= t.created_at
                  AND NOT (t.kind = 'REFUND' AND l.earn_transaction_id = t.reverses_id))
              OR (t.kind IN ('BURN', 'TRANSFER', 'DEBT_REPAYMENT') AND l.available_at > t.created_at)`,
  },
  {
    // Oldest expiry first (burns, transfers out and debt repayments), approximated safely: a lot counts as left behind by B only if it
    // expires strictly before the latest lot B took, was created strictly before B, was spendable at
    // B, and was not exhausted by B's time (exhausted_at, from a running sum of its links in ledger
    // order). Ties in time (same millisecond) and in expiry can only hide a violation, never invent
    // one; the tie-breaks (created_at, id) are left to the property test of takeFromLots.
    invariant: 'L7',
    name: 'oldest-expiry-first',
    description:
      'no BURN, TRANSFER or DEBT_REPAYMENT took from a lot while an earlier-expiring spendable lot still held points',
    sql: `WITH burns AS (
            SELECT t.id, t.member_id, t.created_at AS at, max(l.expires_at) AS latest_expiry
              FROM ledger_transaction t JOIN lot_link k ON k.transaction_id = t.id JOIN lot l ON l.id = k.lot_id
             WHERE t.kind IN ('BURN', 'TRANSFER', 'DEBT_REPAYMENT') GROUP BY t.id, t.member_id, t.created_at),
          running AS (
            SELECT k.lot_id, t.created_at AS at,
                   sum(k.points) OVER (PARTITION BY k.lot_id ORDER BY t.created_at, t.id ROWS UNBOUNDED PRECEDING) AS consumed
              FROM lot_link k JOIN ledger_transaction t ON t.id = k.transaction_id),
          exhausted AS (
            SELECT l.id AS lot_id, min(r.at) AS at FROM lot l JOIN running r ON r.lot_id = l.id AND r.consumed >= l.points GROUP BY l.id)
          SELECT b.id::text AS id, 'left lot ' || l.id || ' (expires ' || l.expires_at || ') while taking a lot expiring ' || b.latest_expiry AS detail
            FROM burns b
            JOIN lot l ON l.member_id = b.member_id AND l.expires_at < b.latest_expiry AND l.created_at < b.at
                      AND l.available_at <= b.at AND l.expires_at > b.at
            LEFT JOIN exhausted x ON x.lot_id = l.id
           WHERE x.at IS NULL OR x.at > b.at`,
  },
];

const fundedPoints = (lot: string) =>
  `(SELECT sum(CASE WHEN f ->> 'points' ~ '^[0-9]+$' THEN (f ->> 'points')::bigint END)
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${lot}.funded_by) = 'array' THEN ${lot}.funded_by ELSE '[]' END) f)`;

const l8: AuditCheck[] = [
  {
    // An earn's points become its lots, less what repaid the member's debt (details.debtRepaid):
    // the partner's lot, and one with no issuer for the points the operator funds.
    invariant: 'L8',
    name: 'earn-lots',
    description:
      "each EARN's lots belong to its member, are issued by its partner (or funded by the operator), fully funded, and hold its points less the debt it repaid",
    sql: `WITH per_earn AS (
            SELECT l.earn_transaction_id AS id, sum(l.points) AS points,
                   bool_and((l.issuer_partner_id IS NULL OR l.issuer_partner_id = t.partner_id) AND l.member_id = t.member_id) AS owned,
                   bool_and(${fundedPoints('l')} IS NOT DISTINCT FROM l.points) AS funded
              FROM lot l JOIN ledger_transaction t ON t.id = l.earn_transaction_id AND t.kind = 'EARN'
             GROUP BY l.earn_transaction_id)
          SELECT t.id::text AS id, 'EARN of ' || t.points || ' (debt repaid ' || ${debtRepaidBy('t')} || ') at partner ' || coalesce(t.partner_id::text, '?')
                 || ': lots of ' || coalesce(e.points, 0)
                 || CASE WHEN NOT coalesce(e.owned, true) THEN ', a lot of another issuer or member' ELSE '' END
                 || CASE WHEN NOT coalesce(e.funded, true) THEN ', funded_by does not add up' ELSE '' END AS detail
            FROM ledger_transaction t LEFT JOIN per_earn e ON e.id = t.id
           WHERE t.kind = 'EARN' AND (coalesce(e.points, 0) <> t.points - ${debtRepaidBy('t')} OR NOT coalesce(e.owned, true) OR NOT coalesce(e.funded, true))`,
  },
  {
    // A refunded burn gives points back, and a household transfer hands them on, as new lots that
    // keep the consumed lot's issuer and expiry; a refund's stay with the same member.
    invariant: 'L8',
    name: 'restored-lots',
    description:
      "a lot restored by a REFUND or handed on by a TRANSFER keeps the issuer and expiry of its source lot (a REFUND's also its member)",
    sql: `SELECT r.id::text AS id, 'restores lot ' || coalesce(s.id::text, '(missing)') || ' by ' || coalesce(t.kind, '(missing)') || ' ' || r.earn_transaction_id AS detail
            FROM lot r
            LEFT JOIN lot s ON s.id = ${asUuid(laterColumn('r', 'restored_from_lot_id'))}
            LEFT JOIN ledger_transaction t ON t.id = r.earn_transaction_id
           WHERE ${laterColumn('r', 'restored_from_lot_id')} IS NOT NULL
             AND (s.id IS NULL OR t.kind IS NULL OR t.kind NOT IN ('REFUND', 'TRANSFER')
                  OR s.issuer_partner_id IS DISTINCT FROM r.issuer_partner_id OR s.expires_at <> r.expires_at
                  OR (t.kind = 'REFUND' AND s.member_id <> r.member_id))`,
  },
  {
    // Points issued per partner, three ways: the issuance account's postings in earns, the lots of
    // those earns plus the debt they repaid, and what became of every lot it issued (linked out:
    // burned, expired, clawed back, transferred, repaying debt; or outstanding). Lots with no
    // issuer (operator credit adjustments) conserve under 'operator'.
    invariant: 'L8',
    name: 'issuer-attribution',
    description:
      'for each issuing partner, points issued (ledger) = its earn lots + debt repaid by its earns; points in all its lots = linked out of them (burned, expired, clawed back) + outstanding',
    sql: `WITH ledger_issued AS (
            SELECT coalesce(substring(p.account from '^partner:(.*):issuance$'), 'operator') AS partner_id, -sum(p.points) AS issued
              FROM posting p JOIN ledger_transaction t ON t.id = p.transaction_id
             WHERE t.kind = 'EARN' AND (p.account LIKE 'partner:%:issuance' OR p.account = 'operator:promotions') GROUP BY 1),
          repaid AS (
            SELECT partner_id, sum(repaid) AS repaid FROM (
              SELECT t.partner_id::text AS partner_id, ${debtRepaidBy('t')} - ${operatorDebtRepaidBy('t')} AS repaid FROM ledger_transaction t WHERE t.kind = 'EARN'
              UNION ALL
              SELECT 'operator', ${operatorDebtRepaidBy('t')} FROM ledger_transaction t WHERE t.kind = 'EARN') r GROUP BY 1),
          lots AS (
            SELECT coalesce(l.issuer_partner_id::text, 'operator') AS partner_id, sum(l.points) AS issued, sum(l.remaining) AS outstanding,
                   sum(l.points) FILTER (WHERE t.kind = 'EARN') AS issued_by_earns
              FROM lot l JOIN ledger_transaction t ON t.id = l.earn_transaction_id GROUP BY 1),
          linked AS (
            SELECT coalesce(l.issuer_partner_id::text, 'operator') AS partner_id, sum(k.points) AS linked, string_agg(DISTINCT t.kind, '/') AS kinds
              FROM lot_link k JOIN lot l ON l.id = k.lot_id JOIN ledger_transaction t ON t.id = k.transaction_id GROUP BY 1),
          partners AS (SELECT partner_id FROM ledger_issued UNION SELECT partner_id FROM lots)
          SELECT p.partner_id AS id,
                 'ledger issued ' || coalesce(li.issued, 0) || ', earn lots ' || coalesce(lo.issued_by_earns, 0) || ' + debt repaid ' || coalesce(r.repaid, 0)
                 || '; all lots ' || coalesce(lo.issued, 0) || ' = linked ' || coalesce(k.linked, 0) || coalesce(' (' || k.kinds || ')', '')
                 || ' + outstanding ' || coalesce(lo.outstanding, 0) AS detail
            FROM partners p
            LEFT JOIN ledger_issued li ON li.partner_id = p.partner_id
            LEFT JOIN repaid r ON r.partner_id = p.partner_id
            LEFT JOIN lots lo ON lo.partner_id = p.partner_id
            LEFT JOIN linked k ON k.partner_id = p.partner_id
           WHERE coalesce(li.issued, 0) <> coalesce(lo.issued_by_earns, 0) + coalesce(r.repaid, 0)
              OR coalesce(lo.issued, 0) <> coalesce(k.linked, 0) + coalesce(lo.outstanding, 0)`,
  },
];

const l9: AuditCheck[] = [
  {
    invariant: 'L9',
    name: 'expired-lots-emptied',
    description:
      'after the expiry run, no lot that existed and had expired when it ran still holds points',
    skippedBecause: (p) =>
      p.expiryRunAt ? undefined : 'no expiry run time given (--expiry-run-at)',
    params: (p) => [p.expiryRunAt],
    // A lot restored after the run with an expiry already past waits, by design, for the next run.
    sql: `SELECT id::text AS id, remaining || ' points left in a lot that expired at ' || expires_at AS detail
            FROM lot WHERE remaining > 0 AND expires_at <= $1::timestamptz AND created_at <= $1::timestamptz`,
  },
  {
    // Holds today with no EXPIRY transactions at all; it keeps the expiry run exact and idempotent
    // once there are: an EXPIRY never takes from a lot early, nor twice.
    invariant: 'L9',
    name: 'expiry-links',
    description:
      'EXPIRY transactions take only from lots already expired, and from each lot at most once',
    sql: `SELECT k.lot_id::text AS id, 'EXPIRY ' || t.id || ' at ' || t.created_at || ' took from a lot expiring ' || l.expires_at AS detail
            FROM lot_link k JOIN ledger_transaction t ON t.id = k.transaction_id JOIN lot l ON l.id = k.lot_id
           WHERE t.kind = 'EXPIRY' AND l.expires_at > t.created_at
          UNION ALL
          SELECT k.lot_id::text, 'expired by ' || count(*) || ' EXPIRY transactions'
            FROM lot_link k JOIN ledger_transaction t ON t.id = k.transaction_id
           WHERE t.kind = 'EXPIRY' GROUP BY k.lot_id HAVING count(*) > 1`,
  },
];

export const checksL6toL9: AuditCheck[] = [...l6, ...l7, ...l8, ...l9];
