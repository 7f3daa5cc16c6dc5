import { Column, Entity, PrimaryColumn } from 'typeorm';

export const partnerCategories = [
  'GROCERY',
  'FUEL',
  'FASHION',
  'DINING',
  'TRAVEL',
  'ELECTRONICS',
  'HOME',
  'PHARMACY',
  'ENTERTAINMENT',
  'OTHER',
] as const;
export type PartnerCategory = (typeof partnerCategories)[number];
export type PartnerStatus = 'ACTIVE' | 'SUSPENDED' | 'LEAVING';

@Entity('partner')
export class Partner {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', name: 'legal_entity' })
  legalEntity: string;

  @Column({ type: 'text' })
  category: PartnerCategory;

  @Column({ type: 'char', length: 3, name: 'settlement_currency' })
  settlementCurrency: string;

  @Column({ type: 'text' })
  status: PartnerStatus;

  /**
   * The base rate chosen at onboarding: version 1 of the earn rules. The rate in force is the
   * current earn rules version's (Partner.pointsPerCurrencyUnit resolves to it).
   */
  @Column({ type: 'integer', name: 'points_per_currency_unit' })
  pointsPerCurrencyUnit: number;

  /** Earned points stay pending this many days, until returns are no longer possible. */
  @Column({ type: 'integer', name: 'return_window_days' })
  returnWindowDays: number;

  /** The fewest points one burn (or hold, or capture) at this partner may take. */
  @Column({ type: 'integer', name: 'burn_points_min' })
  burnPointsMin: number;

  /** The most points one burn or hold at this partner may take; null: the coalition's maximum. */
  @Column({ type: 'integer', name: 'burn_points_max', nullable: true })
  burnPointsMax: number | null;

  /** While LEAVING: purchases earn until this instant (exclusive); null otherwise. */
  @Column({ type: 'timestamptz', name: 'earn_stop_at', nullable: true })
  earnStopAt: Date | null;

  /** While LEAVING: points can be burned here until this instant (exclusive); null otherwise. */
  @Column({ type: 'timestamptz', name: 'burn_stop_at', nullable: true })
  burnStopAt: Date | null;

  @Column({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;
}
