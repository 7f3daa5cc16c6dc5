import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The wallet's read-only copy of a partner, kept current by the partner feed. */
@Entity('partner_replica')
export class PartnerReplica {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  status: string;

  @Column({ type: 'char', length: 3, name: 'settlement_currency' })
  settlementCurrency: string;

  @Column({ type: 'text', name: 'feed_position' })
  feedPosition: string;
}

@Entity('store_replica')
export class StoreReplica {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid', name: 'partner_id' })
  partnerId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', name: 'time_zone' })
  timeZone: string;

  @Column({ type: 'text', name: 'feed_position' })
  feedPosition: string;
}
