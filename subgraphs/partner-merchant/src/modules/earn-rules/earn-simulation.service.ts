import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { tierBonusSchema } from '@coalition/shared/earn-rules/earn-rules';
import { evaluateEarn, type EarnEvaluation } from '@coalition/shared/earn-rules/evaluate-earn';
import { assert, badInput, notFound } from '@coalition/shared/errors';
import { limits } from '@coalition/shared/limits';
import { currencyCode, parseInput, text, uuid } from '@coalition/shared/validation';
import { Partner } from '../partners/partner.entity';
import { Store } from '../partners/store.entity';
import type { TierBonusesService } from '../programme/tier-bonuses.service';
import { versionInForce, type EarnRuleVersionRecord } from './earn-rule-versions.repository';

const DAY_MS = 86_400_000;

const positive = (field: string, max: bigint) =>
  z
    .bigint()
    .refine((v) => v > 0n, `${field} must be positive`)
    .refine((v) => v <= max, `${field} must be at most ${max}`);

/** The basket as the wallet's earnPoints takes it, and what the wallet would know about the member. */
const simulateInput = z
  .object({
    storeId: uuid,
    occurredAt: z.date().nullish(),
    total: positive('total', limits.purchaseMinorUnitsMax),
    currency: currencyCode,
    lines: z
      .array(
        z.object({
          sku: text('sku', 100),
          category: text('category', 100),
          amount: positive('amount', limits.purchaseMinorUnitsMax),
        }),
      )
      .min(1, 'must have at least one line')
      .max(limits.purchaseLinesMax),
    at: z.date().nullish(),
    member: z
      .object({
        tier: tierBonusSchema.shape.tier.nullish(),
        firstPurchaseAtPartner: z.boolean().default(false),
        pointsEarnedToday: z
          .bigint()
          .min(0n, 'must not be negative')
          .max(limits.burnPointsMax)
          .nullish(),
        stamps: z.number().int().min(0, 'must not be negative').max(1000).default(0),
      })
      .nullish(),
  })
  .refine((v) => v.lines.reduce((sum, line) => sum + line.amount, 0n) === v.total, {
    message: 'must add up to the total',
    path: ['lines'],
  });
export type SimulateEarnInput = z.input<typeof simulateInput>;

export interface EarnSimulation extends EarnEvaluation {
  /** The version the purchase was evaluated under. */
  ruleVersion: EarnRuleVersionRecord;
}

/**
 * What a purchase would earn, evaluated exactly as the wallet evaluates it (the same pure
 * evaluateEarn, the same input checks) but against this service's own rules and nothing written:
 * a partner tries a rules version, scheduled ones included, before its customers meet it.
 */
export class EarnSimulationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tierBonuses: TierBonusesService,
  ) {}

  async simulate(partnerId: string, raw: SimulateEarnInput): Promise<EarnSimulation> {
    const input = parseInput(simulateInput, raw);
    const now = new Date();
    const occurredAt = input.occurredAt ?? now;
    const aheadMax = now.getTime() + limits.earnRulesAheadDaysMax * DAY_MS;
    if (occurredAt.getTime() < now.getTime() - limits.purchaseAgeDaysMax * DAY_MS) {
      throw badInput(
        `occurredAt must be within the last ${limits.purchaseAgeDaysMax} days: older purchases no longer earn.`,
        'occurredAt',
      );
    }
    if (occurredAt.getTime() > aheadMax)
      throw badInput(
        `occurredAt must be at most ${limits.earnRulesAheadDaysMax} days ahead.`,
        'occurredAt',
      );
    if (input.at && input.at.getTime() > aheadMax)
      throw badInput(`at must be at most ${limits.earnRulesAheadDaysMax} days ahead.`, 'at');
    const [partner, store] = await Promise.all([
      this.dataSource.getRepository(Partner).findOneBy({ id: partnerId }),
      this.dataSource.getRepository(Store).findOneBy({ id: input.storeId, partnerId }),
    ]);
    if (!partner) throw notFound('Partner');
    if (!store) throw badInput("storeId is not one of this partner's stores.", 'storeId');
    const currency = partner.settlementCurrency.trim();
    if (input.currency !== currency)
      throw badInput(`This partner takes purchases in ${currency}.`, 'currency');
    const ruleVersion = await versionInForce(this.dataSource, partnerId, input.at ?? occurredAt);
    assert(ruleVersion, `partner ${partnerId} has had earn rules since onboarding`);
    const member = input.member ?? {
      tier: null,
      firstPurchaseAtPartner: false,
      pointsEarnedToday: 0n,
      stamps: 0,
    };
    const evaluation = evaluateEarn({
      rules: ruleVersion.rules,
      currency,
      basket: {
        currency: input.currency,
        totalMinor: input.total,
        occurredAt,
        storeId: store.id,
        channel: store.kind,
        lines: input.lines.map((line) => ({
          sku: line.sku,
          category: line.category,
          amountMinor: line.amount,
        })),
      },
      member: {
        tier: member.tier ?? null,
        firstPurchaseAtPartner: member.firstPurchaseAtPartner,
        cappedPointsToday: member.pointsEarnedToday ?? 0n,
        stamps: member.stamps,
      },
      tierBonuses: member.tier ? await this.tierBonuses.list() : [],
    });
    return { ...evaluation, ruleVersion };
  }
}
