import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('member')
export class Member {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'char', length: 16, name: 'card_number' })
  cardNumber: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  email: string;

  @Column({ type: 'timestamptz', name: 'enrolled_at' })
  enrolledAt: Date;

  /** The member's tier (GOLD…), which the coalition's tier bonuses key on; null: none. */
  @Column({ type: 'text', nullable: true })
  tier: string | null;
}

@Entity('member_partner_link')
export class MemberPartnerLink {
  @PrimaryColumn({ type: 'uuid', name: 'member_id' })
  memberId: string;

  @PrimaryColumn({ type: 'uuid', name: 'partner_id' })
  partnerId: string;

  @Column({ type: 'timestamptz', name: 'linked_at' })
  linkedAt: Date;
}
