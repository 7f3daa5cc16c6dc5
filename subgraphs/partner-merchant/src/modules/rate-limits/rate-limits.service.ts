import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { RateLimitClaim } from '@coalition/shared/auth/jwt';
import { inTransaction } from '@coalition/shared/db/transaction';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';
import { limits } from '@coalition/shared/limits';
import { parseInput } from '@coalition/shared/validation';
import { newestPerPartner } from '../partners/newest-per-partner';
import { lockPartner } from '../partners/partner-lock';

/** A partner's rate limit as of one change (null numbers: the defaults); also its audit entry. */
export interface PartnerRateLimitChange {
  id: string;
  partnerId: string;
  requestsPerMinute: number | null;
  burst: number | null;
  changedBy: string;
  changedAt: Date;
}

const limitInput = z.object({
  requestsPerMinute: z
    .number()
    .int()
    .min(1, 'must be at least 1')
    .max(
      limits.rateLimitRequestsPerMinuteMax,
      `must be at most ${limits.rateLimitRequestsPerMinuteMax}`,
    ),
  burst: z
    .number()
    .int()
    .min(0, 'must not be negative')
    .max(limits.rateLimitBurstMax, `must be at most ${limits.rateLimitBurstMax}`),
});

/**
 * Partners' own rate limits at the gateway. The gateway never asks: each limit travels in the
 * tokens the partner's clients get at /oauth/token (claimFor), so a change reaches a client with
 * its next token.
 */
export class PartnerRateLimitsService {
  constructor(private readonly dataSource: DataSource) {}

  set(
    partnerId: string,
    input: { requestsPerMinute: number; burst: number },
    changedBy: string,
  ): Promise<PartnerRateLimitChange> {
    const limit = parseInput(limitInput, input);
    return this.record(partnerId, limit, changedBy);
  }

  reset(partnerId: string, changedBy: string): Promise<PartnerRateLimitChange> {
    return this.record(partnerId, { requestsPerMinute: null, burst: null }, changedBy);
  }

  /** The claim for tokens of the partner's clients; undefined while the defaults apply. */
  async claimFor(partnerId: string): Promise<RateLimitClaim | undefined> {
    const [current] = await this.current([partnerId]);
    return current?.requestsPerMinute != null && current.burst != null
      ? { requestsPerMinute: current.requestsPerMinute, burst: current.burst }
      : undefined;
  }

  /** Each partner's newest change, where it has one; one query for all. */
  async current(partnerIds: readonly string[]): Promise<PartnerRateLimitChange[]> {
    const rows: ChangeRow[] = await this.dataSource.query(
      `SELECT DISTINCT ON (partner_id) *
         FROM partner_rate_limit_change
        WHERE partner_id = ANY($1::uuid[])
        ORDER BY partner_id, changed_at DESC, id DESC`,
      [partnerIds],
    );
    return rows.map(toChange);
  }

  /** Each partner's changes, newest first, keyset-paginated on (changed_at, id); one query. */
  async historyPages(
    partnerIds: readonly string[],
    page: Page,
  ): Promise<Map<string, PartnerRateLimitChange[]>> {
    const after = page.after === undefined ? null : timeIdKey.parse(page.after);
    const pages = await newestPerPartner<ChangeRow>(
      this.dataSource,
      { table: 'partner_rate_limit_change', time: 'changed_at', id: 'id', idType: 'uuid' },
      partnerIds,
      after,
      page.limit + 1,
    );
    return new Map([...pages].map(([partnerId, rows]) => [partnerId, rows.map(toChange)]));
  }

  private record(
    partnerId: string,
    limit: { requestsPerMinute: number | null; burst: number | null },
    changedBy: string,
  ): Promise<PartnerRateLimitChange> {
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockPartner(manager, partnerId);
      const change: PartnerRateLimitChange = {
        id: randomUUID(),
        partnerId,
        ...limit,
        changedBy,
        changedAt: new Date(),
      };
      await manager.query(
        `INSERT INTO partner_rate_limit_change (id, partner_id, requests_per_minute, burst, changed_by, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [change.id, partnerId, change.requestsPerMinute, change.burst, changedBy, change.changedAt],
      );
      return change;
    });
  }
}

export const rateLimitChangeCursor = (change: PartnerRateLimitChange) =>
  timeIdKey.of(change.changedAt, change.id);

interface ChangeRow {
  id: string;
  partner_id: string;
  requests_per_minute: number | null;
  burst: number | null;
  changed_by: string;
  changed_at: Date;
}

const toChange = (row: ChangeRow): PartnerRateLimitChange => ({
  id: row.id,
  partnerId: row.partner_id,
  requestsPerMinute: row.requests_per_minute,
  burst: row.burst,
  changedBy: row.changed_by,
  changedAt: row.changed_at,
});
