import { z } from 'zod';
import { tierBonusSchema } from '@coalition/shared/earn-rules/earn-rules';
import { limits } from '@coalition/shared/limits';
import { currencyCode, text, timeZone } from '@coalition/shared/validation';

export const tierMetrics = ['QUALIFYING_POINTS', 'SPEND', 'DISTINCT_PARTNERS'] as const;
export type TierMetric = (typeof tierMetrics)[number];
export const tierPeriods = ['CALENDAR_YEAR', 'ROLLING_12_MONTHS'] as const;
export type TierPeriod = (typeof tierPeriods)[number];

/** One rung: the member holds it once the period's metric reaches its threshold. */
export interface TierDefinition {
  code: string;
  name: string;
  threshold: bigint;
}

/** A ladder version as it is stored: its tiers lowest first (rank 1 is the first). */
export interface TierLadder {
  version: number;
  effectiveFrom: Date;
  metric: TierMetric;
  period: TierPeriod;
  timeZone: string;
  /** The coalition currency: only purchases in it count as spend. */
  currency: string;
  graceDays: number;
  tiers: TierDefinition[];
  createdAt: Date;
  createdBy: string;
}

/** The tier codes members hold are the ones the coalition's tier bonuses and tier offers key on. */
export const tierCode = tierBonusSchema.shape.tier;

const threshold = z
  .string()
  .regex(/^\d{1,19}$/, 'must be a whole number, as a string')
  .transform((s) => BigInt(s))
  .refine((v) => v <= limits.tierThresholdMax, `must be at most ${limits.tierThresholdMax}`);

export const tierLadderInput = z
  .object({
    effectiveFrom: z.date().nullish(),
    metric: z.enum(tierMetrics),
    period: z.enum(tierPeriods),
    timeZone: timeZone.nullish().transform((zone) => zone ?? 'UTC'),
    currency: currencyCode,
    graceDays: z.number().int().min(0).max(limits.tierGraceDaysMax),
    tiers: z
      .array(z.object({ code: tierCode, name: text('name'), threshold }))
      .min(1, 'must have at least one tier')
      .max(limits.tiersPerLadderMax, `must have at most ${limits.tiersPerLadderMax} tiers`),
  })
  .superRefine((ladder, ctx) => {
    ladder.tiers.forEach((tier, i) => {
      const before = ladder.tiers[i - 1];
      if (before && tier.threshold <= before.threshold)
        ctx.addIssue({
          code: 'custom',
          message: `must be greater than the tier below's (${before.threshold}): thresholds strictly increase up the ladder`,
          path: ['tiers', i, 'threshold'],
        });
      if (ladder.tiers.findIndex((t) => t.code === tier.code) !== i)
        ctx.addIssue({
          code: 'custom',
          message: 'names a tier code twice',
          path: ['tiers', i, 'code'],
        });
    });
  });
export type TierLadderInput = z.input<typeof tierLadderInput>;

/** The stored tiers column: thresholds as strings. */
export const storedTiers = z.array(
  z.object({ code: z.string(), name: z.string(), threshold: z.string().transform(BigInt) }),
);

export const tiersToJson = (tiers: readonly TierDefinition[]) =>
  tiers.map((t) => ({ code: t.code, name: t.name, threshold: t.threshold.toString() }));

/** 1 for the lowest tier; 0 for no tier, or one this ladder does not have (a code of an older version). */
export function rankOf(tiers: readonly TierDefinition[], code: string | null): number {
  return code === null ? 0 : tiers.findIndex((t) => t.code === code) + 1;
}

/** The highest tier a metric value reaches; null below the first threshold. */
export function tierReached(
  tiers: readonly TierDefinition[],
  value: bigint,
): TierDefinition | null {
  let reached: TierDefinition | null = null;
  for (const tier of tiers) if (value >= tier.threshold) reached = tier;
  return reached;
}

/** Of two tiers, the one ranking higher on the ladder (the first on a tie). */
export function higherTier(
  tiers: readonly TierDefinition[],
  a: string | null,
  b: string | null,
): string | null {
  return rankOf(tiers, b) > rankOf(tiers, a) ? b : a;
}

export interface PeriodMetrics {
  points: bigint;
  spend: bigint;
  partners: bigint;
}

export function metricValue(metric: TierMetric, m: PeriodMetrics): bigint {
  switch (metric) {
    case 'QUALIFYING_POINTS':
      return m.points;
    case 'SPEND':
      return m.spend;
    case 'DISTINCT_PARTNERS':
      return m.partners;
  }
}

/**
 * The tier a member keeps at a review: the tier they reach with the better of the ended period and
 * the period so far, but never more than one step below the tier they held (a downgrade is one
 * tier at a time). A tier the ladder no longer has counts as rank 0: the member gets what they reach.
 */
export function tierAfterReview(
  tiers: readonly TierDefinition[],
  held: string | null,
  reachedValue: bigint,
): string | null {
  const reachedRank = rankOf(tiers, tierReached(tiers, reachedValue)?.code ?? null);
  const heldRank = rankOf(tiers, held);
  const rank = heldRank === 0 ? reachedRank : Math.max(reachedRank, heldRank - 1);
  return tiers[rank - 1]?.code ?? null;
}
