import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Money from points: partner contracts (effective-dated prices), the settlement items taken in
 * from member facts, the money journal a cycle derives from them, and what a closed cycle keeps:
 * statement lines, net positions, payment instructions and the liability matrix.
 *
 * Prices are integers in millionths of a minor unit per point ("micros"): 0.8 cent per point is
 * 800000. Journal amounts are exact micros; statement lines round once to the minor unit.
 */
export class ContractsJournal1764122400000 implements MigrationInterface {
  name = 'ContractsJournal1764122400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE EXTENSION IF NOT EXISTS btree_gist');
    await queryRunner.query(`
      CREATE TABLE contract_version (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL,
        version integer NOT NULL,
        effective_from timestamptz NOT NULL,
        effective_to timestamptz,
        currency char(3) NOT NULL,
        issuance_price_micros bigint NOT NULL CHECK (issuance_price_micros > 0),
        redemption_rate_micros bigint NOT NULL CHECK (redemption_rate_micros > 0),
        fee_per_transaction_minor bigint NOT NULL CHECK (fee_per_transaction_minor >= 0),
        fee_per_point_micros bigint NOT NULL CHECK (fee_per_point_micros >= 0),
        fee_rate_bps integer NOT NULL CHECK (fee_rate_bps BETWEEN 0 AND 10000),
        breakage_share_bps integer NOT NULL CHECK (breakage_share_bps BETWEEN 0 AND 10000),
        created_at timestamptz NOT NULL,
        created_by text NOT NULL,
        CONSTRAINT contract_version_number UNIQUE (partner_id, version),
        CONSTRAINT contract_version_dates CHECK (effective_to IS NULL OR effective_to > effective_from),
        CONSTRAINT contract_version_no_overlap EXCLUDE USING gist (partner_id WITH =, tstzrange(effective_from, effective_to) WITH &&)
      )`);
    // What each member fact means for money, one row per partner-relevant part (a burn: one per lot link).
    await queryRunner.query(`
      CREATE TABLE settlement_item (
        tx_id numeric(20, 0) NOT NULL,
        seq bigint NOT NULL,
        n integer NOT NULL,
        kind text NOT NULL CHECK (kind IN ('ISSUANCE', 'ISSUANCE_REVERSAL', 'REDEMPTION', 'REDEMPTION_REVERSAL', 'BREAKAGE')),
        transaction_id uuid NOT NULL,
        original_transaction_id uuid,
        partner_id uuid NOT NULL,
        issuer_partner_id uuid,
        points bigint NOT NULL CHECK (points > 0),
        at timestamptz NOT NULL,
        PRIMARY KEY (tx_id, seq, n)
      )`);
    await queryRunner.query(
      'CREATE INDEX settlement_item_transaction ON settlement_item (transaction_id)',
    );
    await queryRunner.query(`
      ALTER TABLE settlement_cycle
        ADD COLUMN number integer,
        ADD COLUMN from_tx numeric(20, 0) GENERATED ALWAYS AS (split_part(from_position, '.', 1)::numeric) STORED,
        ADD COLUMN from_seq bigint GENERATED ALWAYS AS (split_part(from_position, '.', 2)::bigint) STORED,
        ADD COLUMN cutoff_tx numeric(20, 0) GENERATED ALWAYS AS (split_part(cutoff_position, '.', 1)::numeric) STORED,
        ADD COLUMN cutoff_seq bigint GENERATED ALWAYS AS (split_part(cutoff_position, '.', 2)::bigint) STORED,
        ADD COLUMN model text CHECK (model IN ('HUB', 'DIRECT')),
        ADD COLUMN base_currency char(3),
        ADD COLUMN fx_rates jsonb,
        ADD COLUMN items integer,
        ADD COLUMN closed_by text,
        ADD COLUMN approved_at timestamptz,
        ADD COLUMN approved_by text,
        ADD COLUMN paid_at timestamptz,
        ADD COLUMN paid_by text,
        ADD COLUMN payment_reference text`);
    await queryRunner.query(
      'CREATE UNIQUE INDEX settlement_cycle_number ON settlement_cycle (number)',
    );
    // At most one cycle is open at a time: the one facts are accumulating in.
    await queryRunner.query(
      `CREATE UNIQUE INDEX settlement_cycle_one_draft ON settlement_cycle ((true)) WHERE status = 'DRAFT'`,
    );
    await queryRunner.query(`
      CREATE TABLE journal_entry (
        cycle_id uuid NOT NULL REFERENCES settlement_cycle (id),
        tx_id numeric(20, 0) NOT NULL,
        seq bigint NOT NULL,
        n integer NOT NULL,
        leg smallint NOT NULL,
        kind text NOT NULL,
        transaction_id uuid NOT NULL,
        original_transaction_id uuid,
        original_cycle_id uuid,
        partner_id uuid,
        issuer_partner_id uuid,
        debit_account text NOT NULL,
        credit_account text NOT NULL,
        currency char(3) NOT NULL,
        points bigint NOT NULL,
        amount_micros bigint NOT NULL CHECK (amount_micros >= 0),
        partner_sign smallint NOT NULL CHECK (partner_sign IN (-1, 0, 1)),
        contract_version_id uuid NOT NULL,
        priced_at timestamptz NOT NULL,
        PRIMARY KEY (cycle_id, tx_id, seq, n, leg)
      )`);
    await queryRunner.query(
      'CREATE INDEX journal_entry_transaction ON journal_entry (transaction_id)',
    );
    await queryRunner.query(`
      CREATE TABLE settlement_adjustment (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL,
        currency char(3) NOT NULL,
        amount_minor bigint NOT NULL CHECK (amount_minor <> 0),
        reason text NOT NULL,
        dispute_id uuid,
        created_at timestamptz NOT NULL,
        created_by text NOT NULL,
        applied_cycle_id uuid REFERENCES settlement_cycle (id)
      )`);
    await queryRunner.query(
      'CREATE INDEX settlement_adjustment_pending ON settlement_adjustment (created_at) WHERE applied_cycle_id IS NULL',
    );
    await queryRunner.query(`
      CREATE TABLE statement_line (
        cycle_id uuid NOT NULL REFERENCES settlement_cycle (id),
        party text NOT NULL,
        currency char(3) NOT NULL,
        line_no integer NOT NULL,
        kind text NOT NULL,
        original_cycle_id uuid,
        adjustment_id uuid,
        entries integer NOT NULL,
        points bigint NOT NULL,
        exact_micros numeric NOT NULL,
        amount_minor bigint NOT NULL,
        PRIMARY KEY (cycle_id, party, currency, line_no)
      )`);
    await queryRunner.query(`
      CREATE TABLE cycle_position (
        cycle_id uuid NOT NULL REFERENCES settlement_cycle (id),
        party text NOT NULL,
        currency char(3) NOT NULL,
        net_minor bigint NOT NULL,
        PRIMARY KEY (cycle_id, party, currency)
      )`);
    await queryRunner.query(`
      CREATE TABLE payment_instruction (
        cycle_id uuid NOT NULL REFERENCES settlement_cycle (id),
        seq integer NOT NULL,
        currency char(3) NOT NULL,
        payer text NOT NULL,
        payee text NOT NULL,
        amount_minor bigint NOT NULL CHECK (amount_minor > 0),
        PRIMARY KEY (cycle_id, seq)
      )`);
    await queryRunner.query(`
      CREATE TABLE liability_cell (
        cycle_id uuid NOT NULL REFERENCES settlement_cycle (id),
        issuer text NOT NULL,
        redeemer uuid NOT NULL,
        points bigint NOT NULL,
        redeemer_currency char(3) NOT NULL,
        redeemer_amount_minor bigint NOT NULL,
        issuer_currency char(3),
        issuer_amount_minor bigint
      )`);
    await queryRunner.query('CREATE INDEX liability_cell_cycle ON liability_cell (cycle_id)');
    await queryRunner.query(`
      CREATE TABLE fx_rate (
        currency char(3) PRIMARY KEY,
        rate numeric(24, 12) NOT NULL CHECK (rate > 0),
        set_at timestamptz NOT NULL,
        set_by text NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'fx_rate',
      'liability_cell',
      'payment_instruction',
      'cycle_position',
      'statement_line',
      'settlement_adjustment',
      'journal_entry',
      'settlement_item',
      'contract_version',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
    await queryRunner.query('DROP INDEX settlement_cycle_one_draft');
    await queryRunner.query('DROP INDEX settlement_cycle_number');
    await queryRunner.query(`
      ALTER TABLE settlement_cycle DROP COLUMN number, DROP COLUMN from_tx, DROP COLUMN from_seq, DROP COLUMN cutoff_tx, DROP COLUMN cutoff_seq,
        DROP COLUMN model, DROP COLUMN base_currency, DROP COLUMN fx_rates, DROP COLUMN items, DROP COLUMN closed_by, DROP COLUMN approved_at,
        DROP COLUMN approved_by, DROP COLUMN paid_at, DROP COLUMN paid_by, DROP COLUMN payment_reference`);
  }
}
