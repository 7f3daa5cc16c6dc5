import type pg from 'pg';

/**
 * Member facts for the settlement benchmark, written set-based (generate_series) straight into
 * settlement's intake tables, member_fact and settlement_item, as the member feed would have left
 * them: a fact per producer transaction, positions "<1000 + i>.<i>" for fact i = 0, 1, 2, …, and the
 * settlement items settlementItemsOf derives from each fact. Everything is a pure function of i,
 * so a run is reproducible and a refund can name the transaction it reverses without a lookup.
 *
 * The mix, by i mod 100 (every hundred facts):
 * - 0–59 points.earned: one ISSUANCE at a random one of the partners, 1–500 points;
 * - 60–89 points.burned: one REDEMPTION per lot link, 1–3 links from different issuers (one link
 *   in fifty is operator-funded: no issuer), 1–300 points each;
 * - 90–93 purchase.refunded: an ISSUANCE_REVERSAL of half an earlier earn; one in ten reverses an
 *   earn of the cycle before (facts 0..previousEnd), the rest one up to 5,000 facts back;
 * - 94–95 burn.refunded: a REDEMPTION_REVERSAL of half an earlier burn's first link, likewise;
 * - 96–98 points.expired: one BREAKAGE per issuer, 1–2 issuers, 1–200 points each;
 * - 99 points.adjusted: an operator adjustment, which moves no money (no item).
 * That is about 1.32 settlement items per fact.
 *
 * Partners: `partners` of them, the last tenth settling in GBP, the rest in EUR; every fifth
 * changes its prices halfway through the benchmark's time span (a second contract version), so
 * items and the reversals priced at their originals' time meet both versions.
 */

export interface FactSpace {
  partners: number;
  /** Facts 0..previousEnd belong to the cycle before the measured one. */
  previousEnd: number;
  /** The last fact ever generated: times are spread evenly over the span up to it. */
  lastFact: number;
}

export const SPAN_START = '2026-10-01T00:00:00Z';
const SPAN_SECONDS = 60 * 24 * 3600;
export const CONTRACTS_FROM = '2026-01-01T00:00:00Z';
export const GBP_RATE = '1.1734';

/** The uuid of partner p (1-based): deterministic, readable in a query plan. */
export const partnerUuid = (p: number) =>
  `00000000-0000-4000-8000-${p.toString(16).padStart(12, '0')}`;

/** Helper functions, inlined by the planner (single-statement IMMUTABLE SQL functions). */
function functionsSql(space: FactSpace): string[] {
  const step = SPAN_SECONDS / space.lastFact;
  return [
    'CREATE SCHEMA bench_gen',
    // A non-negative 63-bit hash of (i, k): independent random choices per k.
    `CREATE FUNCTION bench_gen.h(i bigint, k integer) RETURNS bigint IMMUTABLE PARALLEL SAFE LANGUAGE sql
       AS $$ SELECT hashint8extended(i, k) & 9223372036854775807 $$`,
    `CREATE FUNCTION bench_gen.partner(p bigint) RETURNS uuid IMMUTABLE PARALLEL SAFE LANGUAGE sql
       AS $$ SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(p), 12, '0'))::uuid $$`,
    `CREATE FUNCTION bench_gen.tx(i bigint) RETURNS uuid IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$ SELECT md5('tx-' || i)::uuid $$`,
    `CREATE FUNCTION bench_gen.at(i bigint) RETURNS timestamptz IMMUTABLE PARALLEL SAFE LANGUAGE sql
       AS $$ SELECT timestamptz '${SPAN_START}' + (i * ${step}) * interval '1 second' $$`,
    `CREATE FUNCTION bench_gen.buyer(i bigint) RETURNS bigint IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$ SELECT 1 + bench_gen.h(i, 1) % ${space.partners} $$`,
    `CREATE FUNCTION bench_gen.earned(i bigint) RETURNS bigint IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$ SELECT 1 + bench_gen.h(i, 2) % 500 $$`,
    `CREATE FUNCTION bench_gen.links(i bigint, m integer) RETURNS bigint IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$ SELECT 1 + bench_gen.h(i, 3) % m $$`,
    // Link k's issuer: distinct per k (steps of 7 < partners); null (operator-funded) one time in fifty.
    `CREATE FUNCTION bench_gen.issuer(i bigint, k bigint) RETURNS bigint IMMUTABLE PARALLEL SAFE LANGUAGE sql
       AS $$ SELECT CASE WHEN bench_gen.h(i, 10 + k::integer) % 50 = 0 THEN NULL ELSE 1 + (bench_gen.h(i, 4) + 7 * k) % ${space.partners} END $$`,
    `CREATE FUNCTION bench_gen.lot_issuer(i bigint, k bigint) RETURNS bigint IMMUTABLE PARALLEL SAFE LANGUAGE sql
       AS $$ SELECT 1 + (bench_gen.h(i, 4) + 7 * k) % ${space.partners} $$`,
    `CREATE FUNCTION bench_gen.burned(i bigint, k bigint) RETURNS bigint IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$ SELECT 1 + bench_gen.h(i, 20 + k::integer) % 300 $$`,
    // The fact a refund at i reverses: an earlier fact whose i mod 100 lies in [lo, lo + width).
    `CREATE FUNCTION bench_gen.reversed(i bigint, lo integer, width integer) RETURNS bigint IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$
       SELECT CASE
         WHEN i > ${space.previousEnd} AND bench_gen.h(i, 5) % 10 = 0
           THEN 100 * (bench_gen.h(i, 6) % ${Math.floor(space.previousEnd / 100)}) + lo + bench_gen.h(i, 7) % width
         WHEN i - i % 100 - 100 * (1 + bench_gen.h(i, 6) % 50) >= 0
           THEN i - i % 100 - 100 * (1 + bench_gen.h(i, 6) % 50) + lo + bench_gen.h(i, 7) % width
         ELSE lo + bench_gen.h(i, 7) % width
       END $$`,
  ];
}

