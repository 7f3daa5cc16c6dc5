import type pg from 'pg';
import { isDatabaseUnavailable } from '@coalition/shared/graphql/format-error';
import type { Logger } from '@coalition/shared/logger';

/** What rate-limiter-flexible's Postgres store calls on its client. */
export interface QueryClient {
  query(query: pg.QueryConfig): Promise<pg.QueryResult>;
}

/** A SQL error (a SQLSTATE) is the database answering; anything else is not reaching it. */
function unreachable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
  return !sqlState || isDatabaseUnavailable(error);
}

/**
 * The counter database's pool, failing fast while it is down: once a query could not reach it,
 * every query fails at once for `openMs` (the limiters then count in memory, insured), so a
 * database that hangs costs one request the timeout, not every request. The first failure of an
 * outage is logged, and so is the return.
 */
export function storeBreaker(pool: pg.Pool, openMs: number, logger: Logger): QueryClient {
  let openUntil = 0;
  let down = false;
  return {
    async query(query) {
      if (Date.now() < openUntil) throw new Error('the rate-limit store is down');
      try {
        const result = await pool.query(query);
        if (down) logger.info('rate-limit store back: counters are shared again');
        down = false;
        return result;
      } catch (error) {
        if (unreachable(error)) {
          if (!down)
            logger.warn(
              { err: error, retryInMs: openMs },
              'rate-limit store unavailable; counting in this process until it is back',
            );
          down = true;
          openUntil = Date.now() + openMs;
        }
        throw error;
      }
    },
  };
}
