import type { DataSource } from 'typeorm';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { preparedQuery } from '@coalition/shared/db/sql';
import { CoalitionError, ErrorCode, forbidden, notFound } from '@coalition/shared/errors';
import type { EarnChannel } from '@coalition/shared/earn-rules/earn-rules';
import { limits } from '@coalition/shared/limits';
import { WalletError, WalletErrorCode } from './wallet.errors';

export interface Till {
  partnerId: string;
  storeId: string;
  partnerStatus: string;
  /** A leaving partner's last moments for earning and for burning (exclusive); null otherwise. */
  earnStopAt: Date | null;
  burnStopAt: Date | null;
  currency: string;
  returnWindowDays: number;
  timeZone: string;
  channel: EarnChannel;
  burnLimits: BurnLimits;
}

/** The partner's smallest and largest burn per transaction, within the coalition's maximum. */
export interface BurnLimits {
  min: bigint;
  max: bigint;
}

/**
 * The store an operation happens at, from the wallet's replica of the partner configuration (no
 * call to the partner service: earn and burn keep working while it is down). A partner acts only
 * at its own stores, a terminal only at its own store; another partner's store is "not found".
 */
export async function tillFor(
  dataSource: DataSource,
  viewer: Viewer,
  storeId: string,
): Promise<Till> {
  if (viewer.role !== 'partner' && viewer.role !== 'terminal')
    throw forbidden('Only partners and their terminals record points at a store.');
  if (viewer.role === 'terminal' && viewer.storeId !== storeId)
    throw forbidden('A terminal acts only at its own store.');
  const rows = await preparedQuery<BurnLimitRow & TillRow>(
    dataSource.manager,
    'till-v1',
    `SELECT s.partner_id, s.time_zone, s.kind, p.status, p.earn_stop_at, p.burn_stop_at, p.settlement_currency, p.return_window_days, p.burn_points_min, p.burn_points_max
       FROM store_replica s JOIN partner_replica p ON p.id = s.partner_id
      WHERE s.id = $1`,
    [storeId],
  );
  const row = rows[0];
  if (!row || row.partner_id !== viewer.partnerId) throw notFound('Store');
  return {
    partnerId: row.partner_id,
    storeId,
    partnerStatus: row.status,
    earnStopAt: row.earn_stop_at,
    burnStopAt: row.burn_stop_at,
    currency: row.settlement_currency.trim(),
    returnWindowDays: row.return_window_days,
    timeZone: row.time_zone,
    channel: row.kind,
    burnLimits: burnLimitsOf(row),
  };
}

interface TillRow {
  partner_id: string;
  time_zone: string;
  kind: EarnChannel;
  status: string;
  earn_stop_at: Date | null;
  burn_stop_at: Date | null;
  settlement_currency: string;
  return_window_days: number;
}

interface BurnLimitRow {
  burn_points_min: number;
  burn_points_max: number | null;
}

const burnLimitsOf = (row: BurnLimitRow): BurnLimits => ({
  min: BigInt(row.burn_points_min),
  max: row.burn_points_max === null ? limits.burnPointsMax : BigInt(row.burn_points_max),
});

/** The burn limits of the partner a hold belongs to, from the replica. */
export async function partnerBurnLimits(
  dataSource: DataSource,
  partnerId: string,
): Promise<BurnLimits> {
  const rows: BurnLimitRow[] = await dataSource.query(
    'SELECT burn_points_min, burn_points_max FROM partner_replica WHERE id = $1',
    [partnerId],
  );
  return rows[0] ? burnLimitsOf(rows[0]) : { min: 1n, max: limits.burnPointsMax };
}

/**
 * A burn or hold outside the partner's limits is bad input: refused before anything is written
 * (nothing is recorded against the key, so the till can correct the amount and retry).
 */
export function assertWithinBurnLimits(
  burnLimits: BurnLimits,
  points: bigint,
  check: 'min' | 'both' = 'both',
): void {
  if (points < burnLimits.min || (check === 'both' && points > burnLimits.max)) {
    const range =
      check === 'both'
        ? `${burnLimits.min} to ${burnLimits.max} points`
        : `at least ${burnLimits.min} points`;
    throw new CoalitionError(ErrorCode.BAD_USER_INPUT, `This partner takes ${range} per burn.`, {
      field: 'points',
      minPoints: burnLimits.min.toString(),
      maxPoints: burnLimits.max.toString(),
    });
  }
}

/**
 * A suspended partner neither earns nor burns; a leaving one earns until its earn-stop date and
 * burns until its burn-stop date (usually later, so its customers can still spend), by ledger
 * time. Refunds stay possible: they correct history rather than add to it.
 */
export function assertAccepting(
  till: Pick<Till, 'partnerStatus' | 'earnStopAt' | 'burnStopAt'>,
  operation: 'earn' | 'burn',
  now: Date,
): void {
  const stopAt = operation === 'earn' ? till.earnStopAt : till.burnStopAt;
  const stopped =
    till.partnerStatus === 'SUSPENDED' ||
    (till.partnerStatus === 'LEAVING' && stopAt !== null && now >= stopAt);
  if (stopped) {
    const what = operation === 'earn' ? 'points for purchases' : 'points as payment';
    throw new WalletError(
      WalletErrorCode.PARTNER_NOT_ACCEPTING,
      `This partner no longer accepts ${what}.`,
      { operation },
    );
  }
}

/**
 * The member an operation is for, by id or by the card presented. An id is taken as given: the
 * wallet write locks the member's wallet row first thing, and an unknown id is NOT_FOUND there,
 * before anything is written (one round trip less on every POS request).
 */
export async function memberIdOf(
  dataSource: DataSource,
  ref: { memberId?: string | null; cardNumber?: string | null },
): Promise<string> {
  if (ref.memberId) return ref.memberId;
  const rows: { id: string }[] = await dataSource.query(
    'SELECT id FROM member WHERE card_number = $1',
    [ref.cardNumber],
  );
  const id = rows[0]?.id;
  if (!id) throw notFound('Member');
  return id;
}

/** A caller's idempotency keys are its own: a partner's (shared by its terminals) or a member's or an operator's. */
export function idempotencyScope(viewer: Viewer): string {
  switch (viewer.role) {
    case 'partner':
    case 'terminal':
      return `partner:${viewer.partnerId}`;
    case 'member':
      return `member:${viewer.memberId}`;
    default:
      return `${viewer.role}:${viewer.sub}`;
  }
}
