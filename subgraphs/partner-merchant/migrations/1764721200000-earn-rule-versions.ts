import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Versioned, effective-dated earn rules. A version runs from its effective_from until the next
 * live (not withdrawn) version's; two live versions never start at the same instant. Existing
 * partners get version 1 from their onboarding on: their base rate and nothing else (the JSON is
 * written out here rather than built by shared code, so this migration never changes meaning).
 */
export class EarnRuleVersions1764721200000 implements MigrationInterface {
  name = 'EarnRuleVersions1764721200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE earn_rule_version (
        partner_id uuid NOT NULL REFERENCES partner (id),
        version integer NOT NULL CHECK (version > 0),
        effective_from timestamptz NOT NULL,
        rules jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        created_by text NOT NULL,
        withdrawn_at timestamptz,
        withdrawn_by text,
        PRIMARY KEY (partner_id, version),
        CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL))
      )`);
    await queryRunner.query(
      'CREATE UNIQUE INDEX earn_rule_version_effective_unique ON earn_rule_version (partner_id, effective_from) WHERE withdrawn_at IS NULL',
    );
    await queryRunner.query(`
      INSERT INTO earn_rule_version (partner_id, version, effective_from, rules, created_at, created_by)
      SELECT id, 1, created_at,
             jsonb_build_object('basePointsPerUnit', points_per_currency_unit) || '{
               "categoryRates": [], "excludedCategories": [], "minimumPurchaseMinor": "0",
               "capPerTransactionPoints": null, "capPerMemberDayPoints": null, "multipliers": [],
               "firstPurchaseBonusPoints": "0", "stampCard": null
             }'::jsonb,
             created_at, 'migration:earn-rule-versions'
        FROM partner`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE earn_rule_version');
  }
}
