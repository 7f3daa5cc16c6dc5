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

  /** The last rotation of the secret; null: never rotated. */
  @Column({ type: 'timestamptz', name: 'secret_rotated_at', nullable: true })
  secretRotatedAt: Date | null;

  /** The secret before the last rotation, hashed: accepted until previousSecretExpiresAt. */
  @Column({ type: 'text', name: 'previous_secret_hash', nullable: true, select: false })
  previousSecretHash: string | null;

  @Column({ type: 'timestamptz', name: 'previous_secret_expires_at', nullable: true })
  previousSecretExpiresAt: Date | null;

  @Column({ type: 'timestamptz', name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
