import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTable, dropFeedTables } from '@coalition/shared/feed/outbox';

export class PartnersStoresClients1764064800000 implements MigrationInterface {
  name = 'PartnersStoresClients1764064800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE partner (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        legal_entity text NOT NULL,
        category text NOT NULL,
        settlement_currency char(3) NOT NULL,
        status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED', 'LEAVING')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query('CREATE UNIQUE INDEX partner_name_unique ON partner (lower(name))');
    await queryRunner.query('CREATE INDEX partner_created ON partner (created_at DESC, id DESC)');
    await queryRunner.query(`
      CREATE TABLE store (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partner (id),
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('PHYSICAL', 'ONLINE')),
        address text,
        time_zone text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query('CREATE INDEX store_partner ON store (partner_id, created_at, id)');
    await queryRunner.query(
      'CREATE UNIQUE INDEX store_name_unique ON store (partner_id, lower(name))',
    );
    await queryRunner.query(`
      CREATE TABLE api_client (
        client_id text PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partner (id),
        store_id uuid REFERENCES store (id),
        label text NOT NULL,
        secret_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await queryRunner.query('CREATE INDEX api_client_partner ON api_client (partner_id)');
    await createOutboxTable(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropFeedTables(queryRunner, 'outbox');
    await queryRunner.query('DROP TABLE api_client');
    await queryRunner.query('DROP TABLE store');
    await queryRunner.query('DROP TABLE partner');
  }
}
