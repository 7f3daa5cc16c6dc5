import { loadConfig, settings, subgraphSettings } from '@coalition/shared/config';
import { subgraphs } from '@coalition/shared/topology';
import { currencyCode } from '@coalition/shared/validation';
import { z } from 'zod';

const defaults = subgraphs.find((s) => s.name === 'settlement')!;

export const settlementConfigShape = {
  ...subgraphSettings,
  PORT: settings.port.default(defaults.defaultPort),
  /** The member service's feed: every points fact settlement turns into money. */
  MEMBER_FEED_URL: settings.httpUrl.default('http://127.0.0.1:4001/feed'),
  /** The partner service's feed: which partners exist, and the currency each settles in. */
  PARTNER_FEED_URL: settings.httpUrl.default('http://127.0.0.1:4002/feed'),
  /** The currency the operator consolidates in; every other currency of a cycle needs an exchange rate to it. */
  SETTLEMENT_BASE_CURRENCY: currencyCode.default('EUR'),
  /** How payments flow: through the operator (HUB) or directly between partners (DIRECT). A close may override it. */
  SETTLEMENT_MODEL: z.enum(['HUB', 'DIRECT']).default('HUB'),
  /** Cycles close by themselves when their UTC day, week (from Monday) or month has ended; MANUAL: only by the operator. */
  SETTLEMENT_CYCLE_PERIOD: z.enum(['MANUAL', 'DAILY', 'WEEKLY', 'MONTHLY']).default('MONTHLY'),
  /** How often the service checks whether the open cycle is due. */
  SETTLEMENT_SCHEDULE_INTERVAL_MS: z.coerce.number().int().min(1_000).default(60_000),
};

export type SettlementConfig = ReturnType<typeof loadSettlementConfig>;

export function loadSettlementConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig('settlement', settlementConfigShape, env);
}
