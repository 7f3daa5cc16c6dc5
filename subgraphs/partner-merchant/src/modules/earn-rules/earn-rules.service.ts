import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import {
  earnRulesSchema,
  rulesToJson,
  type Multiplier,
} from '@coalition/shared/earn-rules/earn-rules';
import { assert, badInput, CoalitionError, ErrorCode, notFound } from '@coalition/shared/errors';
import { inTransaction, isUniqueViolation } from '@coalition/shared/db/transaction';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { earnRulesPublished, earnRulesWithdrawn } from '@coalition/shared/feed/facts/partner-feed';
import type { Page } from '@coalition/shared/graphql/pagination';
import { limits } from '@coalition/shared/limits';
import { parseInput } from '@coalition/shared/validation';
import { lockPartner } from '../partners/partner-lock';
import { fromNowOn, notLaterThan } from '../partners/schedule-dates';
import {
  earnRuleVersion,
  earnRuleVersionPages,
  insertEarnRuleVersion,
  versionsInForce,
  type EarnRuleVersionRecord,
} from './earn-rule-versions.repository';

/** The rules themselves are checked by the one schema the wallet also uses (shared/earn-rules). */
const publishInput = z.object({
  effectiveFrom: z.date().nullish(),
  rules: earnRulesSchema,
});
export type PublishEarnRulesInput = z.input<typeof publishInput>;

interface ScheduleState {
  lastVersion: number;
  /** Live versions not in force yet. */
  scheduled: number;
  /** A live version already starts at this instant. */
  sameStart: boolean;
}

/**
 * A partner's earn rules, versioned and effective-dated. A new version starts now or later, never
 * in the past: purchases already earned keep the rules they earned under. A version runs until the
 * next live version starts; one scheduled but not yet in force may be withdrawn.
 */
export class EarnRulesService {
  constructor(private readonly dataSource: DataSource) {}

  async publish(
    partnerId: string,
    raw: PublishEarnRulesInput,
    publishedBy: string,
  ): Promise<EarnRuleVersionRecord> {
    const input = parseInput(publishInput, raw);
    const now = new Date();
    const effectiveFrom = notLaterThan(
      fromNowOn(input.effectiveFrom ?? now, now, 'effectiveFrom'),
      now,
      limits.earnRulesAheadDaysMax,
      'effectiveFrom',
    );
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockPartner(manager, partnerId);
      await assertOwnStores(manager, partnerId, input.rules.multipliers);
      const state = await scheduleState(manager, partnerId, effectiveFrom, now);
      if (state.sameStart) throw overlap();
      if (state.scheduled >= limits.earnRuleVersionsScheduledMax) {
        throw badInput(
          `A partner has at most ${limits.earnRuleVersionsScheduledMax} versions scheduled; withdraw one first.`,
          'effectiveFrom',
        );
      }
      const version = state.lastVersion + 1;
      try {
        await insertEarnRuleVersion(manager, {
          partnerId,
          version,
          effectiveFrom,
          rules: input.rules,
          createdAt: now,
          createdBy: publishedBy,
        });
      } catch (error) {
        // Checked above under the partner's lock; the unique index is the backstop.
        if (isUniqueViolation(error, 'earn_rule_version_effective_unique')) throw overlap();
        throw error;
      }
      await appendFacts(manager, [
        earnRulesPublished.build({
          partnerId,
          version,
          effectiveFrom: effectiveFrom.toISOString(),
          rules: rulesToJson(input.rules),
        }),
      ]);
      return readBack(manager, partnerId, version);
    });
  }

  async withdraw(
    partnerId: string,
    version: number,
    withdrawnBy: string,
  ): Promise<EarnRuleVersionRecord> {
    if (!Number.isInteger(version) || version < 1)
      throw badInput('version must be a positive whole number.', 'version');
    const now = new Date();
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockPartner(manager, partnerId);
      const current = await earnRuleVersion(manager, partnerId, version);
      if (!current) throw notFound('Earn rules version');
      if (current.withdrawnAt)
        throw new CoalitionError(ErrorCode.CONFLICT, `Version ${version} was already withdrawn.`, {
          field: 'version',
        });
      if (current.effectiveFrom.getTime() <= now.getTime() + limits.earnRulesWithdrawLeadMs) {
        throw new CoalitionError(
          ErrorCode.CONFLICT,
          `Version ${version} is in force, or starts within ${limits.earnRulesWithdrawLeadMs / 1000} seconds: it can no longer be withdrawn. Publish a new version to change the rules from now on.`,
          { field: 'version' },
        );
      }
      await manager.query(
        'UPDATE earn_rule_version SET withdrawn_at = $3, withdrawn_by = $4 WHERE partner_id = $1 AND version = $2',
        [partnerId, version, now, withdrawnBy],
      );
      await appendFacts(manager, [earnRulesWithdrawn.build({ partnerId, version })]);
      return readBack(manager, partnerId, version);
    });
  }

  /** The version each partner has in force at an instant (see versionsInForce). */
  inForce(partnerIds: readonly string[], at: Date): Promise<Map<string, EarnRuleVersionRecord>> {
    return versionsInForce(this.dataSource, partnerIds, at);
  }

  /** Newest first, withdrawn versions included, keyset-paginated on the version number. */
  pages(partnerIds: readonly string[], page: Page): Promise<Map<string, EarnRuleVersionRecord[]>> {
    return earnRuleVersionPages(this.dataSource, partnerIds, page);
  }
}

