/**
 * The wallet's arithmetic, pure: balances from lots and holds, and which lots a burn, a clawback
 * or a repayment consumes (what a purchase earns is shared/src/earn-rules/evaluate-earn.ts).
 * Points are bigint end to end.
 */

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
export function expiringWithin(
  now: Date,
  lots: readonly LotState[],
  days: number,
): ExpiringPoints[] {
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
  return (
    a.expiresAt.getTime() - b.expiresAt.getTime() ||
    a.createdAt.getTime() - b.createdAt.getTime() ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

export interface LotTake {
  lotId: string;
  points: bigint;
}

/**
 * Takes `points` from the spendable lots, oldest expiry first. Returns undefined when they do not
 * hold enough; never takes from a pending or expired lot.
 */
export function takeFromLots(
  now: Date,
  lots: readonly LotState[],
  points: bigint,
): LotTake[] | undefined {
  if (points <= 0n) throw new RangeError('a burn takes a positive number of points');
  const spendable = lots
    .filter((lot) => lot.remaining > 0n && lot.availableAt <= now && lot.expiresAt > now)
    .sort(consumptionOrder);
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
 * cumulatively over the purchase's refunds, up to what expired from its lots together.
 */
export function excusedByExpiry(
  clawback: bigint,
  expiredFromOwnLots: bigint,
  excusedBefore: bigint,
): bigint {
  const left = expiredFromOwnLots - excusedBefore;
  if (left <= 0n) return 0n;
  return clawback < left ? clawback : left;
}

/**
 * Points a purchase refund claws back, rounded in the member's favour and exact in total: after
 * refunds of `refundedBefore + refundNow` out of `total`, the clawed-back points are
 * floor(points × refunded / total), so a full refund, in any number of parts, takes back exactly
 * the points earned.
 */
export function clawbackForRefund(
  points: bigint,
  total: bigint,
  refundedBefore: bigint,
  refundNow: bigint,
): bigint {
  if (total <= 0n || refundNow <= 0n || refundedBefore < 0n || refundedBefore + refundNow > total)
    throw new RangeError('a refund is positive and at most what is left of the purchase');
  return (points * (refundedBefore + refundNow)) / total - (points * refundedBefore) / total;
}

/**
 * The lots a clawback takes from: the refunded purchase's own lots first (even past their expiry,
 * if the expiry run has not emptied them yet: those are the purchase's own points, and taking them
 * back beats sending them to breakage), then other pending points, then available ones oldest
 * expiry first (pending first: points the member cannot spend yet go before points they could).
 * Other expired lots are left to the expiry run.
 *
 * Points that open holds reserve are never taken: from matured, unexpired lots (the purchase's own
 * included) it takes at most `matured - openHeld`, so a refund never drives the available balance
 * below zero (L3) and every open hold can still be captured. What the lots cannot cover, or may not
 * touch, is the shortfall, recorded as debt; a hold's release repays it (debtRepaidByRelease).
 */
export function takeForClawback(
  now: Date,
  lots: readonly LotState[],
  ownLotIds: readonly string[],
  points: bigint,
  openHeld: bigint,
): { takes: LotTake[]; shortfall: bigint } {
  if (points <= 0n || openHeld < 0n)
    throw new RangeError('a clawback takes a positive number of points, beside what holds reserve');
  const isOwn = new Set(ownLotIds);
  const isMatured = (lot: LotState) => lot.availableAt <= now && lot.expiresAt > now;
  const own = lots.filter((lot) => isOwn.has(lot.id) && lot.remaining > 0n).sort(consumptionOrder);
  const live = lots.filter(
    (lot) => !isOwn.has(lot.id) && lot.remaining > 0n && lot.expiresAt > now,
  );
  const pending = live.filter((lot) => lot.availableAt > now).sort(consumptionOrder);
  const available = live.filter(isMatured).sort(consumptionOrder);
  const matured = lots.filter(isMatured).reduce((total, lot) => total + lot.remaining, 0n);
  let maturedFree = matured > openHeld ? matured - openHeld : 0n;
  const takes: LotTake[] = [];
  let needed = points;
  for (const lot of [...own, ...pending, ...available]) {
    if (needed === 0n) break;
    const limit = isMatured(lot) ? maturedFree : lot.remaining;
    let take = lot.remaining < needed ? lot.remaining : needed;
    if (take > limit) take = limit;
    if (take === 0n) continue;
    if (isMatured(lot)) maturedFree -= take;
    takes.push({ lotId: lot.id, points: take });
    needed -= take;
  }
  return { takes, shortfall: needed };
}

/**
 * Of the points a hold released (voided, timed out, or the part a capture left), those that repay
 * the member's debt: at most the debt, at most the points released, and at most what is spendable
 * once they are released (never points another open hold reserves, nor points that expired under
 * the hold).
 */
export function debtRepaidByRelease(debt: bigint, released: bigint, available: bigint): bigint {
  if (debt < 0n || released < 0n) throw new RangeError('a debt and a release are never negative');
  let repaid = debt < released ? debt : released;
  if (available < repaid) repaid = available > 0n ? available : 0n;
  return repaid;
}

/** The lots after the takes: what a view projects when a repayment is due but not yet written. */
export function afterTakes<T extends LotState>(lots: readonly T[], takes: readonly LotTake[]): T[] {
  const taken = new Map<string, bigint>();
  for (const take of takes) taken.set(take.lotId, (taken.get(take.lotId) ?? 0n) + take.points);
  return lots.map((lot) => {
    const points = taken.get(lot.id);
    if (points === undefined) return lot;
    if (points > lot.remaining)
      throw new RangeError(`lot ${lot.id} holds fewer points than were taken`);
    return { ...lot, remaining: lot.remaining - points };
  });
}