/** The settlement items of facts from..to, in the shape of settlementItemsOf. */
function itemsSql(from: number, to: number): string {
  return `
    INSERT INTO settlement_item (tx_id, seq, n, kind, transaction_id, original_transaction_id, partner_id, issuer_partner_id, points, at)
    SELECT 1000 + g.i, g.i, it.n, it.kind, bench_gen.tx(g.i), it.original_transaction_id, bench_gen.partner(it.partner), bench_gen.partner(it.issuer), it.points, bench_gen.at(g.i)
      FROM generate_series(${from}::bigint, ${to}::bigint) AS g(i)
      CROSS JOIN LATERAL (
        SELECT 0 AS n, 'ISSUANCE' AS kind, NULL::uuid AS original_transaction_id, bench_gen.buyer(g.i) AS partner, bench_gen.buyer(g.i) AS issuer, bench_gen.earned(g.i) AS points
         WHERE g.i % 100 < 60
        UNION ALL
        SELECT k, 'REDEMPTION', NULL, bench_gen.buyer(g.i), bench_gen.issuer(g.i, k), bench_gen.burned(g.i, k)
          FROM generate_series(0, bench_gen.links(g.i, 3) - 1) AS k
         WHERE g.i % 100 BETWEEN 60 AND 89
        UNION ALL
        SELECT 0, 'ISSUANCE_REVERSAL', bench_gen.tx(o.j), bench_gen.buyer(o.j), bench_gen.buyer(o.j), 1 + (bench_gen.earned(o.j) - 1) / 2
          FROM (SELECT bench_gen.reversed(g.i, 0, 60) AS j) o
         WHERE g.i % 100 BETWEEN 90 AND 93
        UNION ALL
        SELECT 0, 'REDEMPTION_REVERSAL', bench_gen.tx(o.j), bench_gen.buyer(o.j), NULL, 1 + (bench_gen.burned(o.j, 0) - 1) / 2
          FROM (SELECT bench_gen.reversed(g.i, 60, 30) AS j) o
         WHERE g.i % 100 BETWEEN 94 AND 95
        UNION ALL
        SELECT k, 'BREAKAGE', NULL, bench_gen.lot_issuer(g.i, k), bench_gen.lot_issuer(g.i, k), 1 + bench_gen.h(g.i, 20 + k::integer) % 200
          FROM generate_series(0, bench_gen.links(g.i, 2) - 1) AS k
         WHERE g.i % 100 BETWEEN 96 AND 98
      ) it`;
}

