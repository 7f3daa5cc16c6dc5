import type { DataSource } from 'typeorm';
import type { PoolState, ServiceMetrics } from './service-metrics';

type ConnectCallback = (error: Error | undefined, ...rest: unknown[]) => void;

interface PgPool extends PoolState {
  connect(callback?: ConnectCallback): unknown;
}

/** TypeORM's postgres driver keeps pg's Pool as `master`; the one place that knows it. */
function poolOf(dataSource: DataSource): PgPool | undefined {
  return (dataSource.driver as unknown as { master?: PgPool }).master;
}

/**
 * Reports the pool's connections at every scrape, and times each wait for a connection: TypeORM
 * asks pg's pool with a callback, so the wait is from that call to the callback.
 */
export function watchDatabasePool(dataSource: DataSource, metrics: ServiceMetrics): void {
  const pool = poolOf(dataSource);
  if (!pool) return;
  metrics.watchPool(() => pool);
  const connect = pool.connect.bind(pool);
  pool.connect = (callback?: ConnectCallback) => {
    const end = metrics.dbAcquireWait.startTimer();
    if (!callback) return (connect() as Promise<unknown>).finally(() => end());
    return connect((error, ...rest) => {
      end();
      callback(error, ...rest);
    });
  };
}
