/**
 * The wallet's arithmetic, pure: points for a purchase, balances from lots and holds, and which
 * lots a burn consumes. Points and money are bigint end to end.
 */

const exponentCache = new Map<string, number>();

/** Digits after the decimal point of a currency's minor unit (EUR 2, JPY 0, BHD 3). */
export function minorUnitExponent(currency: string): number {
  let exponent = exponentCache.get(currency);
  if (exponent === undefined) {
    exponent = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    exponentCache.set(currency, exponent);
  }
  return exponent;
}

/** Points for a purchase: whole currency units times the partner's rate, rounded down (never up). */
export function pointsForPurchase(totalMinor: bigint, currency: string, pointsPerCurrencyUnit: number): bigint {
  if (totalMinor < 0n) throw new RangeError('a purchase total is never negative');
  return (totalMinor * BigInt(pointsPerCurrencyUnit)) / 10n ** BigInt(minorUnitExponent(currency));
}

export interface LotState {
  id: string;
  remaining: bigint;
  availableAt: Date;
  expiresAt: Date;
  createdAt: Date;
}

export interface Balances {
  /** Spendable now: matured, unexpired lots less what open holds reserve. */
  available: bigint;
  /** Earned but inside the partner's return window. */
  pending: bigint;
  /** Reserved by open holds. */
  held: bigint;
}

export function balancesAt(now: Date, lots: readonly LotState[], openHeld: bigint): Balances {
  let matured = 0n;
  let pending = 0n;
  for (const lot of lots) {
    if (lot.expiresAt <= now) continue;
    if (lot.availableAt <= now) matured += lot.remaining;
    else pending += lot.remaining;
  }
  return { available: matured - openHeld, pending, held: openHeld };
}

export interface ExpiringPoints {
  /** The UTC day the points expire on, YYYY-MM-DD. */
  date: string;
  /** The first instant on that day a lot expires. */
  firstExpiresAt: Date;
  points: bigint;
}

/**
 * Points in live lots that expire after `now` and within `days`, by UTC day, soonest first (they
 * may include points an open hold reserves: holds reserve points, not lots).
 */
export function expiringWithin(now: Date, lots: readonly LotState[], days: number): ExpiringPoints[] {
  const horizon = now.getTime() + days * 86_400_000;
  const byDay = new Map<string, ExpiringPoints>();
  for (const lot of lots) {
    const at = lot.expiresAt.getTime();
    if (lot.remaining <= 0n || at <= now.getTime() || at > horizon) continue;
    const date = lot.expiresAt.toISOString().slice(0, 10);
    const day = byDay.get(date);
    if (!day) byDay.set(date, { date, firstExpiresAt: lot.expiresAt, points: lot.remaining });
    else {
      day.points += lot.remaining;
      if (lot.expiresAt < day.firstExpiresAt) day.firstExpiresAt = lot.expiresAt;
    }
  }
  return [...byDay.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
}

/** Oldest expiry first, then oldest earned, then id: the order burns, expiry and clawbacks consume lots in. */
export function consumptionOrder(a: LotState, b: LotState): number {
  return a.expiresAt.getTime() - b.expiresAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export interface LotTake {
  lotId: string;
  points: bigint;
}

/**
 * Takes `points` from the spendable lots, oldest expiry first. Returns undefined when they do not
 * hold enough; never takes from a pending or expired lot.
 */
export function takeFromLots(now: Date, lots: readonly LotState[], points: bigint): LotTake[] | undefined {
  if (points <= 0n) throw new RangeError('a burn takes a positive number of points');
  const spendable = lots.filter((lot) => lot.remaining > 0n && lot.availableAt <= now && lot.expiresAt > now).sort(consumptionOrder);
  const takes: LotTake[] = [];
  let needed = points;
  for (const lot of spendable) {
    if (needed === 0n) break;
    const take = lot.remaining < needed ? lot.remaining : needed;
    takes.push({ lotId: lot.id, points: take });
    needed -= take;
  }
  return needed === 0n ? takes : undefined;
}

/**
 * Of a refund's clawback, the points not taken again because the purchase's own points already
 * expired (the expiry run sent them to breakage): the member lost those once, not twice. Counted
 * cumulatively over the purchase's refunds, up to what expired from its lot.
 */
export function excusedByExpiry(clawback: bigint, expiredFromOwnLot: bigint, excusedBefore: bigint): bigint {
  const left = expiredFromOwnLot - excusedBefore;
  if (left <= 0n) return 0n;
  return clawback < left ? clawback : left;
}

/**
 * Points a purchase refund claws back, rounded in the member's favour and exact in total: after
 * refunds of `refundedBefore + refundNow` out of `total`, the clawed-back points are
 * floor(points × refunded / total), so a full refund, in any number of parts, takes back exactly
 * the points earned.
 */
export function clawbackForRefund(points: bigint, total: bigint, refundedBefore: bigint, refundNow: bigint): bigint {
  if (total <= 0n || refundNow <= 0n || refundedBefore < 0n || refundedBefore + refundNow > total) throw new RangeError('a refund is positive and at most what is left of the purchase');
  return (points * (refundedBefore + refundNow)) / total - (points * refundedBefore) / total;
}

/**
 * The lots a clawback takes from: the refunded purchase's own lot first (even past its expiry, if
 * the expiry run has not emptied it yet: those are the purchase's own points, and taking them
 * back beats sending them to breakage), then other pending points, then available ones oldest
 * expiry first (pending first: points the member cannot spend yet go before points they could).
 * Other expired lots are left to the expiry run. What the lots cannot cover is the shortfall,
 * recorded as debt.
 */
export function takeForClawback(now: Date, lots: readonly LotState[], ownLotId: string | null, points: bigint): { takes: LotTake[]; shortfall: bigint } {
  const own = lots.filter((lot) => lot.id === ownLotId && lot.remaining > 0n);
  const live = lots.filter((lot) => lot.remaining > 0n && lot.expiresAt > now);
  const pending = live.filter((lot) => lot.id !== ownLotId && lot.availableAt > now).sort(consumptionOrder);
  const available = live.filter((lot) => lot.id !== ownLotId && lot.availableAt <= now).sort(consumptionOrder);
  const takes: LotTake[] = [];
  let needed = points;
  for (const lot of [...own, ...pending, ...available]) {
    if (needed === 0n) break;
    const take = lot.remaining < needed ? lot.remaining : needed;
    takes.push({ lotId: lot.id, points: take });
    needed -= take;
  }
  return { takes, shortfall: needed };
}
