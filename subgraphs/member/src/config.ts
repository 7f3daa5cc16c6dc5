import { loadConfig, settings, subgraphSettings } from '@coalition/shared/config';
import { subgraphs } from '@coalition/shared/topology';

const defaults = subgraphs.find((s) => s.name === 'member')!;

export const memberConfigShape = {
  ...subgraphSettings,
  PORT: settings.port.default(defaults.defaultPort),
  /** The partner-merchant service's feed, which keeps the wallet's partner replica current. */
  PARTNER_FEED_URL: settings.httpUrl.default('http://127.0.0.1:4002/feed'),
  /** How often the wallet expires lots past their expiry (also runnable by hand: npm run expire). */
  EXPIRY_INTERVAL_MS: settings.positiveMs.default(60_000),
  /** How often tiers are reviewed: periods ended, overrides past their end (also runTierReview). */
  TIER_REVIEW_INTERVAL_MS: settings.positiveMs.default(60_000),
};

export type MemberConfig = ReturnType<typeof loadMemberConfig>;

export function loadMemberConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig('member', memberConfigShape, env);
}
