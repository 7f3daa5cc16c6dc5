/**
 * What a purchase earns under a partner's rules: the one pure function both the wallet (at earn
 * time) and the partner service (simulateEarn) use. No I/O, no clock: everything it depends on is
 * an argument, so a transaction's points can be recomputed from what the transaction recorded.
 *
 * The order, and the rounding (always down, never in the member's favour by accident):
 * 1. Lines in excluded categories are ignored. Every other line earns its category's rate, or the
 *    base rate, per whole currency unit; the sum over lines is rounded down once (rate points).
 * 2. Below the minimum purchase (eligible amount), or with nothing eligible at all, nothing is
 *    earned: no bonus, no offer, no stamp.
 * 3. The best active multiplier (highest percent; then lowest operator share; then id) adds
 *    floor(rate points × (percent − 100) / 100). Multipliers never stack.
 * 4. The caps (per transaction, and per member per day at this partner) limit rate points plus
 *    multiplier bonus; the bonus is trimmed first, then category points, then base points.
 * 5. Fixed bonuses on top, never capped: the first purchase at this partner, completed stamp
 *    cards, and the member's activated offers (offers.ts), each within its budget (partner-funded).
 * 6. The member's tier bonus: floor(capped points × bonusPercent / 100), funded by the operator.
 *
 * Funding: a co-funded multiplier's operator share is floor(bonus × share / 100); the partner funds
 * every other point.
 */
import { minorUnitsPerUnit } from '../currency';
import { offerAwards, type OfferInEffect } from './offers';
import {
  categoryKey,
  type EarnChannel,
  type EarnRuleVersion,
  type EarnRules,
  type Multiplier,
  type TierBonus,
} from './earn-rules';

export interface BasketLine {
  sku: string;
  category: string;
  amountMinor: bigint;
}

export interface Basket {
  currency: string;
  totalMinor: bigint;
  occurredAt: Date;
  storeId: string;
  channel: EarnChannel;
  lines: BasketLine[];
}

/** What the wallet knows about the member at earn time, at this partner. */
export interface MemberEarnState {
  tier: string | null;
  firstPurchaseAtPartner: boolean;
  /** Rate and multiplier points already earned at this partner today (the store's local day). */
  cappedPointsToday: bigint;
  /** Stamps on the partner's stamp card before this purchase. */
  stamps: number;
}

export interface EarnInputs {
  rules: EarnRules;
  /** The partner's currency; the basket must be in it. */
  currency: string;
  basket: Basket;
  member: MemberEarnState;
  tierBonuses: readonly TierBonus[];
  /** The member's activated offers at this partner, live at the purchase, with what is left of their limits. */
  offers?: readonly OfferInEffect[];
}

export type EarnComponentKind =
  'BASE' | 'CATEGORY' | 'MULTIPLIER' | 'FIRST_PURCHASE' | 'STAMP_CARD' | 'OFFER' | 'TIER';

export interface EarnComponent {
  kind: EarnComponentKind;
  /** The multiplier's, stamp card's or offer's id, or the tier's name; null for rates and the first-purchase bonus. */
  ruleId: string | null;
  points: bigint;
  partnerPoints: bigint;
  operatorPoints: bigint;
}

export interface StampProgress {
  cardId: string;
  before: number;
  after: number;
  /** Cards completed by this purchase. */
  completed: number;
}

export interface EarnEvaluation {
  points: bigint;
  partnerPoints: bigint;
  operatorPoints: bigint;
  /** Non-zero parts only, in the order above. */
  components: EarnComponent[];
  /** The amount that earns: the total less excluded lines. */
  eligibleMinor: bigint;
  /** Rate and multiplier points after the caps: what counts toward the daily cap. */
  cappedPoints: bigint;
  capApplied: 'TRANSACTION' | 'MEMBER_DAY' | null;
  belowMinimum: boolean;
  stamps: StampProgress | null;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);

