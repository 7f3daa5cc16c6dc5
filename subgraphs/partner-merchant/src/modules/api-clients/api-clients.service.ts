import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Claims } from '@coalition/shared/auth/jwt';
import { CoalitionError, ErrorCode, notFound } from '@coalition/shared/errors';
import { inTransaction } from '@coalition/shared/db/transaction';
import { parseInput, text } from '@coalition/shared/validation';
import { Partner } from '../partners/partner.entity';
import { Store } from '../partners/store.entity';
import { ApiClient } from './api-client.entity';
import { hashSecret, newSecret, verifySecret } from './secret-hash';

export interface IssuedCredentials {
  client: ApiClient;
  clientSecret: string;
}

export class ApiClientsService {
  constructor(private readonly dataSource: DataSource) {}

  /** Partner credentials (no store) or terminal credentials bound to one of the partner's stores. */
  async create(partnerId: string, storeId: string | null, rawLabel: string): Promise<IssuedCredentials> {
    const label = parseInput(text('label'), rawLabel);
    const partner = await this.dataSource.getRepository(Partner).findOneBy({ id: partnerId });
    if (!partner) throw notFound('Partner');
    if (storeId !== null) {
      const store = await this.dataSource.getRepository(Store).findOneBy({ id: storeId, partnerId });
      if (!store) throw new CoalitionError(ErrorCode.BAD_USER_INPUT, 'The store does not belong to this partner.', { field: 'storeId' });
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
    });
    await inTransaction(this.dataSource, 'READ COMMITTED', (manager) => manager.insert(ApiClient, client));
    return { client, clientSecret };
  }

  /** Idempotent: revoking a revoked client keeps the first revocation time. */
  async revoke(clientId: string): Promise<ApiClient> {
    const repository = this.dataSource.getRepository(ApiClient);
    const client = await repository.findOneBy({ clientId });
    if (!client) throw notFound('API client');
    if (!client.revokedAt) {
      client.revokedAt = new Date();
      await repository.update({ clientId }, { revokedAt: client.revokedAt });
    }
    return client;
  }

  /** The claims a valid, unrevoked client id and secret earn; undefined for anything else. */
  async authenticate(clientId: string, clientSecret: string): Promise<Claims | undefined> {
    const client = await this.dataSource
      .getRepository(ApiClient)
      .createQueryBuilder('c')
      .addSelect('c.secretHash')
      .where('c.client_id = :clientId', { clientId })
      .getOne();
    if (!client || client.revokedAt || !(await verifySecret(clientSecret, client.secretHash))) return undefined;
    return client.storeId
      ? { role: 'terminal', sub: client.clientId, partnerId: client.partnerId, storeId: client.storeId }
      : { role: 'partner', sub: client.clientId, partnerId: client.partnerId };
  }
}
