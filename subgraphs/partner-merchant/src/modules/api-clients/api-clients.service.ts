import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Claims } from '@coalition/shared/auth/jwt';
import { badInput, CoalitionError, ErrorCode, notFound } from '@coalition/shared/errors';
import { inTransaction } from '@coalition/shared/db/transaction';
import type { Page } from '@coalition/shared/graphql/pagination';
import { limits } from '@coalition/shared/limits';
import { parseInput, text } from '@coalition/shared/validation';
import { newestPerPartner } from '../partners/newest-per-partner';
import { Partner } from '../partners/partner.entity';
import { Store } from '../partners/store.entity';
import { ApiClient } from './api-client.entity';
import { hashSecret, newSecret, verifySecret } from './secret-hash';

export interface IssuedCredentials {
  client: ApiClient;
  clientSecret: string;
}

/**
 * Whose clients a caller may manage: every partner's (operators) or one partner's. A client of
 * another partner is then exactly as unknown as a client id that never existed.
 */
export type ClientScope = { kind: 'any' } | { kind: 'partner'; partnerId: string };

/** What a client's token says: a partner's or one of its terminals'. */
export type ClientClaims = Extract<Claims, { role: 'partner' | 'terminal' }>;

const CLIENT_ID = /^(pc|tc)_[A-Za-z0-9_-]{16}$/;

export class ApiClientsService {
  constructor(private readonly dataSource: DataSource) {}

  /** Partner credentials (no store) or terminal credentials bound to one of the partner's stores. */
  async create(
    partnerId: string,
    storeId: string | null,
    rawLabel: string,
  ): Promise<IssuedCredentials> {
    const label = parseInput(text('label'), rawLabel);
    const partner = await this.dataSource.getRepository(Partner).findOneBy({ id: partnerId });
    if (!partner) throw notFound('Partner');
    if (storeId !== null) {
      const store = await this.dataSource
        .getRepository(Store)
        .findOneBy({ id: storeId, partnerId });
      if (!store)
        throw new CoalitionError(
          ErrorCode.BAD_USER_INPUT,
          'The store does not belong to this partner.',
          { field: 'storeId' },
        );
    }
    const clientSecret = newSecret();
    const client = Object.assign(new ApiClient(), {
      clientId: `${storeId ? 'tc' : 'pc'}_${randomBytes(12).toString('base64url')}`,
      partnerId,
      storeId,
      label,
      secretHash: await hashSecret(clientSecret),
      createdAt: new Date(),
      revokedAt: null,
      secretRotatedAt: null,
      previousSecretHash: null,
      previousSecretExpiresAt: null,
    });
    await inTransaction(this.dataSource, 'READ COMMITTED', (manager) =>
      manager.insert(ApiClient, client),
    );
    return { client, clientSecret };
  }