export function evaluateEarn(inputs: EarnInputs): EarnEvaluation {
  const { rules, basket, member } = inputs;
  if (basket.currency !== inputs.currency)
    throw new RangeError(
      `a basket in ${basket.currency} cannot earn under rules in ${inputs.currency}`,
    );
  const rates = ratePoints(rules, basket, minorUnitsPerUnit(inputs.currency));
  if (rates.eligibleMinor === 0n || rates.eligibleMinor < rules.minimumPurchaseMinor) {
    const stamps = rules.stampCard
      ? { cardId: rules.stampCard.id, before: member.stamps, after: member.stamps, completed: 0 }
      : null;
    return {
      ...totals([]),
      eligibleMinor: rates.eligibleMinor,
      cappedPoints: 0n,
      capApplied: null,
      belowMinimum: true,
      stamps,
    };
  }
  const multiplier = bestMultiplier(rules.multipliers, basket);
  const bonus = multiplier
    ? ((rates.base + rates.category) * BigInt(multiplier.percent - 100)) / 100n
    : 0n;
  const capped = applyCaps(rules, member, { base: rates.base, category: rates.category, bonus });
  const cappedPoints = capped.base + capped.category + capped.bonus;
  const components: EarnComponent[] = [
    partnerFunded('BASE', null, capped.base),
    partnerFunded('CATEGORY', null, capped.category),
    multiplier ? multiplierComponent(multiplier, capped.bonus) : undefined,
    member.firstPurchaseAtPartner
      ? partnerFunded('FIRST_PURCHASE', null, rules.firstPurchaseBonusPoints)
      : undefined,
  ].filter(isPresent);
  const stamps = stampProgress(rules, basket, member.stamps);
  if (stamps && rules.stampCard)
    components.push(
      partnerFunded(
        'STAMP_CARD',
        rules.stampCard.id,
        rules.stampCard.rewardPoints * BigInt(stamps.completed),
      ),
    );
  const excluded = new Set(rules.excludedCategories.map(categoryKey));
  for (const award of offerAwards(inputs.offers ?? [], basket.lines, excluded, cappedPoints))
    components.push(partnerFunded('OFFER', award.offerId, award.points));
  const tier =
    member.tier === null ? undefined : inputs.tierBonuses.find((t) => t.tier === member.tier);
  if (tier) {
    const points = (cappedPoints * BigInt(tier.bonusPercent)) / 100n;
    components.push({
      kind: 'TIER',
      ruleId: tier.tier,
      points,
      partnerPoints: 0n,
      operatorPoints: points,
    });
  }
  return {
    ...totals(components.filter((c) => c.points > 0n)),
    eligibleMinor: rates.eligibleMinor,
    cappedPoints,
    capApplied: capped.capApplied,
    belowMinimum: false,
    stamps,
  };
}

/** The version in force at an instant: the latest that started at or before it. */
export function versionAt<V extends Pick<EarnRuleVersion, 'effectiveFrom'>>(
  versions: readonly V[],
  at: Date,
): V | undefined {
  let found: V | undefined;
  for (const version of versions) {
    if (version.effectiveFrom <= at && (!found || version.effectiveFrom > found.effectiveFrom))
      found = version;
  }
  return found;
}

function ratePoints(rules: EarnRules, basket: Basket, unit: bigint) {
  const excluded = new Set(rules.excludedCategories.map(categoryKey));
  const categoryRate = new Map(
    rules.categoryRates.map((c) => [categoryKey(c.category), BigInt(c.pointsPerUnit)]),
  );
  let eligibleMinor = 0n;
  let baseWeighted = 0n;
  let categoryWeighted = 0n;
  for (const line of basket.lines) {
    const key = categoryKey(line.category);
    if (excluded.has(key)) continue;
    eligibleMinor += line.amountMinor;
    const rate = categoryRate.get(key);
    if (rate === undefined) baseWeighted += line.amountMinor * BigInt(rules.basePointsPerUnit);
    else categoryWeighted += line.amountMinor * rate;
  }
  // Rounded once over the whole basket; the base part is rounded down on its own and the category
  // part is the rest, so the two always add up to the basket's rate points.
  const total = (baseWeighted + categoryWeighted) / unit;
  const base = baseWeighted / unit;
  return { eligibleMinor, base, category: total - base };
}

