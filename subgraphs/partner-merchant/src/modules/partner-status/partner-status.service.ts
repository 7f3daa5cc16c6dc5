import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { assert, badInput, CoalitionError, ErrorCode } from '@coalition/shared/errors';
import { inTransaction } from '@coalition/shared/db/transaction';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { partnerStatusChanged } from '@coalition/shared/feed/facts/partner-feed';
import { newestPerPartner } from '../partners/newest-per-partner';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';
import { limits } from '@coalition/shared/limits';
import { parseInput, text } from '@coalition/shared/validation';
import { Partner, type PartnerStatus } from '../partners/partner.entity';
import { lockPartner } from '../partners/partner-lock';
import { fromNowOn, notLaterThan } from '../partners/schedule-dates';

/** One entry of a partner's status audit trail. */
export interface PartnerStatusChange {
  id: string;
  partnerId: string;
  fromStatus: PartnerStatus;
  toStatus: PartnerStatus;
  reason: string | null;
  earnStopAt: Date | null;
  burnStopAt: Date | null;
  /** The subject of the token that made the change. */
  changedBy: string;
  changedAt: Date;
}

interface NewStatus {
  status: PartnerStatus;
  reason: string | null;
  earnStopAt: Date | null;
  burnStopAt: Date | null;
}

const reasonText = text('reason', limits.statusReasonLengthMax, true);
const optionalReason = (raw: string | null | undefined) =>
  raw == null ? null : parseInput(reasonText, raw);

/**
 * A partner's status: ACTIVE; SUSPENDED (no earn, no burn); LEAVING (earn until earnStopAt, burn
 * until burnStopAt, so its customers can still spend what they earned there). Each change is
 * audited and announced on the feed in the same transaction.
 */
export class PartnerStatusService {
  constructor(private readonly dataSource: DataSource) {}

  suspend(partnerId: string, reason: string, changedBy: string): Promise<Partner> {
    return this.change(
      partnerId,
      {
        status: 'SUSPENDED',
        reason: parseInput(reasonText, reason),
        earnStopAt: null,
        burnStopAt: null,
      },
      changedBy,
    );
  }

  /** Back to ACTIVE, from SUSPENDED or LEAVING: the stop dates are cleared. */
  reinstate(
    partnerId: string,
    reason: string | null | undefined,
    changedBy: string,
  ): Promise<Partner> {
    return this.change(
      partnerId,
      { status: 'ACTIVE', reason: optionalReason(reason), earnStopAt: null, burnStopAt: null },
      changedBy,
    );
  }

  /** LEAVING with stop dates; a leaving partner's dates may be rescheduled the same way. */
  scheduleLeaving(
    partnerId: string,
    dates: { earnStopAt: Date; burnStopAt: Date },
    reason: string | null | undefined,
    changedBy: string,
  ): Promise<Partner> {
    if (dates.burnStopAt < dates.earnStopAt)
      throw badInput('burnStopAt must not be before earnStopAt.', 'burnStopAt');
    const now = new Date();
    const earnStopAt = notLaterThan(
      fromNowOn(dates.earnStopAt, now, 'earnStopAt'),
      now,
      limits.partnerLeavingAheadDaysMax,
      'earnStopAt',
    );
    const burnStopAt = notLaterThan(
      dates.burnStopAt < earnStopAt ? earnStopAt : dates.burnStopAt,
      now,
      limits.partnerLeavingAheadDaysMax,
      'burnStopAt',
    );
    return this.change(
      partnerId,
      { status: 'LEAVING', reason: optionalReason(reason), earnStopAt, burnStopAt },
      changedBy,
    );
  }

  private change(partnerId: string, next: NewStatus, changedBy: string): Promise<Partner> {
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockPartner(manager, partnerId);
      const partner = await manager.findOneBy(Partner, { id: partnerId });
      assert(partner, 'the partner is locked, so it exists');
      // Rescheduling a departure is a change; suspending the suspended or reinstating the active is not.
      if (next.status !== 'LEAVING' && partner.status === next.status) {
        throw new CoalitionError(ErrorCode.CONFLICT, `The partner is already ${next.status}.`);
      }
      const entry: PartnerStatusChange = {
        id: randomUUID(),
        partnerId,
        fromStatus: partner.status,
        toStatus: next.status,
        reason: next.reason,
        earnStopAt: next.earnStopAt,
        burnStopAt: next.burnStopAt,
        changedBy,
        changedAt: new Date(),
      };
      await manager.update(
        Partner,
        { id: partnerId },
        { status: next.status, earnStopAt: next.earnStopAt, burnStopAt: next.burnStopAt },
      );
      await insertChange(manager, entry);
      // The wallet stops earn and burn by it.
      await appendFacts(manager, [
        partnerStatusChanged.build({
          partnerId,
          status: next.status,
          earnStopAt: next.earnStopAt?.toISOString() ?? null,
          burnStopAt: next.burnStopAt?.toISOString() ?? null,
          reason: next.reason,
        }),
      ]);
      return Object.assign(partner, {
        status: next.status,
        earnStopAt: next.earnStopAt,
        burnStopAt: next.burnStopAt,
      });
    });
  }

  /** Each partner's status changes, newest first, keyset-paginated on (changed_at, id); one query for all. */
  async historyPages(
    partnerIds: readonly string[],
    page: Page,
  ): Promise<Map<string, PartnerStatusChange[]>> {
    const after = page.after === undefined ? null : timeIdKey.parse(page.after);
    const pages = await newestPerPartner<ChangeRow>(
      this.dataSource,
      { table: 'partner_status_change', time: 'changed_at', id: 'id', idType: 'uuid' },
      partnerIds,
      after,
      page.limit + 1,
    );
    return new Map([...pages].map(([partnerId, rows]) => [partnerId, rows.map(toChange)]));
  }
}

export const statusChangeCursor = (change: PartnerStatusChange) =>
  timeIdKey.of(change.changedAt, change.id);

interface ChangeRow {
  id: string;
  partner_id: string;
  from_status: PartnerStatus;
  to_status: PartnerStatus;
  reason: string | null;
  earn_stop_at: Date | null;
  burn_stop_at: Date | null;
  changed_by: string;
  changed_at: Date;
}

const toChange = (row: ChangeRow): PartnerStatusChange => ({
  id: row.id,
  partnerId: row.partner_id,
  fromStatus: row.from_status,
  toStatus: row.to_status,
  reason: row.reason,
  earnStopAt: row.earn_stop_at,
  burnStopAt: row.burn_stop_at,
  changedBy: row.changed_by,
  changedAt: row.changed_at,
});

async function insertChange(manager: EntityManager, c: PartnerStatusChange): Promise<void> {
  await manager.query(
    `INSERT INTO partner_status_change (id, partner_id, from_status, to_status, reason, earn_stop_at, burn_stop_at, changed_by, changed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      c.id,
      c.partnerId,
      c.fromStatus,
      c.toStatus,
      c.reason,
      c.earnStopAt,
      c.burnStopAt,
      c.changedBy,
      c.changedAt,
    ],
  );
}
