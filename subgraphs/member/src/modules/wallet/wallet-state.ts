import pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { aggregateLockKey } from '@coalition/shared/db/locks';
import { preparedQuery } from '@coalition/shared/db/sql';
import { assert, notFound } from '@coalition/shared/errors';
import { inTransaction } from '@coalition/shared/db/transaction';
import { limits } from '@coalition/shared/limits';
import { repayDebtFromRelease } from './debt-repayment';
import {
  afterTakes,
  balancesAt,
  debtRepaidByRelease,
  expiringWithin,
  takeFromLots,
  type ExpiringPoints,
  type LotState,
} from './points';

export interface WalletView {
  memberId: string;
  available: bigint;
  pending: bigint;
  held: bigint;
  lifetimeEarned: bigint;
  /** Points a refund could not take back (spent, or reserved by open holds), repaid first from later earnings and released holds. */
  debt: bigint;
  /** Points expiring in the next limits.expiringSoonDays days, by day. */
  expiringSoon: ExpiringPoints[];
  /** The ledger time the balances were read at. */
  asOf: Date;
}

export interface LockedWallet {
  memberId: string;
  balance: bigint;
  debt: bigint;
  lifetimeEarned: bigint;
  /** Ledger time: the database clock, read once the lock is held, so it only moves forward per member. */
  now: Date;
  /** The lots that still hold points, as the lock found them (after any debt repayment it made). */
  lots: LiveLot[];
  /** Points reserved by open holds, all within their timeout once the lock expired the others. */
  held: bigint;
}

interface LockRow {
  balance: string;
  debt: string;
  lifetime_earned: string;
  now: Date;
  expired_holds: { id: string; points: string }[];
  /** [id, remaining, available_at, expires_at, created_at, issuer_partner_id], timestamps as Postgres's text. */
  live_lots: [string, string, string, string, string, string | null][];
  held: string;
}

/** The driver's own parser for timestamptz text, so dates passed inside JSON read exactly as in a column. */
const parseTimestamp = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (
  text: string,
) => Date;

/**
 * Takes the member's lock: the first statement of every wallet write, so one member's operations
 * are serialised, and their facts reach the feed in that order (see lockAggregate), while
 * different members never wait for each other.
 */
export async function lockWallet(manager: EntityManager, memberId: string): Promise<LockedWallet> {
  // One round trip (lock_wallet): the advisory lock, the wallet row locked, ledger time, the holds
  // past their timeout expired by ledger time before anything else reads them (L6), then the live
  // lots and what the open holds reserve.
  const rows = await preparedQuery<LockRow>(
    manager,
    'lock-wallet-v2',
    'SELECT balance, debt, lifetime_earned, now, expired_holds, live_lots, held FROM lock_wallet($1, $2)',
    [aggregateLockKey('member', memberId), memberId],
  );
  const row = rows[0];
  if (!row) throw notFound('Member');
  const wallet: LockedWallet = {
    memberId,
    balance: BigInt(row.balance),
    debt: BigInt(row.debt),
    lifetimeEarned: BigInt(row.lifetime_earned),
    now: row.now,
    lots: row.live_lots.map(
      ([id, remaining, availableAt, expiresAt, createdAt, issuerPartnerId]) => ({
        id,
        remaining: BigInt(remaining),
        availableAt: parseTimestamp(availableAt),
        expiresAt: parseTimestamp(expiresAt),
        createdAt: parseTimestamp(createdAt),
        issuerPartnerId,
      }),
    ),
    held: BigInt(row.held),
  };
  // What expired holds reserved repays the member's debt first, from the lots it then re-reads.
  const expired = row.expired_holds;
  if (expired.length > 0 && wallet.debt > 0n) {
    const release = {
      holdIds: expired.map((h) => h.id).sort(),
      cause: 'EXPIRED' as const,
      points: expired.reduce((sum, h) => sum + BigInt(h.points), 0n),
    };
    wallet.debt -= await repayDebtFromRelease(manager, wallet, release, wallet.lots, wallet.held);
    wallet.lots = await liveLots(manager, memberId);
  }
  return wallet;
}

interface LotRow {
  id: string;
  remaining: string;
  available_at: Date;
  expires_at: Date;
  created_at: Date;
  issuer_partner_id: string | null;
}

export interface LiveLot extends LotState {
  issuerPartnerId: string | null;
}

const toLiveLot = (r: LotRow): LiveLot => ({
  id: r.id,
  remaining: BigInt(r.remaining),
  availableAt: r.available_at,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
  issuerPartnerId: r.issuer_partner_id,
});

/** The member's lots that still hold points (under the member's lock when used for a write). */
export async function liveLots(manager: EntityManager, memberId: string): Promise<LiveLot[]> {
  const rows = await preparedQuery<LotRow>(
    manager,
    'live-lots-v1',
    'SELECT id, remaining, available_at, expires_at, created_at, issuer_partner_id FROM lot WHERE member_id = $1 AND remaining > 0',
    [memberId],
  );
  return rows.map(toLiveLot);
}

/** Points reserved by holds that are open and not yet past their timeout at `now` (leaving one out, if asked). */
export async function openHeldPoints(
  manager: EntityManager,
  memberId: string,
  now: Date,
  exceptHoldId?: string,
): Promise<bigint> {
  const rows = await preparedQuery<{ held: string }>(
    manager,
    'open-held-v1',
    `SELECT coalesce(sum(points), 0) AS held FROM hold
      WHERE member_id = $1 AND status = 'OPEN' AND expires_at > $2 AND id IS DISTINCT FROM $3::uuid`,
    [memberId, now, exceptHoldId ?? null],
  );
  return BigInt(rows[0]?.held ?? 0);
}