  /**
   * A new secret, shown once. The previous one keeps working for apiClientSecretGraceSeconds so
   * the tills can be moved over, or stops at once with revokePrevious. Rotating again within the
   * grace period ends the older secret's grace: only the last two secrets ever work.
   */
  async rotate(
    scope: ClientScope,
    clientId: string,
    revokePrevious: boolean,
  ): Promise<IssuedCredentials> {
    const clientSecret = newSecret();
    const secretHash = await hashSecret(clientSecret);
    const client = await inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      const current = await this.lockedClient(manager, scope, clientId);
      if (current.revokedAt)
        throw new CoalitionError(
          ErrorCode.CONFLICT,
          'Revoked credentials cannot be rotated; create new ones.',
          { field: 'clientId' },
        );
      const now = new Date();
      const graceEnds = revokePrevious
        ? null
        : new Date(now.getTime() + limits.apiClientSecretGraceSeconds * 1000);
      // In SET, secret_hash is still the old row's value: it becomes the previous secret.
      await manager.query(
        `UPDATE api_client
            SET previous_secret_hash = CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE secret_hash END,
                previous_secret_expires_at = $4, secret_hash = $2, secret_rotated_at = $3
          WHERE client_id = $1`,
        [clientId, secretHash, now, graceEnds],
      );
      return Object.assign(current, { secretRotatedAt: now, previousSecretExpiresAt: graceEnds });
    });
    return { client, clientSecret };
  }

  /** Idempotent: revoking a revoked client keeps the first revocation time. */
  async revoke(scope: ClientScope, clientId: string): Promise<ApiClient> {
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      const client = await this.lockedClient(manager, scope, clientId);
      if (!client.revokedAt) {
        client.revokedAt = new Date();
        await manager.update(ApiClient, { clientId }, { revokedAt: client.revokedAt });
      }
      return client;
    });
  }

  /** The claims a valid, unrevoked client id and secret earn; undefined for anything else. */
  async authenticate(clientId: string, clientSecret: string): Promise<ClientClaims | undefined> {
    // Not a client id we issue (a NUL would not even reach Postgres as text): unknown, not a 500.
    if (!CLIENT_ID.test(clientId)) return undefined;
    const client = await this.dataSource
      .getRepository(ApiClient)
      .createQueryBuilder('c')
      .addSelect(['c.secretHash', 'c.previousSecretHash'])
      .where('c.client_id = :clientId', { clientId })
      .getOne();
    if (!client || client.revokedAt || !(await this.secretMatches(client, clientSecret)))
      return undefined;
    return client.storeId
      ? {
          role: 'terminal',
          sub: client.clientId,
          partnerId: client.partnerId,
          storeId: client.storeId,
        }
      : { role: 'partner', sub: client.clientId, partnerId: client.partnerId };
  }

  private async secretMatches(client: ApiClient, clientSecret: string): Promise<boolean> {
    if (await verifySecret(clientSecret, client.secretHash)) return true;
    const inGrace =
      client.previousSecretHash !== null &&
      client.previousSecretExpiresAt !== null &&
      client.previousSecretExpiresAt > new Date();
    return inGrace && verifySecret(clientSecret, client.previousSecretHash!);
  }

  /** Each partner's clients, newest first (revoked ones included), keyset-paginated; one query for all. */
  async pages(partnerIds: readonly string[], page: Page): Promise<Map<string, ApiClient[]>> {
    const after = page.after === undefined ? null : clientCursor.parse(page.after);
    const pages = await newestPerPartner<ClientRow>(
      this.dataSource,
      {
        table: 'api_client',
        time: 'created_at',
        id: 'client_id',
        idType: 'text',
        columns:
          'page.client_id, page.partner_id, page.store_id, page.label, page.created_at, page.revoked_at, page.secret_rotated_at, page.previous_secret_expires_at',
      },
      partnerIds,
      after && { time: after.time, id: after.clientId },
      page.limit + 1,
    );
    return new Map([...pages].map(([partnerId, rows]) => [partnerId, rows.map(toClient)]));
  }

  private async lockedClient(
    manager: EntityManager,
    scope: ClientScope,
    clientId: string,
  ): Promise<ApiClient> {
    if (!CLIENT_ID.test(clientId)) throw notFound('API client');
    const query = manager
      .getRepository(ApiClient)
      .createQueryBuilder('c')
      .setLock('pessimistic_write')
      .where('c.client_id = :clientId', { clientId });
    if (scope.kind === 'partner')
      query.andWhere('c.partner_id = :partnerId', { partnerId: scope.partnerId });
    const client = await query.getOne();
    if (!client) throw notFound('API client');
    return client;
  }
}

export const clientCursor = {
  of: (client: ApiClient): string => `${client.createdAt.toISOString()}|${client.clientId}`,
  parse(after: string): { time: string; clientId: string } {
    const [time = '', clientId = ''] = after.split('|');
    if (Number.isNaN(Date.parse(time)) || !CLIENT_ID.test(clientId))
      throw badInput('after is not a cursor this API returned.', 'after');
    return { time, clientId };
  },
};

interface ClientRow {
  client_id: string;
  partner_id: string;
  store_id: string | null;
  label: string;
  created_at: Date;
  revoked_at: Date | null;
  secret_rotated_at: Date | null;
  previous_secret_expires_at: Date | null;
}

function toClient(row: ClientRow): ApiClient {
  return Object.assign(new ApiClient(), {
    clientId: row.client_id,
    partnerId: row.partner_id,
    storeId: row.store_id,
    label: row.label,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    secretRotatedAt: row.secret_rotated_at,
    previousSecretExpiresAt: row.previous_secret_expires_at,
  });
}
