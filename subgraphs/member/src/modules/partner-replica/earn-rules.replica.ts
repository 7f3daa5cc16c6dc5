import type { EntityManager } from 'typeorm';
import { preparedQuery } from '@coalition/shared/db/sql';
import { assert } from '@coalition/shared/errors';
import {
  earnRulesSchema,
  type EarnRules,
  type TierBonus,
} from '@coalition/shared/earn-rules/earn-rules';
import type { MemberEarnState } from '@coalition/shared/earn-rules/evaluate-earn';
import { offerSchema, type OfferInEffect } from '@coalition/shared/earn-rules/offers';
import { limits } from '@coalition/shared/limits';
import { parseTierEarnState, type TierEarnState } from '../tiers/tier-earn';

/** An activated offer as earn needs it: its terms, and its budget (what is left is read under lock, if it pays). */
export interface ActivatedOffer extends OfferInEffect {
  budgetPoints: bigint | null;
}

/** Everything an earn evaluates, as the wallet's replica and the member's rows stand. */
export interface EarnContext {
  /** The partner already recorded an earn for this receipt (a second one is DUPLICATE_RECEIPT). */
  receiptTaken: boolean;
  version: number;
  rules: EarnRules;
  member: MemberEarnState;
  tierBonuses: TierBonus[];
  offers: ActivatedOffer[];
  /** The tier ladder in force and the member's counters this period; null without a ladder. */
  tiers: TierEarnState | null;
}

interface ContextRow {
  receipt_taken: boolean;
  version: number;
  rules: unknown;
  tier: string | null;
  bonus_percent: number | null;
  earned_before: boolean | null;
  capped_today: string | null;
  stamps: number | null;
  offers: { id: string; content: unknown; budgetPoints: string | null }[];
  tiers: unknown;
}

/**
 * The earn's context in one statement (it runs on every purchase: one round trip, planned once per
 * connection as a prepared statement):
 * - whether the partner's receipt already earned;
 * - the partner's rules version in force when the purchase happened; a purchase from before the
 *   partner's first version (a till's clock, a backdated receipt) earns under the first;
 * - the member's tier and its coalition bonus;
 * - only where these rules use them: whether the member earned at this partner before, the capped
 *   points earned there since the start of the store's local day, the stamps on its card;
 * - the member's activated offers at the partner that apply: live at the purchase, activated before
 *   it (by the wallet's clock, which a till's may trail by limits.clockSkewMs), with uses left;
 * - the tier ladder in force at ledger time and the member's tier counters this period
 *   (tier_earn_state: a sum over the member's month buckets, never the ledger).
 */
const CONTEXT_SQL = `
  WITH r AS (
    (SELECT version, rules FROM earn_rules_replica WHERE partner_id = $2 AND NOT withdrawn AND effective_from <= $3 ORDER BY effective_from DESC LIMIT 1)
    UNION ALL
    (SELECT version, rules FROM earn_rules_replica WHERE partner_id = $2 AND NOT withdrawn ORDER BY effective_from LIMIT 1)
    LIMIT 1)
  SELECT EXISTS (SELECT 1 FROM ledger_transaction t WHERE t.partner_id = $2 AND t.receipt_id = $7 AND t.kind = 'EARN') AS receipt_taken,
         r.version, r.rules, m.tier, b.bonus_percent,
         CASE WHEN coalesce(r.rules ->> 'firstPurchaseBonusPoints', '0') <> '0'
              THEN EXISTS (SELECT 1 FROM ledger_transaction t WHERE t.member_id = m.id AND t.partner_id = $2 AND t.kind = 'EARN') END AS earned_before,
         CASE WHEN r.rules ->> 'capPerMemberDayPoints' IS NOT NULL
              THEN (SELECT coalesce(sum(coalesce((t.details -> 'earn' ->> 'cappedPoints')::bigint, t.points)), 0)
                      FROM ledger_transaction t
                     WHERE t.member_id = m.id AND t.partner_id = $2 AND t.kind = 'EARN'
                       AND t.created_at >= (date_trunc('day', $4::timestamptz AT TIME ZONE $5) AT TIME ZONE $5)) END AS capped_today,
         (SELECT s.stamps FROM stamp_card_state s WHERE s.member_id = m.id AND s.partner_id = $2 AND s.card_id = r.rules -> 'stampCard' ->> 'id') AS stamps,
         (SELECT coalesce(jsonb_agg(jsonb_build_object('id', o.id, 'content', o.content, 'budgetPoints', o.budget_points::text) ORDER BY o.id), '[]')
            FROM offer_activation a JOIN offer_replica o ON o.id = a.offer_id
           WHERE a.member_id = m.id AND a.partner_id = $2 AND a.uses < o.per_member_limit
             AND a.activated_at <= $3::timestamptz + $6 * interval '1 millisecond'
             AND o.starts_at <= $3 AND $3 < o.ends_at AND (o.ended_at IS NULL OR $3 < o.ended_at)) AS offers,
         tier_earn_state(m.id, $2, $4) AS tiers
    FROM member m CROSS JOIN r LEFT JOIN tier_bonus_replica b ON b.tier = m.tier
   WHERE m.id = $1`;

/**
 * Reads the earn context. A rules version's content never changes once published (a correction is
 * a new version), so parsed rules are cached by partner and version for the life of the process;
 * which version is in force is read every time.
 */
export class EarnRulesReplica {
  private readonly parsed = new Map<string, EarnRules>();

  async earnContext(
    manager: EntityManager,
    at: {
      memberId: string;
      partnerId: string;
      receiptId: string;
      occurredAt: Date;
      now: Date;
      timeZone: string;
    },
  ): Promise<EarnContext> {
    const rows = await preparedQuery<ContextRow>(manager, 'earn-context-v3', CONTEXT_SQL, [
      at.memberId,
      at.partnerId,
      at.occurredAt,
      at.now,
      at.timeZone,
      limits.clockSkewMs,
      at.receiptId,
    ]);
    const row = rows[0];
    assert(
      row,
      `member ${at.memberId} (locked, so it exists) at partner ${at.partnerId} (replicated with its rules)`,
    );
    return {
      receiptTaken: row.receipt_taken,
      version: row.version,
      rules: this.rulesOf(at.partnerId, row.version, row.rules),
      member: {
        tier: row.tier,
        firstPurchaseAtPartner: row.earned_before === false,
        cappedPointsToday: BigInt(row.capped_today ?? 0),
        stamps: row.stamps ?? 0,
      },
      tierBonuses:
        row.tier !== null && row.bonus_percent !== null
          ? [{ tier: row.tier, bonusPercent: row.bonus_percent }]
          : [],
      offers: row.offers.map(activatedOffer),
      tiers: parseTierEarnState(row.tiers),
    };
  }

  private rulesOf(partnerId: string, version: number, json: unknown): EarnRules {
    const key = `${partnerId}:${version}`;
    let rules = this.parsed.get(key);
    if (!rules) {
      rules = earnRulesSchema.parse(json);
      this.parsed.set(key, rules);
    }
    return rules;
  }
}

function activatedOffer(row: ContextRow['offers'][number]): ActivatedOffer {
  const offer = offerSchema.parse(row.content);
  return {
    id: row.id,
    bonusPoints: offer.bonusPoints,
    bonusPercent: offer.bonusPercent,
    minimumSpendMinor: offer.minimumSpendMinor,
    categories: offer.categories,
    budgetLeftPoints: null,
    budgetPoints: row.budgetPoints === null ? null : BigInt(row.budgetPoints),
  };
}
