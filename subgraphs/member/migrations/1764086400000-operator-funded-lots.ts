import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Operator adjustments credit points no partner issued: such a lot has no issuing partner (the operator funds it). */
export class OperatorFundedLots1764086400000 implements MigrationInterface {
  name = 'OperatorFundedLots1764086400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE lot ALTER COLUMN issuer_partner_id DROP NOT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE lot ALTER COLUMN issuer_partner_id SET NOT NULL');
  }
}
