import type { DataSource, EntityManager } from 'typeorm';
import { inTransaction } from '../db/transaction';
import { limits } from '../limits';
import type { Logger } from '../logger';
import type { ConsumerStats, ObservedConsumer } from '../metrics/service-metrics';
import { MalformedFactError, UnknownFactError } from './facts/catalogue';
import type { Fact, FeedPage } from './outbox';
import { FEED_START } from './position';

/** Where a consumer reads facts from: the producer's HTTP feed in production, its database in unit tests. */
export interface FeedSource {
  read(after: string, limit: number): Promise<FeedPage>;
}

export interface FeedConsumerOptions {
  /** Names the cursor row; one per consumed feed. */
  name: string;
  source: FeedSource;
  dataSource: DataSource;
  /**
   * Applies a page of facts, in feed order; runs in the same transaction that moves the cursor past
   * them. A consumer that applies facts one at a time wraps its function with `oneByOne`.
   */
  apply: (manager: EntityManager, facts: readonly Fact[]) => Promise<void>;
  logger: Logger;
  pollIntervalMs?: number;
  batchSize?: number;
}

/** A page applier from a function that applies one fact: each in turn, in feed order. */
export const oneByOne =
  (apply: (manager: EntityManager, fact: Fact) => Promise<void>) =>
  async (manager: EntityManager, facts: readonly Fact[]): Promise<void> => {
    for (const fact of facts) await apply(manager, fact);
  };

/**
 * Pulls facts and applies them exactly once: each page is applied in one transaction together
 * with the cursor update, and the cursor row is locked and re-checked so two instances of a
 * consumer (or a restarted one racing its predecessor) never apply the same page twice.
 */
export class FeedConsumer implements ObservedConsumer {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastError: string | undefined;
  private applied = 0;
  private lag = 0;

  constructor(private readonly options: FeedConsumerOptions) {}

  /** Facts applied since start, and how far behind the producer's feed the last read found it. */
  consumerStats(): ConsumerStats {
    return {
      consumer: this.options.name,
      applied: this.applied,
      lag: this.lag,
      healthy: this.healthy,
    };
  }

  async position(): Promise<string> {
    return (await this.status()).position;
  }

  /** Where the consumer stands: for readiness, operators' status queries and tests. */
  async status(): Promise<{ consumer: string; position: string; factsApplied: number }> {
    const rows: { position: string; facts_applied: string }[] = await this.options.dataSource.query(
      'SELECT position, facts_applied FROM feed_cursor WHERE consumer = $1',
      [this.options.name],
    );
    return {
      consumer: this.options.name,
      position: rows[0]?.position ?? FEED_START,
      factsApplied: Number(rows[0]?.facts_applied ?? 0),
    };
  }

  /** Fetches and applies one page; returns how many facts took effect. */
  async runOnce(): Promise<number> {
    const after = await this.position();
    const page = await this.options.source.read(
      after,
      this.options.batchSize ?? limits.feedPageSizeMax,
    );
    this.lag = page.facts.length + (page.remaining ?? 0);
    if (page.facts.length === 0) return 0;
    const applied = await inTransaction(
      this.options.dataSource,
      'READ COMMITTED',
      async (manager) => {
        await manager.query(
          `INSERT INTO feed_cursor (consumer, position) VALUES ($1, $2) ON CONFLICT (consumer) DO NOTHING`,
          [this.options.name, FEED_START],
        );
        const locked: { position: string }[] = await manager.query(
          'SELECT position FROM feed_cursor WHERE consumer = $1 FOR UPDATE',
          [this.options.name],
        );
        // Someone else applied this page meanwhile: drop it, the next round starts from their cursor.
        if (locked[0]?.position !== after) return 0;
        await this.options.apply(manager, page.facts);
        await manager.query(
          'UPDATE feed_cursor SET position = $2, facts_applied = facts_applied + $3, updated_at = now() WHERE consumer = $1',
          [this.options.name, page.next, page.facts.length],
        );
        return page.facts.length;
      },
    );
    this.applied += applied;
    if (applied > 0) this.lag = page.remaining ?? 0;
    return applied;
  }

  /** Runs until stopped: drains while there is work, then polls. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Healthy when the last round succeeded; used by readiness. */
  get healthy(): boolean {
    return this.lastError === undefined;
  }

  private async run(): Promise<void> {
    const idleMs = this.options.pollIntervalMs ?? limits.feedPollIntervalMs;
    while (this.running) {
      let applied = 0;
      try {
        applied = await this.runOnce();
        if (this.lastError)
          this.options.logger.info({ consumer: this.options.name }, 'feed consumer recovered');
        this.lastError = undefined;
      } catch (error) {
        const message = (error as Error).message;
        // A fact it cannot read stops the consumer until a deploy fixes it: that is for a person.
        const stopped = error instanceof UnknownFactError || error instanceof MalformedFactError;
        if (message !== this.lastError)
          this.options.logger[stopped ? 'error' : 'warn'](
            { consumer: this.options.name, err: error },
            stopped
              ? 'feed consumer stopped at a fact it cannot read'
              : 'feed consumer round failed',
          );
        this.lastError = message;
      }
      if (applied === 0 && this.running) await this.sleep(this.lastError ? idleMs * 4 : idleMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