/** The member's balances at ledger time `now`, as the wallet row and the lots stand. */
export async function walletView(
  manager: EntityManager,
  memberId: string,
  now: Date,
): Promise<WalletView> {
  const view = (await walletViewsAt(manager, [memberId], now)).get(memberId);
  if (!view) throw notFound('Member');
  return view;
}

/**
 * The balances of many wallets at one ledger time, in one set-based read whatever their number
 * (each wallet row with its open holds summed and one row per live lot), through the same
 * arithmetic as one wallet's. Unknown members are left out of the map.
 */
export async function walletViewsAt(
  manager: EntityManager,
  memberIds: readonly string[],
  now: Date,
): Promise<Map<string, WalletView>> {
  // Open holds past their timeout have released their points by ledger time, though the status
  // (and the debt they repay) is only written when the member is next locked.
  // One member (every write's answer) by equality, which Postgres plans once per connection; with
  // `= ANY(array)` it would plan the statement anew on every call.
  const one = memberIds.length === 1;
  const rows = await preparedQuery<WalletViewRow>(
    manager,
    one ? 'wallet-view-v1' : 'wallet-views-v2',
    walletViewsSql(one ? 'w.member_id = $1::uuid' : 'w.member_id = ANY($1::uuid[])'),
    [one ? memberIds[0] : [...memberIds], now],
  );
  const wallets = new Map<string, { row: WalletViewRow; lots: LiveLot[] }>();
  for (const row of rows) {
    let wallet = wallets.get(row.member_id);
    if (!wallet) wallets.set(row.member_id, (wallet = { row, lots: [] }));
    if (row.id !== null) wallet.lots.push(toLiveLot(row as LotRow));
  }
  return new Map(
    [...wallets].map(([memberId, { row, lots }]) => [
      memberId,
      viewOf(
        now,
        memberId,
        { lifetimeEarned: BigInt(row.lifetime_earned), debt: BigInt(row.debt) },
        lots,
        BigInt(row.held),
        BigInt(row.released),
      ),
    ]),
  );
}

/**
 * One wallet's balances at ledger time `now`, from its row, its live lots and its open holds (those
 * past their timeout `released`): pure, so a write can answer with the balances it leaves without
 * reading them back.
 */
export function viewOf(
  now: Date,
  memberId: string,
  wallet: { lifetimeEarned: bigint; debt: bigint },
  lots: LiveLot[],
  held: bigint,
  released: bigint,
): WalletView {
  const { lots: own, debt } = projectRepayment(now, lots, held, released, wallet.debt);
  const balances = balancesAt(now, own, held);
  const expiringSoon = expiringWithin(now, own, limits.expiringSoonDays);
  return {
    memberId,
    ...balances,
    expiringSoon,
    lifetimeEarned: wallet.lifetimeEarned,
    debt,
    asOf: now,
  };
}

const walletViewsSql = (members: string) => `
  SELECT w.member_id, w.lifetime_earned, w.debt, h.held, h.released,
         l.id, l.remaining, l.available_at, l.expires_at, l.created_at, l.issuer_partner_id
    FROM wallet w
    CROSS JOIN LATERAL (
      SELECT coalesce(sum(points) FILTER (WHERE expires_at > $2), 0) AS held, coalesce(sum(points) FILTER (WHERE expires_at <= $2), 0) AS released
        FROM hold WHERE hold.member_id = w.member_id AND status = 'OPEN') h
    LEFT JOIN lot l ON l.member_id = w.member_id AND l.remaining > 0
   WHERE ${members}`;

/** A wallet with its holds summed, once per live lot (the lot's columns null when it has none). */
type WalletViewRow = {
  member_id: string;
  lifetime_earned: string;
  debt: string;
  held: string;
  released: string;
} & { [K in keyof LotRow]: LotRow[K] | null };

/**
 * The lots and debt as they stand once the member's timed-out holds are recorded: the same
 * arithmetic lockWallet writes (repayDebtFromRelease), so a read never shows as spendable points
 * that the next write will first use to repay the debt.
 */
function projectRepayment(
  now: Date,
  lots: LiveLot[],
  held: bigint,
  released: bigint,
  debt: bigint,
): { lots: LiveLot[]; debt: bigint } {
  if (released === 0n || debt === 0n) return { lots, debt };
  const repaid = debtRepaidByRelease(debt, released, balancesAt(now, lots, held).available);
  if (repaid === 0n) return { lots, debt };
  const takes = takeFromLots(now, lots, repaid);
  assert(takes !== undefined, 'spendable lots cover what is available');
  return { lots: afterTakes(lots, takes), debt: debt - repaid };
}

/**
 * Reads wallets without locking them (queries): all at one ledger time, and from one snapshot, so
 * a burn that commits between two of the reads cannot show its points both spent and held.
 */
export async function readWallets(
  dataSource: DataSource,
  memberIds: readonly string[],
): Promise<Map<string, WalletView>> {
  return inTransaction(dataSource, 'REPEATABLE READ', async (manager) => {
    const rows: { now: Date }[] = await manager.query('SELECT ledger_now() AS now');
    return walletViewsAt(manager, memberIds, rows[0]!.now);
  });
}
