import { z } from 'zod';
import type { Statement } from '@coalition/shared/db/write-batch';
import type { NewFact } from '@coalition/shared/feed/outbox';
import { memberTierChanged } from '@coalition/shared/feed/facts/member-feed';
import {
  higherTier,
  metricValue,
  rankOf,
  storedTiers,
  tierMetrics,
  tierReached,
  type PeriodMetrics,
  type TierDefinition,
  type TierMetric,
} from './tier-ladder';

/** What tier_earn_state (migration 1765188000000-tiers) answers inside the earn context statement. */
export interface TierEarnState {
  ladderVersion: number;
  metric: TierMetric;
  currency: string;
  tiers: TierDefinition[];
  /** The month bucket this earn counts in (YYYY-MM-DD, the 1st), in the ladder's time zone. */
  month: string;
  periodEndsAt: Date;
  /** The period's metrics before this earn. */
  before: PeriodMetrics;
  partnerSeen: boolean;
  /** The member's computed tier, and an operator's override while it lasts. */
  computed: string | null;
  override: string | null;
}

const stateRow = z.object({
  version: z.number().int().positive(),
  metric: z.enum(tierMetrics),
  currency: z.string(),
  tiers: z.unknown(),
  month: z.string(),
  periodEndsAt: z.string(),
  points: z.string(),
  spend: z.string(),
  partners: z.number().int(),
  partnerSeen: z.boolean(),
  tier: z.string().nullable(),
  override: z.string().nullable(),
});

/** A ladder version's tiers never change once defined: parsed once per version per process. */
const tiersByVersion = new Map<number, TierDefinition[]>();

/** Parses the earn context's tier column; null when no ladder is in force. */
export function parseTierEarnState(json: unknown): TierEarnState | null {
  if (json === null || json === undefined) return null;
  const row = stateRow.parse(json);
  let tiers = tiersByVersion.get(row.version);
  if (!tiers) {
    tiers = storedTiers.parse(row.tiers);
    tiersByVersion.set(row.version, tiers);
  }
  return {
    ladderVersion: row.version,
    metric: row.metric,
    currency: row.currency,
    tiers,
    month: row.month,
    periodEndsAt: new Date(row.periodEndsAt),
    before: {
      points: BigInt(row.points),
      spend: BigInt(row.spend),
      partners: BigInt(row.partners),
    },
    partnerSeen: row.partnerSeen,
    computed: row.tier,
    override: row.override,
  };
}

/** An earn's points but the coalition's tier bonus: a tier does not feed itself. */
export function qualifyingPoints(evaluation: {
  points: bigint;
  components: readonly { kind: string; points: bigint }[];
}): bigint {
  const tierBonus = evaluation.components
    .filter((c) => c.kind === 'TIER')
    .reduce((sum, c) => sum + c.points, 0n);
  return evaluation.points - tierBonus;
}

/** What one purchase adds to the member's counters. */
export interface TierEarnDelta {
  memberId: string;
  partnerId: string;
  /** The points the purchase earned but the coalition's tier bonus: a tier does not feed itself. */
  qualifyingPoints: bigint;
  /** The purchase total, when in the ladder's currency; 0 otherwise. */
  spend: bigint;
  /** The member's tier as the earn context read it (member.tier: what bonuses and offers key on). */
  heldTier: string | null;
  now: Date;
}

/** What the earn records of its counters on its ledger transaction, so a refund takes back the same. */
export interface TierEarnRecord {
  month: string;
  points: string;
  spend: string;
}

export interface TierEarnWrites {
  record: TierEarnRecord | null;
  statements: Statement[];
  facts: NewFact[];
}

const NONE: TierEarnWrites = { record: null, statements: [], facts: [] };

/**
 * The earn's part of tiers, as writes for its one batch: the month's counter, and, when this earn
 * takes the period's metric across a higher tier's threshold, the upgrade (computed tier, the
 * member's tier if it rises, history and fact). Nothing is read: the earn context brought the rest.
 */
