import type { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFacts, type Fact } from '../shared/src/feed/outbox';
import { comparePositions, FEED_START, parsePosition } from '../shared/src/feed/position';
import { beginOutboxTransaction, openProducerDatabase } from './support/feed-producer';
import { seededRandom, sleep, type Random } from './support/random';

/**
 * docs/architecture.md, Event feeds: sequence numbers are assigned before commit, so a reader asking for
 * "everything after N" would skip a fact whose transaction commits late. These tests drive real
 * concurrent Postgres transactions against the outbox and a reader that keeps a cursor, and check
 * that the cursor never moves past a fact that becomes visible later.
 */

/** How long a test waits for the feed to show a committed fact (other suites' transactions may hold it back). */
const VISIBLE_WITHIN_MS = 10_000;
const PAGES_PER_DRAIN_MAX = 10_000;
const DIGIT_CROSSING_TRANSACTIONS_MAX = 400;
/** How far below a power of ten the id burn stops: room for other suites' transactions meanwhile. */
const DIGIT_CROSSING_MARGIN = 100n;
const STRESS_WRITERS = 10;
const STRESS_TRANSACTIONS_PER_WRITER = 25;
const STRESS_POLLS_MAX = 100_000;

/** A feed reader that remembers its cursor, as a consumer does, and checks every page it gets. */
class CursorReader {
  cursor = FEED_START;
  readonly delivered: Fact[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly pageSize: number,
  ) {}

  ids(): string[] {
    return this.delivered.map((fact) => String(fact.payload.id));
  }

  async readPage(limit: number = this.pageSize): Promise<Fact[]> {
    const page = await readFacts(this.dataSource, this.cursor, limit);
    let previous = this.cursor;
    for (const fact of page.facts) {
      expect(
        comparePositions(fact.position, previous),
        `${fact.position} comes after ${previous}`,
      ).toBe(1);
      previous = fact.position;
    }
    expect(page.next).toBe(previous);
    expect(page.facts.length).toBeLessThanOrEqual(limit);
    this.cursor = page.next;
    this.delivered.push(...page.facts);
    return page.facts;
  }

  /** Reads until the feed has nothing more to give right now. */
  async drain(): Promise<void> {
    for (let pages = 0; pages < PAGES_PER_DRAIN_MAX; pages++) {
      if ((await this.readPage()).length === 0) return;
    }
    throw new Error(`feed did not drain within ${PAGES_PER_DRAIN_MAX} pages`);
  }

  async drainUntil(done: () => boolean, timeoutMs: number = VISIBLE_WITHIN_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.drain();
      if (done()) return;
      if (Date.now() > deadline) {
        const ids = this.ids();
        throw new Error(
          `feed still lacks facts after ${timeoutMs} ms; delivered ${ids.length} (${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', …' : ''})`,
        );
      }
      await sleep(20);
    }
  }

  /** Polls a few times over a short while, as a consumer would while a writer is slow. */
  async pollAwhile(times = 4): Promise<void> {
    for (let poll = 0; poll < times; poll++) {
      await this.drain();
      await sleep(15);
    }
  }
}

/**
 * Consumes transaction ids (cheaply: one committed transaction per loop turn in a procedure) until the
 * next id is a little below a power of ten, and returns that power. Ids then gain a digit within
 * the test, as they do in production at 10^5, 10^6, ...
 */
async function burnTransactionIdsToJustBelowAPowerOfTen(dataSource: DataSource): Promise<bigint> {
  const rows: { xid: string }[] = await dataSource.query(
    'SELECT pg_current_xact_id()::text AS xid',
  );
  const current = BigInt(rows[0]?.xid ?? '0');
  let boundary = 10n ** BigInt(current.toString().length);
  if (boundary - current < DIGIT_CROSSING_MARGIN * 2n) boundary *= 10n;
  const burn = boundary - current - DIGIT_CROSSING_MARGIN;
  await dataSource.query(`CREATE PROCEDURE burn_xids(n bigint) LANGUAGE plpgsql AS $$
    BEGIN
      FOR i IN 1..n LOOP
        PERFORM pg_current_xact_id();
        COMMIT;
      END LOOP;
    END $$`);
  await dataSource.query(`CALL burn_xids(${burn.toString()})`);
  return boundary;
}

