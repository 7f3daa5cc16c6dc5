/**
 * Offers a member activates before buying (activate-to-earn). The partner publishes them; the
 * wallet applies the member's activated, live ones at earn time through evaluateEarn.
 */
import { z } from 'zod';
import { limits } from '../limits';
import { categoryKey } from './earn-rules';

export const offerAudiences = ['EVERYONE', 'TIERS', 'MEMBERS'] as const;
export type OfferAudience = (typeof offerAudiences)[number];

/** An offer as evaluation needs it: its reward and conditions, and what is left of its limits. */
export interface OfferInEffect {
  id: string;
  /** Exactly one of the two: fixed points, or a percent of the purchase's capped rate points. */
  bonusPoints: bigint | null;
  bonusPercent: number | null;
  /** The qualifying spend (eligible lines, in the offer's categories if it names any) it needs. */
  minimumSpendMinor: bigint;
  /** Null: every eligible line qualifies. */
  categories: string[] | null;
  /** Points left in the offer's budget; null: no budget. */
  budgetLeftPoints: bigint | null;
}

export interface OfferAward {
  offerId: string;
  points: bigint;
}

/**
 * The bonus of each offer the purchase qualifies for, in id order, each limited to what is left
 * of its budget (an offer whose budget is spent gives nothing). Partner-funded and never capped.
 */
export function offerAwards(
  offers: readonly OfferInEffect[],
  lines: readonly { category: string; amountMinor: bigint }[],
  excluded: ReadonlySet<string>,
  cappedPoints: bigint,
): OfferAward[] {
  const awards: OfferAward[] = [];
  for (const offer of [...offers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const qualifying =
      offer.categories === null ? null : new Set(offer.categories.map(categoryKey));
    let spend = 0n;
    for (const line of lines) {
      const key = categoryKey(line.category);
      if (!excluded.has(key) && (qualifying === null || qualifying.has(key)))
        spend += line.amountMinor;
    }
    if (spend === 0n || spend < offer.minimumSpendMinor) continue;
    let points = offer.bonusPoints ?? (cappedPoints * BigInt(offer.bonusPercent ?? 0)) / 100n;
    if (offer.budgetLeftPoints !== null && offer.budgetLeftPoints < points)
      points = offer.budgetLeftPoints < 0n ? 0n : offer.budgetLeftPoints;
    if (points > 0n) awards.push({ offerId: offer.id, points });
  }
  return awards;
}

const date = z
  .union([z.date(), z.string().datetime({ offset: true })])
  .transform((v) => new Date(v));
const wholePoints = (field: string, min: bigint, max: bigint) =>
  z
    .union([
      z.bigint(),
      z.string().regex(/^-?\d+$/, `${field} must be a whole number`),
      z.number().int(),
    ])
    .transform((v) => BigInt(v))
    .refine((v) => v >= min && v <= max, `${field} must be from ${min} to ${max}`);

/** An offer as a partner defines it; validated by the partner service and again from the feed. */
export const offerSchema = z
  .object({
    name: z.string().trim().min(1, 'name must not be empty').max(limits.nameLengthMax),
    description: z.string().trim().max(2000).default(''),
    bonusPoints: wholePoints('bonusPoints', 1n, 1_000_000n)
      .nullish()
      .transform((v) => v ?? null),
    bonusPercent: z
      .number()
      .int()
      .min(1, 'must be from 1 to 1000')
      .max(1000, 'must be from 1 to 1000')
      .nullish()
      .transform((v) => v ?? null),
    minimumSpendMinor: wholePoints('minimumSpendMinor', 0n, limits.purchaseMinorUnitsMax).default(
      0n,
    ),
    categories: z
      .array(z.string().trim().min(1).max(100))
      .min(1)
      .max(50)
      .nullish()
      .transform((v) => v ?? null),
    audience: z.enum(offerAudiences).default('EVERYONE'),
    audienceTiers: z
      .array(
        z.string().regex(/^[A-Z][A-Z0-9_]{0,31}$/, 'must be upper-case tier names such as GOLD'),
      )
      .max(10)
      .default([]),
    audienceMemberIds: z
      .array(
        z
          .string()
          .uuid('must be ids this API returned')
          .transform((id) => id.toLowerCase()),
      )
      .max(
        limits.offerAudienceMembersMax,
        `must name at most ${limits.offerAudienceMembersMax} members`,
      )
      .transform((ids) => [...new Set(ids)])
      .default([]),
    startsAt: date,
    endsAt: date,
    budgetPoints: wholePoints('budgetPoints', 1n, 1_000_000_000n)
      .nullish()
      .transform((v) => v ?? null),
    perMemberLimit: z
      .number()
      .int()
      .min(1, 'must be from 1 to 1000')
      .max(1000, 'must be from 1 to 1000')
      .default(1),
  })
  .refine((o) => (o.bonusPoints === null) !== (o.bonusPercent === null), {
    message: 'give exactly one of bonusPoints and bonusPercent',
    path: ['bonusPoints'],
  })
  .refine((o) => o.endsAt > o.startsAt, { message: 'must be after startsAt', path: ['endsAt'] })
  .refine(
    (o) => o.endsAt.getTime() - o.startsAt.getTime() <= limits.offerLengthDaysMax * 86_400_000,
    {
      message: `must be at most ${limits.offerLengthDaysMax} days after startsAt`,
      path: ['endsAt'],
    },
  )
  .refine((o) => o.audience === 'TIERS' || o.audienceTiers.length === 0, {
    message: 'are only for a TIERS audience',
    path: ['audienceTiers'],
  })
  .refine((o) => o.audience === 'MEMBERS' || o.audienceMemberIds.length === 0, {
    message: 'are only for a MEMBERS audience',
    path: ['audienceMemberIds'],
  })
  .refine((o) => o.audience !== 'TIERS' || o.audienceTiers.length > 0, {
    message: 'must name at least one tier for a TIERS audience',
    path: ['audienceTiers'],
  })
  .refine((o) => o.audience !== 'MEMBERS' || o.audienceMemberIds.length > 0, {
    message: 'must name at least one member for a MEMBERS audience',
    path: ['audienceMemberIds'],
  });

export type Offer = z.infer<typeof offerSchema>;
