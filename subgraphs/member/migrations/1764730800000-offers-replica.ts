import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Activate-to-earn offers at the wallet: the replica of each partner's offers (from the partner
 * feed), members' activations with their uses, and each budgeted offer's spend. An offer's spend
 * is the one row many members' earns share; only members who activated a budgeted offer and
 * qualify for it at a purchase take its lock, after their own.
 */
export class OffersReplica1764730800000 implements MigrationInterface {
  name = 'OffersReplica1764730800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE offer_replica (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partner_replica (id),
        content jsonb NOT NULL,
        audience text NOT NULL CHECK (audience IN ('EVERYONE', 'TIERS', 'MEMBERS')),
        audience_tiers text[] NOT NULL DEFAULT '{}',
        audience_member_ids uuid[] NOT NULL DEFAULT '{}',
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        ended_at timestamptz,
        budget_points bigint CHECK (budget_points > 0),
        per_member_limit integer NOT NULL CHECK (per_member_limit > 0),
        feed_position text NOT NULL
      )`);
    await queryRunner.query(
      'CREATE INDEX offer_replica_partner ON offer_replica (partner_id, ends_at)',
    );
    await queryRunner.query(`
      CREATE TABLE offer_spend (
        offer_id uuid PRIMARY KEY REFERENCES offer_replica (id),
        points_awarded bigint NOT NULL DEFAULT 0 CHECK (points_awarded >= 0)
      )`);
    await queryRunner.query(`
      CREATE TABLE offer_activation (
        member_id uuid NOT NULL REFERENCES member (id),
        offer_id uuid NOT NULL REFERENCES offer_replica (id),
        partner_id uuid NOT NULL,
        activated_at timestamptz NOT NULL,
        uses integer NOT NULL DEFAULT 0 CHECK (uses >= 0),
        points_awarded bigint NOT NULL DEFAULT 0 CHECK (points_awarded >= 0),
        PRIMARY KEY (member_id, offer_id)
      )`);
    await queryRunner.query(
      'CREATE INDEX offer_activation_member_partner ON offer_activation (member_id, partner_id)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE offer_activation');
    await queryRunner.query('DROP TABLE offer_spend');
    await queryRunner.query('DROP TABLE offer_replica');
  }
}