async function seqsAfter(dataSource: DataSource, seq: bigint): Promise<bigint[]> {
  const rows: { seq: string }[] = await dataSource.query(
    'SELECT seq FROM outbox WHERE seq > $1 ORDER BY seq',
    [seq.toString()],
  );
  return rows.map((row) => BigInt(row.seq));
}

function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
}

describe('the event feed when transactions commit out of order', () => {
  let producer: DataSource;

  beforeEach(async () => {
    producer = await openProducerDatabase('feed_ordering', 16);
  });

  afterEach(async () => {
    await producer?.destroy();
  });

  it('holds back a fact committed early until the older transaction still writing has committed, then delivers both once', async () => {
    const reader = new CursorReader(producer, 10);
    const older = await beginOutboxTransaction(producer);
    await older.append(['older']);
    const younger = await beginOutboxTransaction(producer);
    await younger.append(['younger']);
    expect(await younger.xid()).toBeGreaterThan(await older.xid());
    await younger.commit();

    await reader.pollAwhile();
    expect(reader.ids(), 'nothing may pass the still-open older transaction').toEqual([]);
    expect(reader.cursor).toBe(FEED_START);

    await older.commit();
    await reader.drainUntil(() => reader.delivered.length >= 2);
    await reader.pollAwhile();
    expect(reader.ids()).toEqual(['older', 'younger']);
  });

  it('delivers every fact once when a transaction takes its id first, appends its fact last and commits first', async () => {
    const reader = new CursorReader(producer, 10);
    const early = await beginOutboxTransaction(producer);
    const earlyXid = await early.xid();
    await reader.pollAwhile(1);

    const late = await beginOutboxTransaction(producer);
    await late.append(['late']);
    expect(await late.xid()).toBeGreaterThan(earlyXid);
    await reader.pollAwhile(1);
    expect(reader.ids()).toEqual([]);

    await early.append(['early']);
    const lateSeq = await late.seqOf('late');
    const earlySeq = await early.seqOf('early');
    expect(lateSeq, 'the late committer holds the lower sequence number').toBeLessThan(earlySeq);
    await reader.pollAwhile(1);
    expect(reader.ids()).toEqual([]);

    await early.commit();
    // The trap, live: the early fact is delivered while a fact with a lower sequence number is still uncommitted.
    await reader.drainUntil(() => reader.ids().includes('early'));
    expect(reader.ids()).toEqual(['early']);
    const naiveFirstPage = await seqsAfter(producer, 0n);
    await reader.pollAwhile();
    expect(reader.ids()).toEqual(['early']);

    await late.commit();
    await reader.drainUntil(() => reader.delivered.length >= 2);
    await reader.pollAwhile();
    expect(reader.ids()).toEqual(['early', 'late']);
    // Control: a reader keyed on sequence numbers would have taken the early fact, moved its cursor
    // to that seq, and never seen the late one.
    expect(naiveFirstPage).toEqual([earlySeq]);
    expect(await seqsAfter(producer, earlySeq)).toEqual([]);
  });

  it('keeps feed order numeric where transaction ids gain a digit, so no page jumps over facts', async () => {
    const boundary = await burnTransactionIdsToJustBelowAPowerOfTen(producer);
    const heldBelow = await beginOutboxTransaction(producer);
    await heldBelow.append(['held-below']);
    const written: { id: string; xid: bigint }[] = [
      { id: 'held-below', xid: await heldBelow.xid() },
    ];
    for (
      let t = 0;
      t < DIGIT_CROSSING_TRANSACTIONS_MAX && (written.at(-1)?.xid ?? 0n) < boundary + 3n;
      t++
    ) {
      const tx = await beginOutboxTransaction(producer);
      await tx.append([`t${t}`]);
      written.push({ id: `t${t}`, xid: await tx.xid() });
      await tx.commit();
    }
    const xids = written.map((w) => w.xid);
    expect(
      xids.some((xid) => xid < boundary) && xids.some((xid) => xid >= boundary),
      `ids straddle ${boundary}`,
    ).toBe(true);

    const reader = new CursorReader(producer, 3);
    await reader.pollAwhile(2);
    expect(reader.ids(), 'nothing may pass the open transaction below the boundary').toEqual([]);
    await heldBelow.commit();
    await reader.drainUntil(() => reader.delivered.length >= written.length);
    await reader.pollAwhile(2);
    expect(reader.ids()).toEqual(
      [...written].sort((a, b) => (a.xid < b.xid ? -1 : 1)).map((w) => w.id),
    );
  });

  it('delivers exactly the committed facts, each once and in order, to a reader polling among randomized concurrent writers', async () => {
    const random = seededRandom('feed ordering stress');
    // The writers' ~250 transactions carry the ids across a power of ten, too.
    const boundary = await burnTransactionIdsToJustBelowAPowerOfTen(producer);
    const ledger: Ledger = { committed: new Set(), rolledBack: new Set() };
    const reader = new CursorReader(producer, 5);
    let writing = true;
    const writers = Promise.all(
      Array.from({ length: STRESS_WRITERS }, (_, writer) =>
        runWriter(producer, random, writer, ledger),
      ),
    ).finally(() => {
      writing = false;
    });
    const reading = (async () => {
      for (let polls = 0; writing && polls < STRESS_POLLS_MAX; polls++) {
        await reader.readPage(random.int(1, 8));
        await sleep(random.int(0, 3));
      }
    })();
    await Promise.all([writers, reading]);
    console.log(
      `stress: ${ledger.committed.size} facts committed, ${ledger.rolledBack.size} rolled back, ${reader.delivered.length} delivered while writing`,
    );

    await reader.drainUntil(() => reader.delivered.length >= ledger.committed.size);
    await reader.pollAwhile();
    const ids = reader.ids();
    expect(duplicates(ids)).toEqual([]);
    expect(ids.filter((id) => ledger.rolledBack.has(id))).toEqual([]);
    expect([...ledger.committed].filter((id) => !ids.includes(id))).toEqual([]);
    expect(new Set(ids)).toEqual(ledger.committed);
    expect(ledger.committed.size).toBeGreaterThan(STRESS_WRITERS * STRESS_TRANSACTIONS_PER_WRITER);
    expect(ledger.rolledBack.size).toBeGreaterThan(0);
    const txIds = reader.delivered.map((fact) => parsePosition(fact.position)?.txId ?? 0n);
    expect(
      txIds.some((id) => id < boundary) && txIds.some((id) => id >= boundary),
      `ids straddle ${boundary}`,
    ).toBe(true);
  });
});

