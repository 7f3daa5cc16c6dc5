import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Secret rotation without downtime: after a rotation the previous secret (hashed, like the
 * current one) keeps working until its grace period ends, so a fleet of tills can be moved over.
 */
export class ApiClientSecretRotation1764720600000 implements MigrationInterface {
  name = 'ApiClientSecretRotation1764720600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE api_client
        ADD COLUMN secret_rotated_at timestamptz,
        ADD COLUMN previous_secret_hash text,
        ADD COLUMN previous_secret_expires_at timestamptz,
        ADD CONSTRAINT api_client_previous_secret CHECK ((previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL))`);
    await queryRunner.query(
      'CREATE INDEX api_client_partner_created ON api_client (partner_id, created_at DESC, client_id DESC)',
    );
    await queryRunner.query('DROP INDEX api_client_partner');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX api_client_partner ON api_client (partner_id)');
    await queryRunner.query('DROP INDEX api_client_partner_created');
    await queryRunner.query(`
      ALTER TABLE api_client
        DROP CONSTRAINT api_client_previous_secret,
        DROP COLUMN secret_rotated_at,
        DROP COLUMN previous_secret_hash,
        DROP COLUMN previous_secret_expires_at`);
  }
}
