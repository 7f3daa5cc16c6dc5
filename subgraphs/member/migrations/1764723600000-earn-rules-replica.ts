import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the wallet needs to apply partners' earn rules without calling the partner service: a copy
 * of every rules version, the coalition's tier bonuses, partners' earn and burn stop dates and
 * stores' channels; and per member, the tier and the stamps on each partner's stamp card. Each
 * earn records the rules version it applied.
 */
export class EarnRulesReplica1764723600000 implements MigrationInterface {
  name = 'EarnRulesReplica1764723600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE partner_replica ADD COLUMN earn_stop_at timestamptz, ADD COLUMN burn_stop_at timestamptz',
    );
    await queryRunner.query(
      `ALTER TABLE store_replica ADD COLUMN kind text NOT NULL DEFAULT 'PHYSICAL' CHECK (kind IN ('PHYSICAL', 'ONLINE'))`,
    );
    await queryRunner.query(`
      CREATE TABLE earn_rules_replica (
        partner_id uuid NOT NULL REFERENCES partner_replica (id),
        version integer NOT NULL CHECK (version > 0),
        effective_from timestamptz NOT NULL,
        rules jsonb NOT NULL,
        withdrawn boolean NOT NULL DEFAULT false,
        feed_position text NOT NULL,
        PRIMARY KEY (partner_id, version)
      )`);
    await queryRunner.query(
      'CREATE INDEX earn_rules_replica_in_force ON earn_rules_replica (partner_id, effective_from DESC) WHERE NOT withdrawn',
    );
    // Partners replicated before rules existed: their base rate, as version 1, since always.
    await queryRunner.query(`
      INSERT INTO earn_rules_replica (partner_id, version, effective_from, rules, feed_position)
      SELECT id, 1, '-infinity', jsonb_build_object('basePointsPerUnit', points_per_currency_unit), feed_position FROM partner_replica`);
    await queryRunner.query(`
      CREATE TABLE tier_bonus_replica (
        tier text PRIMARY KEY,
        bonus_percent integer NOT NULL CHECK (bonus_percent BETWEEN 1 AND 500),
        feed_position text NOT NULL
      )`);
    await queryRunner.query(
      `ALTER TABLE member ADD COLUMN tier text CHECK (tier ~ '^[A-Z][A-Z0-9_]{0,31}$')`,
    );
    await queryRunner.query(`
      CREATE TABLE stamp_card_state (
        member_id uuid NOT NULL REFERENCES member (id),
        partner_id uuid NOT NULL,
        card_id text NOT NULL,
        stamps integer NOT NULL CHECK (stamps >= 0),
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (member_id, partner_id, card_id)
      )`);
    await queryRunner.query('ALTER TABLE ledger_transaction ADD COLUMN rules_version integer');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE ledger_transaction DROP COLUMN rules_version');
    await queryRunner.query('DROP TABLE stamp_card_state');
    await queryRunner.query('ALTER TABLE member DROP COLUMN tier');
    await queryRunner.query('DROP TABLE tier_bonus_replica');
    await queryRunner.query('DROP TABLE earn_rules_replica');
    await queryRunner.query('ALTER TABLE store_replica DROP COLUMN kind');
    await queryRunner.query(
      'ALTER TABLE partner_replica DROP COLUMN earn_stop_at, DROP COLUMN burn_stop_at',
    );
  }
}
