import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('api_client')
export class ApiClient {
  @PrimaryColumn({ type: 'text', name: 'client_id' })
  clientId: string;

  @Column({ type: 'uuid', name: 'partner_id' })
  partnerId: string;

  /** Set for terminal credentials, bound to one store. */
  @Column({ type: 'uuid', name: 'store_id', nullable: true })
  storeId: string | null;

  @Column({ type: 'text' })
  label: string;

  @Column({ type: 'text', name: 'secret_hash', select: false })
  secretHash: string;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  @Column({ type: 'timestamptz', name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