export function tierEarnWrites(state: TierEarnState | null, delta: TierEarnDelta): TierEarnWrites {
  if (!state) return NONE;
  const after: PeriodMetrics = {
    points: state.before.points + delta.qualifyingPoints,
    spend: state.before.spend + delta.spend,
    partners: state.before.partners + (state.partnerSeen ? 0n : 1n),
  };
  const record = {
    month: state.month,
    points: delta.qualifyingPoints.toString(),
    spend: delta.spend.toString(),
  };
  const statements = [counterStatement(delta, record)];
  const reached = tierReached(state.tiers, metricValue(state.metric, after));
  if (!reached || rankOf(state.tiers, reached.code) <= rankOf(state.tiers, state.computed))
    return { record, statements, facts: [] };
  statements.push(
    computedTierStatement(delta.memberId, reached.code, state.periodEndsAt, delta.now),
  );
  const held = higherTier(state.tiers, state.override, reached.code);
  // Only up: a tier set by hand above the computed one stays until a review or an override's end.
  if (rankOf(state.tiers, held) <= rankOf(state.tiers, delta.heldTier))
    return { record, statements, facts: [] };
  const change = {
    memberId: delta.memberId,
    from: delta.heldTier,
    to: held,
    reason: 'UPGRADE' as const,
    ladderVersion: state.ladderVersion,
    changedBy: 'tiers',
    at: delta.now,
  };
  return {
    record,
    statements: [...statements, ...tierChangeStatements(change)],
    facts: [tierChangedFact(change)],
  };
}

/**
 * A purchase refund takes back from the month its purchase counted in: qualifying points in
 * proportion (what the refund claws back of them), spend to the amount refunded, and the purchase
 * itself once wholly refunded (a partner counts while one of its purchases stands). It never
 * changes a tier: a tier goes down only at a period's review (docs/tiers.md).
 */
export function tierRefundStatement(
  record: TierEarnRecord | undefined,
  refund: { memberId: string; partnerId: string; points: bigint; spend: bigint; whole: boolean },
): Statement | null {
  if (!record) return null;
  return {
    text: `UPDATE tier_activity SET points = greatest(points - $4, 0), spend = greatest(spend - $5, 0),
       purchases = greatest(purchases - $6, 0) WHERE member_id = $1 AND month = $2 AND partner_id = $3`,
    values: [
      refund.memberId,
      record.month,
      refund.partnerId,
      refund.points.toString(),
      record.spend === '0' ? '0' : refund.spend.toString(),
      refund.whole ? 1 : 0,
    ],
  };
}

function counterStatement(delta: TierEarnDelta, record: TierEarnRecord): Statement {
  return {
    text: `INSERT INTO tier_activity (member_id, month, partner_id, points, spend, purchases) VALUES ($1, $2, $3, $4, $5, 1)
     ON CONFLICT (member_id, month, partner_id) DO UPDATE SET points = tier_activity.points + excluded.points,
       spend = tier_activity.spend + excluded.spend, purchases = tier_activity.purchases + 1`,
    values: [delta.memberId, record.month, delta.partnerId, record.points, record.spend],
  };
}

function computedTierStatement(
  memberId: string,
  tier: string,
  periodEndsAt: Date,
  now: Date,
): Statement {
  return {
    text: `INSERT INTO tier_status (member_id, tier, period_end, updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (member_id) DO UPDATE SET tier = excluded.tier, period_end = excluded.period_end, updated_at = excluded.updated_at`,
    values: [memberId, tier, periodEndsAt, now],
  };
}

/** A change of the tier a member holds: why, under which ladder version, by whom. */
export interface TierChange {
  memberId: string;
  from: string | null;
  to: string | null;
  reason: 'UPGRADE' | 'DOWNGRADE' | 'OVERRIDE' | 'OVERRIDE_ENDED';
  ladderVersion: number | null;
  changedBy: string;
  at: Date;
}

/** The member's tier (what tier bonuses and tier offers read) and the history row; none of them reads another's rows. */
export function tierChangeStatements(change: TierChange): Statement[] {
  return [
    { text: 'UPDATE member SET tier = $2 WHERE id = $1', values: [change.memberId, change.to] },
    {
      text: `INSERT INTO tier_history (member_id, at, from_tier, to_tier, reason, ladder_version, changed_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      values: [
        change.memberId,
        change.at,
        change.from,
        change.to,
        change.reason,
        change.ladderVersion,
        change.changedBy,
      ],
    },
  ];
}

export const tierChangedFact = (change: TierChange): NewFact =>
  memberTierChanged.build({
    memberId: change.memberId,
    from: change.from,
    to: change.to,
    changedBy: change.changedBy,
    reason: change.reason,
    ladderVersion: change.ladderVersion,
  });
