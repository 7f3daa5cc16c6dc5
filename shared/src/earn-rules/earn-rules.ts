/**
 * A partner's earn rules: what a purchase earns, and who funds each point. One version of these
 * rules is in force at any instant; the partner service validates and publishes them, the wallet
 * replicates them from the partner feed, and both evaluate them with the same pure function
 * (evaluate-earn.ts). Points and money are bigint; percentages and rates are small integers.
 */
import { z } from 'zod';
import { limits } from '../limits';

export const earnChannels = ['PHYSICAL', 'ONLINE'] as const;
export type EarnChannel = (typeof earnChannels)[number];

/** A time-boxed bonus on the rate points ("double points this weekend"), for some stores or channels. */
export interface Multiplier {
  /** Stable within a partner's rules; recorded on the transactions it applies to. */
  id: string;
  name: string;
  /** 200 doubles the rate points; 150 adds half. 101 to 1000. */
  percent: number;
  startsAt: Date;
  /** Exclusive. */
  endsAt: Date;
  /** Null: every store of the partner. */
  storeIds: string[] | null;
  /** Null: both channels. */
  channels: EarnChannel[] | null;
  /**
   * The operator's share of the bonus points, 0 to 100: above 0 this is a co-funded promotion and
   * the operator funds that share of the bonus (rounded down); the partner funds the rest.
   */
  operatorSharePercent: number;
}

/** Buy N, get a reward: every qualifying line earns a stamp; N stamps earn the reward points. */
export interface StampCard {
  id: string;
  name: string;
  /** Stamps that complete the card, 2 to 100. */
  stampsRequired: number;
  /** Points awarded each time the card completes; partner-funded, never capped. */
  rewardPoints: bigint;
  /** A line in one of these categories earns a stamp (categories compare case-insensitively). */
  categories: string[];
  /** A line earns a stamp only from this amount (minor units); 0: no minimum. */
  lineMinimumMinor: bigint;
}

/** The content of one version of a partner's earn rules. */
export interface EarnRules {
  /** Points per whole unit of the partner's currency, for lines without a category rate. 0 to 1000. */
  basePointsPerUnit: number;
  /** Rates that replace the base rate for a category's lines. */
  categoryRates: { category: string; pointsPerUnit: number }[];
  /** Categories that never earn and do not count toward the minimum purchase (gift cards, tobacco). */
  excludedCategories: string[];
  /** The eligible amount (minor units) a purchase must reach to earn anything; 0: no minimum. */
  minimumPurchaseMinor: bigint;
  /** Most rate-and-multiplier points one purchase earns; null: no cap. */
  capPerTransactionPoints: bigint | null;
  /** Most rate-and-multiplier points a member earns at this partner per day (the store's local day); null: no cap. */
  capPerMemberDayPoints: bigint | null;
  multipliers: Multiplier[];
  /** Points for a member's first purchase at this partner; partner-funded, never capped. 0: none. */
  firstPurchaseBonusPoints: bigint;
  stampCard: StampCard | null;
}

/** One version as published: version numbers increase per partner; a version runs until the next one starts. */
export interface EarnRuleVersion {
  partnerId: string;
  version: number;
  effectiveFrom: Date;
  rules: EarnRules;
}

/** The coalition's bonus for a member tier, funded by the operator: a percent of the capped rate points. */
export interface TierBonus {
  tier: string;
  /** 1 to 500: 25 adds a quarter. */
  bonusPercent: number;
}

/** The rules a partner gets at onboarding: its base rate and nothing else. */
export function baseRules(basePointsPerUnit: number): EarnRules {
  return {
    basePointsPerUnit,
    categoryRates: [],
    excludedCategories: [],
    minimumPurchaseMinor: 0n,
    capPerTransactionPoints: null,
    capPerMemberDayPoints: null,
    multipliers: [],
    firstPurchaseBonusPoints: 0n,
    stampCard: null,
  };
}

/** Categories are free text on a till's lines; rules match them case-insensitively. */
export const categoryKey = (category: string): string => category.trim().toUpperCase();

// ---- Validation: the one schema for rules on input (strings and numbers) and on the feed ----

const points = (field: string, min: bigint, max: bigint) =>
  z
    .union([
      z.bigint(),
      z.string().regex(/^-?\d+$/, `${field} must be a whole number`),
      z.number().int(),
    ])
    .transform((v) => BigInt(v))
    .refine((v) => v >= min && v <= max, `${field} must be from ${min} to ${max}`);

const date = z
  .union([z.date(), z.string().datetime({ offset: true })])
  .transform((v) => new Date(v));
