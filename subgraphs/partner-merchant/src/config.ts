import { loadConfig, settings, subgraphSettings } from '@coalition/shared/config';
import { subgraphs } from '@coalition/shared/topology';

const defaults = subgraphs.find((s) => s.name === 'partner-merchant')!;

export const partnerConfigShape = {
  ...subgraphSettings,
  PORT: settings.port.default(defaults.defaultPort),
  /** The member service's route that burns the points of a reward order (a synchronous call, off the hot path). */
  REWARD_REDEMPTIONS_URL: settings.httpUrl.default(
    'http://127.0.0.1:4001/internal/reward-redemptions',
  ),
  /** How often reward orders left PENDING (the member service was unreachable) are retried. */
  REWARD_ORDER_RETRY_INTERVAL_MS: settings.positiveMs.default(5_000),
};

export type PartnerConfig = ReturnType<typeof loadPartnerConfig>;

export function loadPartnerConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig('partner-merchant', partnerConfigShape, env);
}
