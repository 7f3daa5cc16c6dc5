import { z } from 'zod';

/**
 * Configuration is read from the environment once, at start-up, and validated (docs/code-style.md).
 * A wrong or missing setting stops the process with a message naming every offending variable.
 */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`${service}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** A whole number written in decimal digits: no blanks (which coerce to 0), no 1e3, no 0x10. */
const wholeNumber = (message: string) =>
  z
    .string()
    .regex(/^\d{1,10}$/, message)
    .transform(Number);
const port = wholeNumber('must be a port number, 0 to 65535').pipe(
  z.number().max(65535, 'must be a port number, 0 to 65535'),
);
const postgresUrl = z
  .string()
  .regex(
    /^postgres(ql)?:\/\/[^/]+\/[a-z_][a-z0-9_]*(\?.*)?$/,
    'must be a postgres:// URL naming a database, e.g. postgres://user:password@host:5432/coalition_member',
  );
const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'must be an http(s):// URL');

export const settings = {
  nodeEnv: z.enum(['development', 'test', 'production']).default('development'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  host: z.string().min(1).default('127.0.0.1'),
  port,
  postgresUrl,
  httpUrl,
  keysDir: z.string().min(1),
  /** A whole number from `min` up to `max`, e.g. a count of requests. */
  count: (min: number, max: number) =>
    wholeNumber('must be a whole number').pipe(
      z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
    ),
  /** A duration in ms, 1 ms to 10 minutes (timers refuse more than 2^31 ms anyway). */
  positiveMs: wholeNumber('must be a whole number of milliseconds').pipe(
    z.number().min(1, 'must be at least 1 ms').max(600_000, 'must be at most 600000 ms'),
  ),
};

/** Settings every service has. */
export const serviceSettings = {
  NODE_ENV: settings.nodeEnv,
  LOG_LEVEL: settings.logLevel,
  HOST: settings.host,
  JWT_KEYS_DIR: settings.keysDir,
  /** When set, Prometheus must send it as a bearer token to read /metrics (required in production). */
  METRICS_TOKEN: z
    .string()
    .transform((value) => value || undefined)
    .pipe(z.string().min(16, 'must be at least 16 characters').optional())
    .optional(),
};

/** Settings every subgraph has on top of the service ones. */
export const subgraphSettings = {
  ...serviceSettings,
  DATABASE_URL: settings.postgresUrl,
};

/** Passwords in URLs never reach a log or a terminal. */
const redact = (value: string) => value.replace(/(\/\/[^:/@\s]+:)[^@\s]+@/, '$1***@');
/** Settings that are secrets themselves are never echoed, not even when they are wrong. */
const secretSetting = /TOKEN|SECRET|PASSWORD/;

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
    return value === undefined
      ? `${name} is required (${issue.message})`
      : `${name}=${secretSetting.test(name) ? '(hidden)' : JSON.stringify(redact(value))}: ${issue.message}`;
  });
  throw new ConfigError(service, problems);
}
