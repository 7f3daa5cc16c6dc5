import { loadConfig, settings, subgraphSettings } from '@coalition/shared/config';
import { subgraphs } from '@coalition/shared/topology';

const defaults = subgraphs.find((s) => s.name === 'partner-merchant')!;

export const partnerConfigShape = {
  ...subgraphSettings,
  PORT: settings.port.default(defaults.defaultPort),
};

export type PartnerConfig = ReturnType<typeof loadPartnerConfig>;

export function loadPartnerConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig('partner-merchant', partnerConfigShape, env);
}