const category = z
  .string()
  .trim()
  .min(1, 'category must not be empty')
  .max(100, 'category must be at most 100 characters');
const name = z.string().trim().min(1, 'name must not be empty').max(limits.nameLengthMax);
const ruleId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, - or _');
const rate = z
  .number()
  .int('must be a whole number')
  .min(0, 'must be from 0 to 1000')
  .max(limits.pointsPerCurrencyUnitMax, 'must be from 0 to 1000');

const multiplier = z
  .object({
    id: ruleId,
    name,
    percent: z
      .number()
      .int()
      .min(101, 'must be from 101 to 1000')
      .max(1000, 'must be from 101 to 1000'),
    startsAt: date,
    endsAt: date,
    storeIds: z
      .array(z.string().uuid('must be an id this API returned'))
      .min(1)
      .max(limits.storesPerPartnerMax)
      .nullish()
      .transform((v) => v ?? null),
    channels: z
      .array(z.enum(earnChannels))
      .min(1)
      .nullish()
      .transform((v) => v ?? null),
    operatorSharePercent: z
      .number()
      .int()
      .min(0, 'must be from 0 to 100')
      .max(100, 'must be from 0 to 100')
      .default(0),
  })
  .refine((m) => m.endsAt > m.startsAt, { message: 'must be after startsAt', path: ['endsAt'] });

const stampCard = z.object({
  id: ruleId,
  name,
  stampsRequired: z
    .number()
    .int()
    .min(2, 'must be from 2 to 100')
    .max(100, 'must be from 2 to 100'),
  rewardPoints: points('rewardPoints', 1n, 1_000_000n),
  categories: z.array(category).min(1, 'must name at least one category').max(50),
  lineMinimumMinor: points('lineMinimumMinor', 0n, limits.purchaseMinorUnitsMax).default(0n),
});

const distinct = <T>(values: T[], key: (v: T) => string) =>
  new Set(values.map(key)).size === values.length;

export const earnRulesSchema = z
  .object({
    basePointsPerUnit: rate,
    categoryRates: z
      .array(z.object({ category, pointsPerUnit: rate }))
      .max(100)
      .default([]),
    excludedCategories: z.array(category).max(100).default([]),
    minimumPurchaseMinor: points('minimumPurchaseMinor', 0n, limits.purchaseMinorUnitsMax).default(
      0n,
    ),
    capPerTransactionPoints: points('capPerTransactionPoints', 1n, limits.burnPointsMax)
      .nullish()
      .transform((v) => v ?? null),
    capPerMemberDayPoints: points('capPerMemberDayPoints', 1n, limits.burnPointsMax)
      .nullish()
      .transform((v) => v ?? null),
    multipliers: z.array(multiplier).max(50).default([]),
    firstPurchaseBonusPoints: points('firstPurchaseBonusPoints', 0n, 1_000_000n).default(0n),
    stampCard: stampCard.nullish().transform((v) => v ?? null),
  })
  .refine((r) => distinct(r.categoryRates, (c) => categoryKey(c.category)), {
    message: 'names a category twice',
    path: ['categoryRates'],
  })
  .refine(
    (r) =>
      !r.categoryRates.some((c) =>
        r.excludedCategories.some((x) => categoryKey(x) === categoryKey(c.category)),
      ),
    {
      message: 'names a category that is also excluded',
      path: ['categoryRates'],
    },
  )
  .refine((r) => distinct(r.multipliers, (m) => m.id), {
    message: 'use each id once',
    path: ['multipliers'],
  })
  .refine(
    (r) =>
      !r.stampCard ||
      r.stampCard.categories.length === 0 ||
      r.stampCard.categories.some(
        (c) => !r.excludedCategories.some((x) => categoryKey(x) === categoryKey(c)),
      ),
    {
      message: 'must name a category that is not excluded',
      path: ['stampCard', 'categories'],
    },
  ) satisfies z.ZodType<EarnRules, unknown>;

export const tierBonusSchema = z.object({
  tier: z
    .string()
    .trim()
    .regex(/^[A-Z][A-Z0-9_]{0,31}$/, 'must be an upper-case tier name such as GOLD'),
  bonusPercent: z.number().int().min(1, 'must be from 1 to 500').max(500, 'must be from 1 to 500'),
}) satisfies z.ZodType<TierBonus, unknown>;

/** Rules (and offers) as they travel on the feed and sit in the replica: JSON, integers as strings, dates ISO. */
export function rulesToJson(rules: object): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(rules, (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    ),
  ) as Record<string, unknown>;
}