function isActive(multiplier: Multiplier, basket: Basket): boolean {
  return (
    multiplier.startsAt <= basket.occurredAt &&
    basket.occurredAt < multiplier.endsAt &&
    (multiplier.storeIds === null || multiplier.storeIds.includes(basket.storeId)) &&
    (multiplier.channels === null || multiplier.channels.includes(basket.channel))
  );
}

function bestMultiplier(
  multipliers: readonly Multiplier[],
  basket: Basket,
): Multiplier | undefined {
  let best: Multiplier | undefined;
  for (const m of multipliers) {
    if (!isActive(m, basket)) continue;
    const better =
      !best ||
      m.percent > best.percent ||
      (m.percent === best.percent &&
        (m.operatorSharePercent < best.operatorSharePercent ||
          (m.operatorSharePercent === best.operatorSharePercent && m.id < best.id)));
    if (better) best = m;
  }
  return best;
}

interface CappablePoints {
  base: bigint;
  category: bigint;
  bonus: bigint;
}

function applyCaps(
  rules: EarnRules,
  member: MemberEarnState,
  points: CappablePoints,
): CappablePoints & { capApplied: EarnEvaluation['capApplied'] } {
  const total = points.base + points.category + points.bonus;
  const dayLeft =
    rules.capPerMemberDayPoints === null
      ? null
      : rules.capPerMemberDayPoints - member.cappedPointsToday;
  const perTransaction = rules.capPerTransactionPoints;
  let limit = total;
  let capApplied: EarnEvaluation['capApplied'] = null;
  if (perTransaction !== null && perTransaction < limit)
    [limit, capApplied] = [perTransaction, 'TRANSACTION'];
  if (dayLeft !== null && (dayLeft < 0n ? 0n : dayLeft) < limit)
    [limit, capApplied] = [dayLeft < 0n ? 0n : dayLeft, 'MEMBER_DAY'];
  let excess = total - limit;
  const bonusCut = min(points.bonus, excess);
  excess -= bonusCut;
  const categoryCut = min(points.category, excess);
  excess -= categoryCut;
  return {
    base: points.base - excess,
    category: points.category - categoryCut,
    bonus: points.bonus - bonusCut,
    capApplied,
  };
}

function multiplierComponent(multiplier: Multiplier, bonus: bigint): EarnComponent {
  const operatorPoints = (bonus * BigInt(multiplier.operatorSharePercent)) / 100n;
  return {
    kind: 'MULTIPLIER',
    ruleId: multiplier.id,
    points: bonus,
    partnerPoints: bonus - operatorPoints,
    operatorPoints,
  };
}

function stampProgress(rules: EarnRules, basket: Basket, before: number): StampProgress | null {
  const card = rules.stampCard;
  if (!card) return null;
  const excluded = new Set(rules.excludedCategories.map(categoryKey));
  const stamping = new Set(card.categories.map(categoryKey));
  const earned = basket.lines.filter((line) => {
    const key = categoryKey(line.category);
    return stamping.has(key) && !excluded.has(key) && line.amountMinor >= card.lineMinimumMinor;
  }).length;
  const stamps = before + earned;
  const completed = Math.floor(stamps / card.stampsRequired);
  return { cardId: card.id, before, after: stamps - completed * card.stampsRequired, completed };
}

const partnerFunded = (
  kind: EarnComponentKind,
  ruleId: string | null,
  points: bigint,
): EarnComponent => ({ kind, ruleId, points, partnerPoints: points, operatorPoints: 0n });

const isPresent = <T>(value: T | undefined): value is T => value !== undefined;

function totals(
  components: EarnComponent[],
): Pick<EarnEvaluation, 'points' | 'partnerPoints' | 'operatorPoints' | 'components'> {
  let points = 0n;
  let partnerPoints = 0n;
  let operatorPoints = 0n;
  for (const c of components) {
    points += c.points;
    partnerPoints += c.partnerPoints;
    operatorPoints += c.operatorPoints;
  }
  return { points, partnerPoints, operatorPoints, components };
}
