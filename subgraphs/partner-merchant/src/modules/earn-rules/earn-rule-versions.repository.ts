import type { EntityManager } from 'typeorm';
import {
  earnRulesSchema,
  rulesToJson,
  type EarnRules,
} from '@coalition/shared/earn-rules/earn-rules';
import { badInput } from '@coalition/shared/errors';
import type { Page } from '@coalition/shared/graphql/pagination';

/** One version of a partner's earn rules, as stored, with where it ends. */
export interface EarnRuleVersionRecord {
  partnerId: string;
  version: number;
  effectiveFrom: Date;
  /** The next live version's effectiveFrom; null while none is scheduled after it, and for a withdrawn version. */
  effectiveTo: Date | null;
  rules: EarnRules;
  createdAt: Date;
  createdBy: string;
  withdrawnAt: Date | null;
}

/** A data source or a transaction's entity manager: both answer raw SQL. */
type Db = Pick<EntityManager, 'query'>;

interface Row {
  partner_id: string;
  version: number;
  effective_from: Date;
  effective_to: Date | null;
  rules: unknown;
  created_at: Date;
  created_by: string;
  withdrawn_at: Date | null;
}

// A version ends where the next live one starts; computed, never stored, so publishing or
// withdrawing a later version can never leave an earlier one's end stale.
const COLUMNS = `v.partner_id, v.version, v.effective_from, v.rules, v.created_at, v.created_by, v.withdrawn_at,
  CASE WHEN v.withdrawn_at IS NULL THEN
    (SELECT min(n.effective_from) FROM earn_rule_version n
      WHERE n.partner_id = v.partner_id AND n.withdrawn_at IS NULL AND n.effective_from > v.effective_from)
  END AS effective_to`;

/** Stored rules were validated when published: failing to parse them back is a bug, and throws. */
const toRecord = (row: Row): EarnRuleVersionRecord => ({
  partnerId: row.partner_id,
  version: row.version,
  effectiveFrom: row.effective_from,
  effectiveTo: row.effective_to,
  rules: earnRulesSchema.parse(row.rules),
  createdAt: row.created_at,
  createdBy: row.created_by,
  withdrawnAt: row.withdrawn_at,
});

export interface NewEarnRuleVersion {
  partnerId: string;
  version: number;
  effectiveFrom: Date;
  rules: EarnRules;
  createdAt: Date;
  createdBy: string;
}

export async function insertEarnRuleVersion(
  manager: EntityManager,
  v: NewEarnRuleVersion,
): Promise<void> {
  await manager.query(
    `INSERT INTO earn_rule_version (partner_id, version, effective_from, rules, created_at, created_by)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6)`,
    [
      v.partnerId,
      v.version,
      v.effectiveFrom,
      JSON.stringify(rulesToJson(v.rules)),
      v.createdAt,
      v.createdBy,
    ],
  );
}

/**
 * The live version in force at an instant for each partner: the latest that started at or before
 * it; before a partner's first version, the first (as the wallet does for a backdated receipt).
 */
export async function versionsInForce(
  db: Db,
  partnerIds: readonly string[],
  at: Date,
): Promise<Map<string, EarnRuleVersionRecord>> {
  const rows: Row[] = await db.query(
    `SELECT DISTINCT ON (v.partner_id) ${COLUMNS}
       FROM earn_rule_version v
      WHERE v.partner_id = ANY($1::uuid[]) AND v.withdrawn_at IS NULL
      ORDER BY v.partner_id, (v.effective_from <= $2) DESC,
               CASE WHEN v.effective_from <= $2 THEN v.effective_from END DESC, v.effective_from`,
    [[...partnerIds], at],
  );
  return new Map(rows.map((row) => [row.partner_id, toRecord(row)]));
}

export async function versionInForce(
  db: Db,
  partnerId: string,
  at: Date,
): Promise<EarnRuleVersionRecord | undefined> {
  return (await versionsInForce(db, [partnerId], at)).get(partnerId);
}

export async function earnRuleVersion(
  db: Db,
  partnerId: string,
  version: number,
): Promise<EarnRuleVersionRecord | undefined> {
  const rows: Row[] = await db.query(
    `SELECT ${COLUMNS} FROM earn_rule_version v WHERE v.partner_id = $1 AND v.version = $2`,
    [partnerId, version],
  );
  return rows[0] && toRecord(rows[0]);
}

/** Each partner's versions, newest (highest number) first, withdrawn ones included; one query for all. */
export async function earnRuleVersionPages(
  db: Db,
  partnerIds: readonly string[],
  page: Page,
): Promise<Map<string, EarnRuleVersionRecord[]>> {
  const before = page.after === undefined ? null : versionCursor.parse(page.after);
  const rows: Row[] = await db.query(
    `SELECT ${COLUMNS}
       FROM unnest($1::uuid[]) AS p(id)
       CROSS JOIN LATERAL (
         SELECT * FROM earn_rule_version e
          WHERE e.partner_id = p.id AND ($2::integer IS NULL OR e.version < $2)
          ORDER BY e.version DESC
          LIMIT $3) v
      ORDER BY v.partner_id, v.version DESC`,
    [[...partnerIds], before, page.limit + 1],
  );
  const pages = new Map<string, EarnRuleVersionRecord[]>(partnerIds.map((id) => [id, []]));
  for (const row of rows) pages.get(row.partner_id)?.push(toRecord(row));
  return pages;
}

export const versionCursor = {
  of: (v: Pick<EarnRuleVersionRecord, 'version'>): string => String(v.version),
  parse(after: string): number {
    if (!/^[1-9]\d{0,8}$/.test(after))
      throw badInput('after is not a cursor this API returned.', 'after');
    return Number(after);
  },
};