const overlap = () =>
  new CoalitionError(
    ErrorCode.EARN_RULES_OVERLAP,
    'Another live version of these rules starts at this instant; choose another effectiveFrom.',
    { field: 'effectiveFrom' },
  );

async function scheduleState(
  manager: EntityManager,
  partnerId: string,
  effectiveFrom: Date,
  now: Date,
): Promise<ScheduleState> {
  const rows: { last_version: number; scheduled: string; same_start: boolean | null }[] =
    await manager.query(
      `SELECT coalesce(max(version), 0)::integer AS last_version,
            count(*) FILTER (WHERE withdrawn_at IS NULL AND effective_from > $3) AS scheduled,
            bool_or(withdrawn_at IS NULL AND effective_from = $2) AS same_start
       FROM earn_rule_version WHERE partner_id = $1`,
      [partnerId, effectiveFrom, now],
    );
  const row = rows[0];
  assert(row, 'an aggregate query returns one row');
  return {
    lastVersion: row.last_version,
    scheduled: Number(row.scheduled),
    sameStart: row.same_start === true,
  };
}

/** A multiplier may name only this partner's stores; the error says which entry, not whose store it is. */
async function assertOwnStores(
  manager: EntityManager,
  partnerId: string,
  multipliers: readonly Multiplier[],
): Promise<void> {
  const named = multipliers.flatMap((m, i) =>
    (m.storeIds ?? []).map((storeId, j) => ({
      storeId,
      field: `rules.multipliers.${i}.storeIds.${j}`,
    })),
  );
  if (named.length === 0) return;
  const rows: { id: string }[] = await manager.query(
    'SELECT id FROM store WHERE partner_id = $1 AND id = ANY($2::uuid[])',
    [partnerId, named.map((n) => n.storeId)],
  );
  const own = new Set(rows.map((row) => row.id));
  const stranger = named.find((n) => !own.has(n.storeId));
  if (stranger)
    throw badInput(`${stranger.field} is not one of this partner's stores.`, stranger.field);
}

async function readBack(
  manager: EntityManager,
  partnerId: string,
  version: number,
): Promise<EarnRuleVersionRecord> {
  const record = await earnRuleVersion(manager, partnerId, version);
  assert(record, `version ${version} of partner ${partnerId} was written in this transaction`);
  return record;
}
