import { describe, expect, it } from 'vitest';
import { createLogger } from '@coalition/shared/logger';
import { isDue, periodStart, scheduledClose } from './cycle-schedule';
import type { SettlementCycle } from '../settlement-cycle.entity';

const at = (iso: string) => new Date(iso);

describe('cycle periods (UTC)', () => {
  it.each([
    ['DAILY', '2026-11-25T23:59:59.999Z', '2026-11-25T00:00:00.000Z'],
    ['WEEKLY', '2026-11-25T10:00:00Z', '2026-11-23T00:00:00.000Z'], // a Wednesday: back to Monday
    ['WEEKLY', '2026-11-23T00:00:00Z', '2026-11-23T00:00:00.000Z'], // a Monday
    ['WEEKLY', '2026-11-29T23:00:00Z', '2026-11-23T00:00:00.000Z'], // a Sunday
    ['MONTHLY', '2026-12-31T23:59:59Z', '2026-12-01T00:00:00.000Z'],
  ] as const)('%s period of %s starts at %s', (period, when, start) => {
    expect(periodStart(at(when), period).toISOString()).toBe(start);
  });

  it('makes an open cycle due once a boundary has passed since it opened, never for MANUAL', () => {
    expect(isDue(at('2026-11-25T10:00:00Z'), at('2026-11-25T23:59:59Z'), 'DAILY')).toBe(false);
    expect(isDue(at('2026-11-25T10:00:00Z'), at('2026-11-26T00:00:00Z'), 'DAILY')).toBe(true);
    expect(isDue(at('2026-11-25T10:00:00Z'), at('2026-11-30T00:00:00Z'), 'WEEKLY')).toBe(true);
    expect(isDue(at('2026-11-25T10:00:00Z'), at('2026-11-29T23:59:59Z'), 'WEEKLY')).toBe(false);
    expect(isDue(at('2026-11-01T00:00:00Z'), at('2026-11-30T23:59:59Z'), 'MONTHLY')).toBe(false);
    expect(isDue(at('2026-11-01T00:00:00Z'), at('2026-12-01T00:00:00Z'), 'MONTHLY')).toBe(true);
    expect(isDue(at('2020-01-01T00:00:00Z'), at('2026-12-01T00:00:00Z'), 'MANUAL')).toBe(false);
  });
});

describe('the scheduled close', () => {
  const logger = createLogger('test', 'silent');
  const open = { id: 'c1', number: 1, openedAt: at('2026-11-25T10:00:00Z') } as SettlementCycle;

  it('closes the open cycle, by id, once its period has ended, and leaves it alone before', async () => {
    const closes: (string | undefined)[] = [];
    const cycles = {
      current: async () => open,
      close: async (_: unknown, __: string, id?: string) => (
        closes.push(id),
        { ...open, status: 'CLOSED' as const }
      ),
    };
    await scheduledClose('DAILY', cycles, logger, () => at('2026-11-25T20:00:00Z'))();
    expect(closes).toEqual([]);
    await scheduledClose('DAILY', cycles, logger, () => at('2026-11-26T00:00:01Z'))();
    expect(closes).toEqual(['c1']);
  });

  it('survives a refused close (it is tried again next round)', async () => {
    const cycles = {
      current: async () => open,
      close: async () => {
        throw new Error('CONTRACT_MISSING');
      },
    };
    await expect(
      scheduledClose('DAILY', cycles, logger, () => at('2026-11-27T00:00:00Z'))(),
    ).resolves.toBeUndefined();
  });
});