/** The member facts themselves, with payloads shaped as the member feed sends them. */
function factsSql(from: number, to: number): string {
  const iso = (t: string) => `to_char(${t} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const links = (count: string, issuer: string, points: string) =>
    `(SELECT jsonb_agg(jsonb_build_object('issuerPartnerId', bench_gen.partner(${issuer}), 'points', (${points})::text) ORDER BY k) FROM generate_series(0, ${count} - 1) AS k)`;
  return `
    INSERT INTO member_fact (tx_id, seq, type, key, payload, recorded_at, received_at)
    SELECT 1000 + i, i, f.type, f.member, f.payload, bench_gen.at(i), bench_gen.at(i) + interval '150 milliseconds'
      FROM generate_series(${from}::bigint, ${to}::bigint) AS g(i)
      CROSS JOIN LATERAL (SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(bench_gen.h(i, 8) % 200000), 12, '0')) AS member, ${iso('bench_gen.at(i)')} AS at) m
      CROSS JOIN LATERAL (
        SELECT CASE WHEN i % 100 < 60 THEN 'points.earned' WHEN i % 100 < 90 THEN 'points.burned' WHEN i % 100 < 94 THEN 'purchase.refunded'
                    WHEN i % 100 < 96 THEN 'burn.refunded' WHEN i % 100 < 99 THEN 'points.expired' ELSE 'points.adjusted' END AS type,
               m.member,
               jsonb_build_object('transactionId', bench_gen.tx(i), 'memberId', m.member, 'at', m.at) || CASE
                 WHEN i % 100 < 60 THEN jsonb_build_object('partnerId', bench_gen.partner(bench_gen.buyer(i)), 'points', bench_gen.earned(i)::text)
                 WHEN i % 100 < 90 THEN jsonb_build_object('partnerId', bench_gen.partner(bench_gen.buyer(i)), 'links', ${links('bench_gen.links(i, 3)', 'bench_gen.issuer(i, k)', 'bench_gen.burned(i, k)')})
                 WHEN i % 100 < 94 THEN jsonb_build_object('partnerId', bench_gen.partner(bench_gen.buyer(bench_gen.reversed(i, 0, 60))), 'reversesId', bench_gen.tx(bench_gen.reversed(i, 0, 60)),
                                                           'points', (1 + (bench_gen.earned(bench_gen.reversed(i, 0, 60)) - 1) / 2)::text)
                 WHEN i % 100 < 96 THEN jsonb_build_object('partnerId', bench_gen.partner(bench_gen.buyer(bench_gen.reversed(i, 60, 30))), 'reversesId', bench_gen.tx(bench_gen.reversed(i, 60, 30)),
                                                           'points', (1 + (bench_gen.burned(bench_gen.reversed(i, 60, 30), 0) - 1) / 2)::text)
                 WHEN i % 100 < 99 THEN jsonb_build_object('links', ${links('bench_gen.links(i, 2)', 'bench_gen.lot_issuer(i, k)', '1 + bench_gen.h(i, 20 + k::integer) % 200')})
                 ELSE jsonb_build_object('points', '-' || (1 + bench_gen.h(i, 2) % 50)::text, 'reason', 'goodwill')
               END AS payload
      ) f`;
}

/**
 * Contracts for every partner (every fifth with a second version from the middle of the span),
 * realistic prices and fees, and the GBP exchange rate the GBP partners need.
 */
export async function writeContracts(client: pg.Client, space: FactSpace): Promise<void> {
  const middle = `timestamptz '${SPAN_START}' + interval '${SPAN_SECONDS / 2} seconds'`;
  await client.query(`
    INSERT INTO contract_version (id, partner_id, version, effective_from, effective_to, currency, issuance_price_micros, redemption_rate_micros,
                                  fee_per_transaction_minor, fee_per_point_micros, fee_rate_bps, breakage_share_bps, created_at, created_by)
    SELECT md5('contract-' || p || '-' || v)::uuid, bench_gen.partner(p), v,
           CASE v WHEN 1 THEN timestamptz '${CONTRACTS_FROM}' ELSE ${middle} END,
           CASE WHEN v = 1 AND p % 5 = 0 THEN ${middle} END,
           CASE WHEN p > ${space.partners} - ${Math.floor(space.partners / 10)} THEN 'GBP' ELSE 'EUR' END,
           800000 + (p * 37 % 41) * 10000 + (v - 1) * 50000,
           700000 + (p * 53 % 31) * 10000 + (v - 1) * 25000,
           CASE WHEN p % 3 = 0 THEN 5 ELSE 0 END,
           CASE WHEN p % 3 = 0 THEN 10000 ELSE 0 END,
           CASE WHEN p % 3 <> 2 THEN 100 ELSE 0 END,
           CASE WHEN p % 4 = 0 THEN 0 ELSE 2500 END,
           timestamptz '${CONTRACTS_FROM}', 'operator:bench'
      FROM generate_series(1, ${space.partners}) AS p
      CROSS JOIN generate_series(1, 2) AS v
     WHERE v = 1 OR p % 5 = 0`);
  await client.query(
    `INSERT INTO fx_rate (currency, rate, set_at, set_by) VALUES ('GBP', ${GBP_RATE}, now(), 'operator:bench')`,
  );
}

export async function createGenerator(client: pg.Client, space: FactSpace): Promise<void> {
  if (space.partners < 10)
    throw new Error('the benchmark needs at least 10 partners (issuers step by 7)');
  if (space.previousEnd < 100) throw new Error('the cycle before needs at least 100 facts');
  for (const sql of functionsSql(space)) await client.query(sql);
}

export async function dropGenerator(client: pg.Client): Promise<void> {
  await client.query('DROP SCHEMA bench_gen CASCADE');
}

/** Facts from..to (inclusive) and their items, in chunks so progress shows; returns the items written. */
export async function writeFacts(
  client: pg.Client,
  from: number,
  to: number,
  chunk: number,
  onChunk?: (done: number) => void,
): Promise<number> {
  let items = 0;
  for (let start = from; start <= to; start += chunk) {
    const end = Math.min(to, start + chunk - 1);
    await client.query(factsSql(start, end));
    items += (await client.query(itemsSql(start, end))).rowCount ?? 0;
    onChunk?.(end);
  }
  return items;
}

export const positionOf = (i: number) => `${1000 + i}.${i}`;

/** Where the member feed's consumer stands: a close cuts the cycle here. */
export async function setFeedCursor(
  client: pg.Client,
  consumer: string,
  lastFact: number,
): Promise<void> {
  await client.query(
    `INSERT INTO feed_cursor (consumer, position, facts_applied, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (consumer) DO UPDATE SET position = excluded.position, facts_applied = excluded.facts_applied, updated_at = now()`,
    [consumer, positionOf(lastFact), lastFact],
  );
}
