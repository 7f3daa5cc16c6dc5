import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { CoalitionError, ErrorCode, notFound } from '@coalition/shared/errors';
import { inTransaction } from '@coalition/shared/db/transaction';
import { limits } from '@coalition/shared/limits';
import { lockPartner } from '../partners/partner-lock';
import { parseWebOrigin } from './web-origin';

/** An origin a partner lets call the gateway from a browser. */
export interface WebOrigin {
  partnerId: string;
  origin: string;
  /** The subject of the token that added it. */
  addedBy: string;
  addedAt: Date;
}

interface WebOriginRow {
  partner_id: string;
  origin: string;
  added_by: string;
  added_at: Date;
}

const toWebOrigin = (row: WebOriginRow): WebOrigin => ({
  partnerId: row.partner_id,
  origin: row.origin,
  addedBy: row.added_by,
  addedAt: row.added_at,
});

/**
 * The web origins (a partner's shop, its app) whose pages may call the gateway from a browser: the
 * gateway answers their CORS requests. Each addition and removal is audited in the same
 * transaction.
 */
export class WebOriginsService {
  constructor(private readonly dataSource: DataSource) {}

  async add(partnerId: string, rawOrigin: string, changedBy: string): Promise<WebOrigin> {
    const origin = parseWebOrigin(rawOrigin);
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockPartner(manager, partnerId);
      const rows: { origins: number; known: boolean }[] = await manager.query(
        `SELECT count(*)::int AS origins, bool_or(origin = $2) AS known FROM partner_web_origin WHERE partner_id = $1`,
        [partnerId, origin],
      );
      if (rows[0]?.known)
        throw new CoalitionError(ErrorCode.CONFLICT, `${origin} is already allowed.`);
      if ((rows[0]?.origins ?? 0) >= limits.webOriginsPerPartnerMax)
        throw new CoalitionError(
          ErrorCode.BAD_USER_INPUT,
          `A partner allows at most ${limits.webOriginsPerPartnerMax} web origins; remove one first.`,
          { field: 'origin' },
        );
      const added: WebOriginRow[] = await manager.query(
        `INSERT INTO partner_web_origin (partner_id, origin, added_by) VALUES ($1, $2, $3) RETURNING *`,
        [partnerId, origin, changedBy],
      );
      await this.audit(manager, partnerId, origin, 'ADDED', changedBy);
      return toWebOrigin(added[0]!);
    });
  }

  async remove(partnerId: string, rawOrigin: string, changedBy: string): Promise<boolean> {
    const origin = parseWebOrigin(rawOrigin);
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockPartner(manager, partnerId);
      const known: unknown[] = await manager.query(
        'SELECT 1 FROM partner_web_origin WHERE partner_id = $1 AND origin = $2',
        [partnerId, origin],
      );
      if (known.length === 0) throw notFound('Web origin');
      await manager.query('DELETE FROM partner_web_origin WHERE partner_id = $1 AND origin = $2', [
        partnerId,
        origin,
      ]);
      await this.audit(manager, partnerId, origin, 'REMOVED', changedBy);
      return true;
    });
  }

  /** The origins each partner allows, for a page of partners (one read). */
  async ofPartners(partnerIds: readonly string[]): Promise<WebOrigin[][]> {
    const rows: WebOriginRow[] = await this.dataSource.query(
      'SELECT * FROM partner_web_origin WHERE partner_id = ANY($1::uuid[]) ORDER BY added_at, origin',
      [[...partnerIds]],
    );
    return partnerIds.map((id) => rows.filter((row) => row.partner_id === id).map(toWebOrigin));
  }

  /** Every origin any active or leaving partner allows: what the gateway answers CORS for. */
  async allowed(): Promise<string[]> {
    const rows: { origin: string }[] = await this.dataSource.query(
      `SELECT DISTINCT o.origin FROM partner_web_origin o JOIN partner p ON p.id = o.partner_id
        WHERE p.status <> 'SUSPENDED' ORDER BY o.origin`,
    );
    return rows.map((row) => row.origin);
  }

  private async audit(
    manager: EntityManager,
    partnerId: string,
    origin: string,
    action: 'ADDED' | 'REMOVED',
    changedBy: string,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO partner_web_origin_change (id, partner_id, origin, action, changed_by) VALUES ($1, $2, $3, $4, $5)`,
      [randomUUID(), partnerId, origin, action, changedBy],
    );
  }
}
