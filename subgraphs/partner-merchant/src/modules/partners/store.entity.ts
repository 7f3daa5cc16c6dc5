import { Column, Entity, PrimaryColumn } from 'typeorm';

export type StoreKind = 'PHYSICAL' | 'ONLINE';

@Entity('store')
export class Store {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid', name: 'partner_id' })
  partnerId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  kind: StoreKind;

  @Column({ type: 'text', nullable: true })
  address: string | null;

  @Column({ type: 'text', name: 'time_zone' })
  timeZone: string;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;
}
