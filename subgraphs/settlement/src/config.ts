import { loadConfig, settings, subgraphSettings } from '@coalition/shared/config';
import { subgraphs } from '@coalition/shared/topology';

const defaults = subgraphs.find((s) => s.name === 'settlement')!;

export const settlementConfigShape = {
  ...subgraphSettings,
  PORT: settings.port.default(defaults.defaultPort),
  /** The member service's feed: every points fact settlement turns into money. */
  MEMBER_FEED_URL: settings.httpUrl.default('http://127.0.0.1:4001/feed'),
};

export type SettlementConfig = ReturnType<typeof loadSettlementConfig>;

export function loadSettlementConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig('settlement', settlementConfigShape, env);
}
