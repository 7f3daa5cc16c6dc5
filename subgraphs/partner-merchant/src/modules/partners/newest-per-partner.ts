import type { EntityManager } from 'typeorm';

/** A partner-owned table listed newest first, keyset-paginated on (time, id). Names are code constants, never input. */
export interface NewestFirst {
  table: 'partner_status_change' | 'api_client' | 'reward_order' | 'partner_rate_limit_change';
  time: string;
  id: string;
  idType: 'uuid' | 'text';
  /** The columns to return (default all); secrets stay out by naming the others. */
  columns?: string;
}

/**
 * A page of each partner's rows, newest first, in one statement whatever the number of partners
 * (what a DataLoader behind a list field needs): a lateral keyset scan per partner.
 */
export async function newestPerPartner<Row extends { partner_id: string }>(
  db: Pick<EntityManager, 'query'>,
  source: NewestFirst,
  partnerIds: readonly string[],
  after: { time: string | Date; id: string } | null,
  limit: number,
): Promise<Map<string, Row[]>> {
  const { table, time, id, idType } = source;
  const rows: Row[] = await db.query(
    `SELECT ${source.columns ?? '*'}
       FROM unnest($1::uuid[]) AS p(id)
       CROSS JOIN LATERAL (
         SELECT * FROM ${table} t
          WHERE t.partner_id = p.id AND ($2::timestamptz IS NULL OR (t.${time}, t.${id}) < ($2, $3::${idType}))
          ORDER BY t.${time} DESC, t.${id} DESC
          LIMIT $4) page
      ORDER BY page.partner_id, page.${time} DESC, page.${id} DESC`,
    [[...partnerIds], after?.time ?? null, after?.id ?? null, limit],
  );
  const pages = new Map<string, Row[]>(partnerIds.map((partnerId) => [partnerId, []]));
  for (const row of rows) pages.get(row.partner_id)?.push(row);
  return pages;
}
