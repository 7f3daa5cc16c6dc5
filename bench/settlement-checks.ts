import type pg from 'pg';

/**
 * What a closed cycle must satisfy, checked from the rows it wrote and, where it can be, against
 * the settlement items it was computed from (not from the journal it derived): a benchmark that
 * got faster by computing something else would fail here.
 */

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface CycleRows {
  items: number;
  journalEntries: number;
  statementLines: number;
  positions: number;
  paymentInstructions: number;
  liabilityCells: number;
}

export async function rowsOf(client: pg.Client, cycleId: string): Promise<CycleRows> {
  const count = async (table: string) =>
    Number(
      (await client.query(`SELECT count(*) AS n FROM ${table} WHERE cycle_id = $1`, [cycleId]))
        .rows[0].n,
    );
  const cycle = await client.query<{ items: number }>(
    'SELECT items FROM settlement_cycle WHERE id = $1',
    [cycleId],
  );
  return {
    items: Number(cycle.rows[0]?.items ?? 0),
    journalEntries: await count('journal_entry'),
    statementLines: await count('statement_line'),
    positions: await count('cycle_position'),
    paymentInstructions: await count('payment_instruction'),
    liabilityCells: await count('liability_cell'),
  };
}

const RANGE = `(i.tx_id, i.seq) > (c.from_tx, c.from_seq) AND (i.tx_id, i.seq) <= (c.cutoff_tx, c.cutoff_seq)`;

export async function checkCycle(
  client: pg.Client,
  cycleId: string,
  expectedCutoff: string,
): Promise<Check[]> {
  const one = async <T>(sql: string): Promise<T> =>
    (await client.query(sql, [cycleId])).rows[0] as T;
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  const cycle = await one<{ status: string; cutoff_position: string; items: number }>(
    'SELECT status, cutoff_position, items FROM settlement_cycle WHERE id = $1',
  );
  add(
    'closed at the feed cursor',
    cycle.status === 'CLOSED' && cycle.cutoff_position === expectedCutoff,
    `${cycle.status} at ${cycle.cutoff_position}`,
  );

  const inRange = await one<{ n: string }>(
    `SELECT count(*) AS n FROM settlement_item i, settlement_cycle c WHERE c.id = $1 AND ${RANGE}`,
  );
  add(
    'every item of the range counted',
    Number(inRange.n) === cycle.items,
    `cycle.items ${cycle.items}, items in range ${inRange.n}`,
  );

  const journaled = await one<{ n: string }>(
    'SELECT count(*) AS n FROM (SELECT DISTINCT tx_id, seq, n FROM journal_entry WHERE cycle_id = $1) j',
  );
  add(
    'journal entries cover every item',
    Number(journaled.n) === cycle.items,
    `${journaled.n} items journaled of ${cycle.items}`,
  );

  const zero = await client.query<{ currency: string; total: string }>(
    'SELECT currency, sum(net_minor)::text AS total FROM cycle_position WHERE cycle_id = $1 GROUP BY currency',
    [cycleId],
  );
  add(
    'positions sum to zero per currency',
    zero.rows.length > 0 && zero.rows.every((r) => r.total === '0'),
    zero.rows.map((r) => `${r.currency} ${r.total}`).join(', '),
  );

  const unbalanced = await one<{ n: string; parties: string }>(
    `SELECT count(*) AS n, (SELECT count(*) FROM cycle_position WHERE cycle_id = $1) AS parties FROM (
       SELECT p.party FROM cycle_position p
         LEFT JOIN (SELECT party, currency, sum(amount_minor) AS lines FROM statement_line WHERE cycle_id = $1 GROUP BY party, currency) l USING (party, currency)
        WHERE p.cycle_id = $1 AND p.net_minor IS DISTINCT FROM l.lines) x`,
  );
  add(
    'statement lines sum to each net',
    unbalanced.n === '0',
    `${unbalanced.n} of ${unbalanced.parties} positions differ from their lines`,
  );

  // Partner lines' points per kind against the items themselves. Breakage is compared on the
  // journal's operator leg instead: a partner without a breakage share has no BREAKAGE_SHARE line.
  const points = await client.query<{ kind: string; items: string; lines: string }>(
    `WITH items AS (
       SELECT i.kind, sum(i.points) AS points FROM settlement_item i, settlement_cycle c WHERE c.id = $1 AND ${RANGE} GROUP BY i.kind
     ), lines AS (
       SELECT kind, sum(points) AS points FROM statement_line WHERE cycle_id = $1 AND party <> 'operator' GROUP BY kind
     )
     SELECT i.kind, i.points::text AS items, coalesce((SELECT sum(points) FROM lines l WHERE l.kind = i.kind), 0)::text AS lines
       FROM items i WHERE i.kind <> 'BREAKAGE' ORDER BY i.kind`,
    [cycleId],
  );
  add(
    "line points per kind equal the items'",
    points.rows.length > 0 && points.rows.every((r) => r.items === r.lines),
    points.rows.map((r) => `${r.kind} ${r.items}/${r.lines}`).join(', '),
  );

  const breakage = await one<{ items: string; journal: string }>(
    `SELECT (SELECT coalesce(sum(i.points), 0) FROM settlement_item i, settlement_cycle c WHERE c.id = $1 AND ${RANGE} AND i.kind = 'BREAKAGE')::text AS items,
            (SELECT coalesce(sum(points), 0) FROM journal_entry WHERE cycle_id = $1 AND kind = 'BREAKAGE_OPERATOR')::text AS journal`,
  );
  add(
    'breakage points journaled',
    breakage.items === breakage.journal,
    `${breakage.items} items / ${breakage.journal} journaled`,
  );

  const hub = await one<{ nonzero: string; instructions: string }>(
    `SELECT (SELECT count(*) FROM cycle_position WHERE cycle_id = $1 AND party <> 'operator' AND net_minor <> 0) AS nonzero,
            (SELECT count(*) FROM payment_instruction WHERE cycle_id = $1) AS instructions`,
  );
  add(
    'one hub payment per partner with a non-zero net',
    hub.nonzero === hub.instructions,
    `${hub.instructions} instructions, ${hub.nonzero} non-zero partner nets`,
  );
  return checks;
}
