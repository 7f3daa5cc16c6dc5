import { Column, Entity, PrimaryColumn } from 'typeorm';

export type CycleStatus = 'DRAFT' | 'CLOSED' | 'APPROVED' | 'PAID';

@Entity('settlement_cycle')
export class SettlementCycle {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'text' })
  status: CycleStatus;

  @Column({ type: 'text', name: 'from_position' })
  fromPosition: string;

  @Column({ type: 'text', name: 'cutoff_position', nullable: true })
  cutoffPosition: string | null;

  @Column({ type: 'timestamptz', name: 'opened_at' })
  openedAt: Date;

  @Column({ type: 'timestamptz', name: 'closed_at', nullable: true })
  closedAt: Date | null;
}
