import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The web origins a partner lets call the gateway from a browser (CORS), and their audit trail. */
export class WebOrigins1765155600000 implements MigrationInterface {
  name = 'WebOrigins1765155600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE partner_web_origin (
        partner_id uuid NOT NULL REFERENCES partner (id),
        origin text NOT NULL,
        added_by text NOT NULL,
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (partner_id, origin)
      )`);
    await queryRunner.query(
      'CREATE INDEX partner_web_origin_origin ON partner_web_origin (origin)',
    );
    await queryRunner.query(`
      CREATE TABLE partner_web_origin_change (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partner (id),
        origin text NOT NULL,
        action text NOT NULL CHECK (action IN ('ADDED', 'REMOVED')),
        changed_by text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      'CREATE INDEX partner_web_origin_change_partner ON partner_web_origin_change (partner_id, changed_at DESC, id DESC)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE partner_web_origin_change');
    await queryRunner.query('DROP TABLE partner_web_origin');
  }
}
