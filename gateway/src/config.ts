import { z } from 'zod';
import { loadConfig, serviceSettings, settings } from '@coalition/shared/config';
import { assert } from '@coalition/shared/errors';
import { limits } from '@coalition/shared/limits';
import { gatewayDefaultPort, subgraphs, type SubgraphName } from '@coalition/shared/topology';
import { checkWebOrigin } from '@coalition/shared/web-origin';
import { defaultSubgraphUrl, supergraphPath } from './compose';
import { rateLimitSettings } from './rate-limit/rate-limit.settings';

/** CORS_ORIGINS: origins separated by commas, each scheme, host and port (https://console.example.com). */
const webOrigins = z
  .string()
  .default('')
  .transform((raw, ctx) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .flatMap((item) => {
        const checked = checkWebOrigin(item);
        if ('origin' in checked) return [checked.origin];
        ctx.addIssue({ code: 'custom', message: `${item} ${checked.problem}` });
        return [];
      }),
  );

function subgraphUrlSetting(name: SubgraphName) {
  const subgraph = subgraphs.find((candidate) => candidate.name === name);
  assert(subgraph, `${name} is in the topology`);
  return settings.httpUrl.default(defaultSubgraphUrl(subgraph.defaultPort));
}

/**
 * The gateway's settings. The subgraph URL settings are named as in shared/src/topology.ts; the
 * compiler checks that (server.ts reads `config[subgraph.urlSetting]` for every subgraph).
 */
export const gatewaySettings = {
  ...serviceSettings,
  PORT: settings.port.default(gatewayDefaultPort),
  SUPERGRAPH_PATH: z.string().min(1).default(supergraphPath),
  MEMBER_URL: subgraphUrlSetting('member'),
  PARTNER_MERCHANT_URL: subgraphUrlSetting('partner-merchant'),
  SETTLEMENT_URL: subgraphUrlSetting('settlement'),
  SUBGRAPH_TIMEOUT_MS: settings.positiveMs.default(limits.subgraphTimeoutMs),
  ...rateLimitSettings,
  CORS_ORIGINS: webOrigins,
  CORS_REFRESH_MS: settings.positiveMs.default(limits.webOriginsRefreshMs),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof gatewaySettings>>;

/** Reads and validates the gateway's settings; throws ConfigError naming every bad one. */
export function loadGatewayConfig(
  env: Record<string, string | undefined> = process.env,
): GatewayConfig {
  return loadConfig('gateway', gatewaySettings, env);
}
