import type { DataSource } from 'typeorm';
import type { Logger } from '@coalition/shared/logger';

/**
 * Ledger time is `ledger_now()`, the database clock. Tests may freeze it (a row in `ledger_clock`)
 * to hit expiry boundaries to the millisecond; a frozen clock in production would stop holds and
 * points from ever expiring, so the service refuses to start with one.
 */
export async function checkLedgerClock(
  dataSource: DataSource,
  logger: Logger,
  nodeEnv: string,
): Promise<void> {
  const rows: { frozen_at: Date }[] = await dataSource.query('SELECT frozen_at FROM ledger_clock');
  const frozenAt = rows[0]?.frozen_at;
  if (!frozenAt) return;
  if (nodeEnv === 'production') {
    throw new Error(
      `the ledger clock is frozen at ${frozenAt.toISOString()}: delete the row in ledger_clock before starting in production`,
    );
  }
  logger.warn({ frozenAt }, 'ledger clock is frozen');
}