interface Ledger {
  committed: Set<string>;
  rolledBack: Set<string>;
}

/**
 * One writer's run of transactions: some take their id before appending (so their facts carry a low
 * transaction id and a high sequence number), some append in several statements with pauses, some
 * commit late, some roll back.
 */
async function runWriter(
  dataSource: DataSource,
  random: Random,
  writer: number,
  ledger: Ledger,
): Promise<void> {
  for (let t = 0; t < STRESS_TRANSACTIONS_PER_WRITER; t++) {
    const tx = await beginOutboxTransaction(dataSource);
    const ids: string[] = [];
    try {
      if (random.chance(0.3)) await tx.xid();
      await sleep(random.int(0, 10));
      const statements = random.int(1, 3);
      for (let s = 0; s < statements; s++) {
        const batch = Array.from(
          { length: random.int(1, 2) },
          (_, f) => `w${writer}-t${t}-s${s}-f${f}`,
        );
        await tx.append(batch, `member-${random.int(0, 4)}`);
        ids.push(...batch);
        await sleep(random.int(0, 8));
      }
      if (random.chance(0.1)) await sleep(random.int(40, 150));
    } catch (error) {
      await tx.rollback();
      throw error;
    }
    const outcome = random.chance(0.15) ? ledger.rolledBack : ledger.committed;
    await (outcome === ledger.rolledBack ? tx.rollback() : tx.commit());
    for (const id of ids) outcome.add(id);
  }
}
