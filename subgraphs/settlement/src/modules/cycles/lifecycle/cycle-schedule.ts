import type { Logger } from '@coalition/shared/logger';
import type { SettlementCycle } from '../settlement-cycle.entity';

/** How often cycles close by themselves; MANUAL leaves every close to the operator. */
export type CyclePeriod = 'MANUAL' | 'DAILY' | 'WEEKLY' | 'MONTHLY';

/** The start (UTC) of the period `at` falls in: midnight, Monday midnight, or the 1st of the month. */
export function periodStart(at: Date, period: Exclude<CyclePeriod, 'MANUAL'>): Date {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  switch (period) {
    case 'DAILY':
      return new Date(day);
    case 'WEEKLY':
      return new Date(day - ((at.getUTCDay() + 6) % 7) * 86_400_000);
    case 'MONTHLY':
      return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  }
}

/** An open cycle is due once a period boundary has passed since it was opened. */
export function isDue(openedAt: Date, now: Date, period: CyclePeriod): boolean {
  if (period === 'MANUAL') return false;
  return periodStart(now, period) > openedAt;
}

/**
 * The scheduled close: when the open cycle's period has ended, close it with the coalition's
 * defaults (its model, the stored exchange rates). A refusal (a contract or a rate missing) is
 * logged and tried again next round; the operator can always close by hand. Facts that arrive
 * between the period's end and the close belong to the closed cycle: a cycle is cut at a position
 * in the fact sequence, never at a wall-clock time.
 */
export function scheduledClose(
  period: CyclePeriod,
  cycles: {
    current(): Promise<SettlementCycle>;
    close(raw: unknown, operator: string, cycleId?: string): Promise<SettlementCycle>;
  },
  logger: Logger,
  now: () => Date = () => new Date(),
): () => Promise<void> {
  return async () => {
    const open = await cycles.current();
    if (!isDue(open.openedAt, now(), period)) return;
    try {
      const closed = await cycles.close({}, 'scheduler', open.id);
      logger.info(
        { cycle: closed.number, items: closed.items, period },
        'settlement cycle closed on schedule',
      );
    } catch (error) {
      logger.warn(
        { cycle: open.number, err: error },
        'scheduled settlement close refused; the operator can close it by hand',
      );
    }
  };
}
