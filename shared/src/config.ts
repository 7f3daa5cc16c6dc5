import { z } from 'zod';

/**
 * Configuration is read from the environment once, at start-up, and validated (STYLE.md §8).
 * A wrong or missing setting stops the process with a message naming every offending variable.
 */
export class ConfigError extends Error {
  constructor(readonly service: string, readonly problems: string[]) {
    super(`${service}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const port = z.coerce.number().int().min(0).max(65535);
const postgresUrl = z
  .string()
  .url()
  .refine((u) => /^postgres(ql)?:\/\//.test(u), 'must be a postgres:// URL');
const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s):// URL');

export const settings = {
  nodeEnv: z.enum(['development', 'test', 'production']).default('development'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  host: z.string().min(1).default('127.0.0.1'),
  port,
  postgresUrl,
  httpUrl,
  keysDir: z.string().min(1),
  positiveMs: z.coerce.number().int().positive(),
};

/** Settings every service has. */
export const serviceSettings = {
  NODE_ENV: settings.nodeEnv,
  LOG_LEVEL: settings.logLevel,
  HOST: settings.host,
  JWT_KEYS_DIR: settings.keysDir,
};

/** Settings every subgraph has on top of the service ones. */
export const subgraphSettings = {
  ...serviceSettings,
  DATABASE_URL: settings.postgresUrl,
};

export function loadConfig<S extends z.ZodRawShape>(
  service: string,
  shape: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const value = env[name];
    return value === undefined ? `${name} is required (${issue.message})` : `${name}=${JSON.stringify(value)}: ${issue.message}`;
  });
  throw new ConfigError(service, problems);
}
