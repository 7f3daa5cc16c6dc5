import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tiers members climb (docs/tiers.md): the operator's tier ladder, versioned and effective-dated;
 * running counters per member × month × partner, which an earn updates in its own batch of writes
 * (a period's metric is a sum over at most 12 × partners rows, never a scan of the ledger); each
 * member's computed tier with the end of the period it is next reviewed for, and an operator's
 * override; the history of every change to the tier members hold.
 *
 * tier_earn_state answers, for the earn context statement, everything an earn needs to decide an
 * upgrade: the ladder in force at ledger time, the member's metrics this period before the earn,
 * whether the partner was already shopped this period, the computed tier and an override in force.
 */
export class Tiers1765188000000 implements MigrationInterface {
  name = 'Tiers1765188000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tier_ladder (
        version integer PRIMARY KEY CHECK (version > 0),
        effective_from timestamptz NOT NULL,
        metric text NOT NULL CHECK (metric IN ('QUALIFYING_POINTS', 'SPEND', 'DISTINCT_PARTNERS')),
        period text NOT NULL CHECK (period IN ('CALENDAR_YEAR', 'ROLLING_12_MONTHS')),
        time_zone text NOT NULL,
        currency char(3) NOT NULL,
        grace_days integer NOT NULL CHECK (grace_days >= 0),
        tiers jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        created_by text NOT NULL,
        CONSTRAINT tier_ladder_effective_unique UNIQUE (effective_from)
      )`);
    await queryRunner.query(`
      CREATE TABLE tier_activity (
        member_id uuid NOT NULL REFERENCES member (id),
        month date NOT NULL,
        partner_id uuid NOT NULL,
        points bigint NOT NULL CHECK (points >= 0),
        spend bigint NOT NULL CHECK (spend >= 0),
        purchases integer NOT NULL CHECK (purchases >= 0),
        PRIMARY KEY (member_id, month, partner_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE tier_status (
        member_id uuid PRIMARY KEY REFERENCES member (id),
        tier text CHECK (tier ~ '^[A-Z][A-Z0-9_]{0,31}$'),
        period_end timestamptz,
        override_tier text CHECK (override_tier ~ '^[A-Z][A-Z0-9_]{0,31}$'),
        override_reason text,
        override_ends_at timestamptz,
        override_by text,
        override_at timestamptz,
        updated_at timestamptz NOT NULL,
        CHECK ((override_tier IS NULL) = (override_ends_at IS NULL))
      )`);
    await queryRunner.query(
      'CREATE INDEX tier_status_review ON tier_status (period_end, member_id) WHERE tier IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE INDEX tier_status_override_end ON tier_status (override_ends_at) WHERE override_tier IS NOT NULL',
    );
    await queryRunner.query(`
      CREATE TABLE tier_history (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        member_id uuid NOT NULL REFERENCES member (id),
        at timestamptz NOT NULL,
        from_tier text,
        to_tier text,
        reason text NOT NULL CHECK (reason IN ('UPGRADE', 'DOWNGRADE', 'OVERRIDE', 'OVERRIDE_ENDED')),
        ladder_version integer,
        changed_by text NOT NULL
      )`);
    await queryRunner.query('CREATE INDEX tier_history_member ON tier_history (member_id, at, id)');
    await queryRunner.query(TIER_PERIOD_FUNCTION);
    await queryRunner.query(TIER_EARN_STATE_FUNCTION);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP FUNCTION tier_earn_state(uuid, uuid, timestamptz)');
    await queryRunner.query('DROP FUNCTION tier_period(text, text, timestamptz)');
    await queryRunner.query('DROP TABLE tier_history');
    await queryRunner.query('DROP TABLE tier_status');
    await queryRunner.query('DROP TABLE tier_activity');
    await queryRunner.query('DROP TABLE tier_ladder');
  }
}

/**
 * The qualification period holding an instant, in the ladder's time zone: its month (the bucket an
 * earn then counts in), its first month, and its end. A calendar year ends on 1 January; a rolling
 * 12 months is the current month and the 11 before it, and ends with the current month.
 */
const TIER_PERIOD_FUNCTION = `
  CREATE FUNCTION tier_period(period text, time_zone text, at timestamptz,
                              OUT month date, OUT first_month date, OUT ends_at timestamptz)
  LANGUAGE sql STABLE AS $$
    SELECT m, f, ((CASE WHEN period = 'CALENDAR_YEAR' THEN f + interval '1 year' ELSE m + interval '1 month' END)::timestamp AT TIME ZONE time_zone)
      FROM (SELECT date_trunc('month', at AT TIME ZONE time_zone)::date AS m) mm
      CROSS JOIN LATERAL (SELECT CASE WHEN period = 'CALENDAR_YEAR' THEN date_trunc('year', mm.m)::date
                                      ELSE (mm.m - interval '11 months')::date END AS f) ff
  $$`;

const TIER_EARN_STATE_FUNCTION = `
  CREATE FUNCTION tier_earn_state(state_member_id uuid, state_partner_id uuid, at timestamptz)
  RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH l AS (
      SELECT l.*, p.month, p.first_month, p.ends_at
        FROM tier_ladder l CROSS JOIN LATERAL tier_period(l.period, l.time_zone, at) p
       WHERE l.effective_from <= at ORDER BY l.effective_from DESC LIMIT 1),
    a AS (
      SELECT coalesce(sum(a.points), 0) AS points, coalesce(sum(a.spend), 0) AS spend,
             count(DISTINCT a.partner_id) FILTER (WHERE a.purchases > 0) AS partners,
             coalesce(bool_or(a.partner_id = state_partner_id AND a.purchases > 0), false) AS partner_seen
        FROM l JOIN tier_activity a
          ON a.member_id = state_member_id AND a.month BETWEEN l.first_month AND l.month)
    SELECT jsonb_build_object(
             'version', l.version, 'metric', l.metric, 'currency', l.currency, 'tiers', l.tiers,
             'month', l.month, 'periodEndsAt', l.ends_at,
             'points', a.points::text, 'spend', a.spend::text, 'partners', a.partners,
             'partnerSeen', a.partner_seen, 'tier', s.tier,
             'override', CASE WHEN s.override_ends_at > at THEN s.override_tier END)
      FROM l CROSS JOIN a LEFT JOIN tier_status s ON s.member_id = state_member_id
  $$`;
