import type { EntityManager } from 'typeorm';
import { rulesToJson } from '@coalition/shared/earn-rules/earn-rules';
import { offerSchema, type Offer } from '@coalition/shared/earn-rules/offers';
import { assert } from '@coalition/shared/errors';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';
import type { StoredOfferStatus } from './offer-status';

/** An offer as stored: its content, and its lifecycle. */
export type OfferRecord = Offer & {
  id: string;
  partnerId: string;
  /** ENDED only once endOffer stopped it; an ACTIVE offer also stops applying at its endsAt (see offer-status.ts). */
  status: StoredOfferStatus;
  createdAt: Date;
  createdBy: string;
  endedAt: Date | null;
  endedBy: string | null;
};

/** A data source or a transaction's entity manager: both answer raw SQL. */
type Db = Pick<EntityManager, 'query'>;

/** Whose offers a caller may reach: every partner's (operators) or one partner's. */
export type OfferScope = { kind: 'any' } | { kind: 'partner'; partnerId: string };

interface Row {
  id: string;
  partner_id: string;
  content: unknown;
  starts_at: Date;
  ends_at: Date;
  status: StoredOfferStatus;
  created_at: Date;
  created_by: string;
  ended_at: Date | null;
  ended_by: string | null;
}

/** Stored offers were validated when created: failing to parse one back is a bug, and throws. */
function toRecord(row: Row): OfferRecord {
  const content = offerSchema.parse(row.content);
  assert(
    content.startsAt.getTime() === row.starts_at.getTime() &&
      content.endsAt.getTime() === row.ends_at.getTime(),
    `offer ${row.id}: the window columns match its content`,
  );
  return {
    ...content,
    id: row.id,
    partnerId: row.partner_id,
    status: row.status,
    createdAt: row.created_at,
    createdBy: row.created_by,
    endedAt: row.ended_at,
    endedBy: row.ended_by,
  };
}

export interface NewOffer {
  id: string;
  partnerId: string;
  content: Offer;
  createdAt: Date;
  createdBy: string;
}

export async function insertOffer(manager: EntityManager, o: NewOffer): Promise<void> {
  await manager.query(
    `INSERT INTO offer (id, partner_id, content, starts_at, ends_at, status, created_at, created_by)
     VALUES ($1, $2, $3::jsonb, $4, $5, 'ACTIVE', $6, $7)`,
    [
      o.id,
      o.partnerId,
      JSON.stringify(rulesToJson(o.content)),
      o.content.startsAt,
      o.content.endsAt,
      o.createdAt,
      o.createdBy,
    ],
  );
}

export async function markOfferEnded(
  manager: EntityManager,
  offerId: string,
  endedAt: Date,
  endedBy: string,
): Promise<void> {
  await manager.query(
    `UPDATE offer SET status = 'ENDED', ended_at = $2, ended_by = $3 WHERE id = $1 AND status = 'ACTIVE'`,
    [offerId, endedAt, endedBy],
  );
}

export async function liveOfferCount(db: Db, partnerId: string, now: Date): Promise<number> {
  const rows: { live: number }[] = await db.query(
    `SELECT count(*)::integer AS live FROM offer WHERE partner_id = $1 AND status = 'ACTIVE' AND ends_at > $2`,
    [partnerId, now],
  );
  assert(rows[0], 'an aggregate query returns one row');
  return rows[0].live;
}

/** Offers by id; within a scope, another partner's offer is exactly as absent as an unknown one. */
export async function offersByIds(
  db: Db,
  ids: readonly string[],
  scope: OfferScope = { kind: 'any' },
): Promise<OfferRecord[]> {
  const partnerId = scope.kind === 'partner' ? scope.partnerId : null;
  const rows: Row[] = await db.query(
    'SELECT * FROM offer WHERE id = ANY($1::uuid[]) AND ($2::uuid IS NULL OR partner_id = $2)',
    [[...ids], partnerId],
  );
  return rows.map(toRecord);
}

export async function offerById(
  db: Db,
  id: string,
  scope: OfferScope = { kind: 'any' },
): Promise<OfferRecord | undefined> {
  return (await offersByIds(db, [id], scope))[0];
}

/** Each partner's offers, newest first, keyset-paginated on (created_at, id); live ones only unless includeEnded; one query for all. */
export async function offerPages(
  db: Db,
  partnerIds: readonly string[],
  page: Page,
  filter: { includeEnded: boolean; now: Date },
): Promise<Map<string, OfferRecord[]>> {
  const after = page.after === undefined ? null : timeIdKey.parse(page.after);
  const rows: Row[] = await db.query(
    `SELECT o.*
       FROM unnest($1::uuid[]) AS p(id)
       CROSS JOIN LATERAL (
         SELECT * FROM offer x
          WHERE x.partner_id = p.id
            AND ($2::timestamptz IS NULL OR (x.created_at, x.id) < ($2, $3::uuid))
            AND ($5::boolean OR (x.status = 'ACTIVE' AND x.ends_at > $6))
          ORDER BY x.created_at DESC, x.id DESC
          LIMIT $4) o
      ORDER BY o.partner_id, o.created_at DESC, o.id DESC`,
    [
      [...partnerIds],
      after?.time ?? null,
      after?.id ?? null,
      page.limit + 1,
      filter.includeEnded,
      filter.now,
    ],
  );
  const pages = new Map<string, OfferRecord[]>(partnerIds.map((id) => [id, []]));
  for (const row of rows) pages.get(row.partner_id)?.push(toRecord(row));
  return pages;
}

export const offerCursor = (offer: Pick<OfferRecord, 'createdAt' | 'id'>): string =>
  timeIdKey.of(offer.createdAt, offer.id);
