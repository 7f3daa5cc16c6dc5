import pg from 'pg';
import { LRUCache } from 'lru-cache';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { ensureDatabase } from '@coalition/shared/db/data-source';
import { limits } from '@coalition/shared/limits';
import type { Logger } from '@coalition/shared/logger';
import { storeBreaker } from './store-breaker';

/** One kind of counter: points per window of durationSeconds, blocked blockSeconds once over. */
export interface LimitSpec {
  keyPrefix: string;
  points: number;
  durationSeconds: number;
  blockSeconds?: number;
  /**
   * Once a key is over its points, refuse it from this process's memory until its window ends,
   * without asking the store again: a client hammering past its limit costs the counter database
   * one round trip per gateway, not one per refused request.
   */
  refuseOverFromMemory?: boolean;
}

/** Where the gateway keeps its counters. */
export interface LimiterStore {
  /** A limiter for the spec; limiters of one keyPrefix share counters whatever their points. */
  limiter(spec: LimitSpec): RateLimiterAbstract;
  /** Whether every gateway on the same database shares the counters (false: this process only). */
  readonly shared: boolean;
  close(): Promise<void>;
}

const TABLE = 'rate_limit_counter';
/** Counters that ran out an hour ago are deleted this often (the library's own cadence). */
const cleanupIntervalMs = 5 * 60_000;
const startWaitMs = 5 * limits.rateLimitStoreTimeoutMs;

function cached(build: (spec: LimitSpec) => RateLimiterAbstract) {
  const limiters = new LRUCache<string, RateLimiterAbstract>({ max: limits.rateLimitersCachedMax });
  return (spec: LimitSpec) => {
    const id = [
      spec.keyPrefix,
      spec.points,
      spec.durationSeconds,
      spec.blockSeconds ?? 0,
      spec.refuseOverFromMemory ?? false,
    ].join('|');
    let limiter = limiters.get(id);
    if (!limiter) limiters.set(id, (limiter = build(spec)));
    return limiter;
  };
}

const memoryLimiter = (spec: LimitSpec) =>
  new RateLimiterMemory({
    keyPrefix: spec.keyPrefix,
    points: spec.points,
    duration: spec.durationSeconds,
    blockDuration: spec.blockSeconds ?? 0,
  });

/** Counters in this process's memory: for a single gateway, or when no database is configured. */
export function memoryStore(): LimiterStore {
  return { limiter: cached(memoryLimiter), shared: false, close: async () => undefined };
}

/**
 * Counters in a Postgres database of their own (rate-limiter-flexible's Postgres store), so every
 * gateway replica counts against the same budget. Each limiter is insured by one in memory: while
 * the database cannot answer within rateLimitStoreTimeoutMs, this process counts alone and the
 * gateway keeps answering; after one such failure the store is not asked again for
 * rateLimitStoreRetryIntervalMs (store-breaker.ts). The database and its table are created at
 * start, and retried in the background when the server cannot be reached then.
 */
export async function postgresStore(url: string, logger: Logger): Promise<LimiterStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: limits.rateLimitStorePoolSizeMax,
    connectionTimeoutMillis: limits.rateLimitStoreTimeoutMs,
    query_timeout: limits.rateLimitStoreTimeoutMs,
    application_name: 'coalition-gateway',
  });
  pool.on('error', (error) => logger.warn({ err: error }, 'rate-limit store connection lost'));
  const preparing = keepPreparing(url, pool, logger);
  // A server that does not answer at all must not hold up the start: the retries go on behind.
  await Promise.race([
    preparing.firstTry,
    new Promise((resolve) => setTimeout(resolve, startWaitMs).unref()),
  ]);
  const cleanup = setInterval(() => void deleteExpired(pool), cleanupIntervalMs).unref();
  const client = storeBreaker(pool, limits.rateLimitStoreRetryIntervalMs, logger);
  const limiter = cached(
    (spec) =>
      new RateLimiterPostgres({
        storeClient: client,
        storeType: 'pool',
        tableName: TABLE,
        // Created above (or, while the server is unreachable, refused like any query: insured).
        tableCreated: true,
        clearExpiredByTimeout: false,
        keyPrefix: spec.keyPrefix,
        points: spec.points,
        duration: spec.durationSeconds,
        blockDuration: spec.blockSeconds ?? 0,
        ...(spec.refuseOverFromMemory && { inMemoryBlockOnConsumed: spec.points + 1 }),
        insuranceLimiter: memoryLimiter(spec),
      }),
  );
  return {
    limiter,
    shared: true,
    close: async () => {
      clearInterval(cleanup);
      preparing.stop();
      await pool.end();
    },
  };
}

async function prepare(url: string, pool: pg.Pool): Promise<void> {
  await ensureDatabase(url);
  try {
    await pool.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (
      key varchar(255) PRIMARY KEY,
      points integer NOT NULL DEFAULT 0,
      expire bigint
    )`);
  } catch (error) {
    // Two gateways creating the table at once: Postgres refuses the second's type; it exists now.
    if ((error as { code?: string }).code !== '23505') throw error;
  }
}

function keepPreparing(url: string, pool: pg.Pool, logger: Logger) {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = async (): Promise<void> => {
    try {
      await prepare(url, pool);
    } catch (error) {
      logger.warn(
        { err: error, retryInMs: limits.rateLimitStoreRetryIntervalMs },
        'rate-limit store unavailable; counting in this process until it is back',
      );
      if (!stopped)
        timer = setTimeout(() => void attempt(), limits.rateLimitStoreRetryIntervalMs).unref();
    }
  };
  return {
    firstTry: attempt(),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

async function deleteExpired(pool: pg.Pool): Promise<void> {
  await pool
    .query(`DELETE FROM ${TABLE} WHERE expire < $1`, [Date.now() - 3_600_000])
    .catch(() => undefined); // the next round tries again
}
