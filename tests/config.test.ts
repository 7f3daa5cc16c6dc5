import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { supergraphPath } from '../gateway/src/compose';
import { gatewaySettings, loadGatewayConfig } from '../gateway/src/config';
import { ConfigError } from '../shared/src/config';
import { limits } from '../shared/src/limits';
import { loadMemberConfig, memberConfigShape } from '../subgraphs/member/src/config';
import { loadPartnerConfig, partnerConfigShape } from '../subgraphs/partner-merchant/src/config';
import { loadSettlementConfig, settlementConfigShape } from '../subgraphs/settlement/src/config';
import { freshDatabaseUrl, keysDir } from './support/databases';
import { freePort } from './support/free-port';

/**
 * README, Configuration: "Every service validates its settings at start and refuses to start, naming
 * the setting, when one is missing or wrong (exit code 78)." First the loaders, table-driven, then
 * the real entry points as processes.
 */

type Env = Record<string, string | undefined>;

interface ServiceConfig {
  service: string;
  load: (env: Env) => Record<string, unknown>;
  /** The least a service needs; everything else has a default. */
  minimal: Env;
  /** What `minimal` must come out as: the README's defaults. */
  defaults: Record<string, unknown>;
  /** [what is wrong, the environment, the settings the error must name (and no others)]. */
  invalid: Array<[string, Env, string[]]>;
}

const KEYS_DIR = '/etc/coalition/keys';
const DATABASE_URL = 'postgres://coalition:coalition@db.internal:5432/coalition_partner';

const without = (env: Env, name: string): Env =>
  Object.fromEntries(Object.entries(env).filter(([key]) => key !== name));

/** Wrong in every service the same way. */
function commonInvalid(minimal: Env): Array<[string, Env, string[]]> {
  return [
    ['PORT=abc', { ...minimal, PORT: 'abc' }, ['PORT']],
    ['PORT=70000', { ...minimal, PORT: '70000' }, ['PORT']],
    ['PORT=-1', { ...minimal, PORT: '-1' }, ['PORT']],
    ['PORT=80.5', { ...minimal, PORT: '80.5' }, ['PORT']],
    ['LOG_LEVEL=loud', { ...minimal, LOG_LEVEL: 'loud' }, ['LOG_LEVEL']],
    ['NODE_ENV=staging', { ...minimal, NODE_ENV: 'staging' }, ['NODE_ENV']],
    ['HOST empty', { ...minimal, HOST: '' }, ['HOST']],
    ['JWT_KEYS_DIR missing', without(minimal, 'JWT_KEYS_DIR'), ['JWT_KEYS_DIR']],
    ['JWT_KEYS_DIR empty', { ...minimal, JWT_KEYS_DIR: '' }, ['JWT_KEYS_DIR']],
    [
      'PORT=abc and LOG_LEVEL=loud together',
      { ...minimal, PORT: 'abc', LOG_LEVEL: 'loud' },
      ['LOG_LEVEL', 'PORT'],
    ],
  ];
}

function subgraphInvalid(minimal: Env): Array<[string, Env, string[]]> {
  return [
    ...commonInvalid(minimal),
    ['DATABASE_URL missing', without(minimal, 'DATABASE_URL'), ['DATABASE_URL']],
    ['DATABASE_URL=mysql://x', { ...minimal, DATABASE_URL: 'mysql://x' }, ['DATABASE_URL']],
    ['DATABASE_URL not a URL', { ...minimal, DATABASE_URL: 'coalition_partner' }, ['DATABASE_URL']],
    ['an empty environment', {}, ['DATABASE_URL', 'JWT_KEYS_DIR']],
  ];
}

const subgraphMinimal: Env = { JWT_KEYS_DIR: KEYS_DIR, DATABASE_URL };
const serviceDefaults = {
  NODE_ENV: 'development',
  LOG_LEVEL: 'info',
  HOST: '127.0.0.1',
  JWT_KEYS_DIR: KEYS_DIR,
};

const services: ServiceConfig[] = [
  {
    service: 'partner-merchant',
    load: loadPartnerConfig,
    minimal: subgraphMinimal,
    defaults: {
      ...serviceDefaults,
      DATABASE_URL,
      PORT: 4002,
      REWARD_REDEMPTIONS_URL: 'http://127.0.0.1:4001/internal/reward-redemptions',
      REWARD_ORDER_RETRY_INTERVAL_MS: 5_000,
    },
    invalid: subgraphInvalid(subgraphMinimal),
  },
  {
    service: 'member',
    load: loadMemberConfig,
    minimal: subgraphMinimal,
    defaults: {
      ...serviceDefaults,
      DATABASE_URL,
      PORT: 4001,
      PARTNER_FEED_URL: 'http://127.0.0.1:4002/feed',
      EXPIRY_INTERVAL_MS: 60_000,
      TIER_REVIEW_INTERVAL_MS: 60_000,
    },
    invalid: [
      ...subgraphInvalid(subgraphMinimal),
      [
        'PARTNER_FEED_URL=not-a-url',
        { ...subgraphMinimal, PARTNER_FEED_URL: 'not-a-url' },
        ['PARTNER_FEED_URL'],
      ],
      [
        'PARTNER_FEED_URL=ftp://…',
        { ...subgraphMinimal, PARTNER_FEED_URL: 'ftp://127.0.0.1/feed' },
        ['PARTNER_FEED_URL'],
      ],
      [
        'EXPIRY_INTERVAL_MS=0',
        { ...subgraphMinimal, EXPIRY_INTERVAL_MS: '0' },
        ['EXPIRY_INTERVAL_MS'],
      ],
      [
        'TIER_REVIEW_INTERVAL_MS=-5',
        { ...subgraphMinimal, TIER_REVIEW_INTERVAL_MS: '-5' },
        ['TIER_REVIEW_INTERVAL_MS'],
      ],
    ],
  },
  {
    service: 'settlement',
    load: loadSettlementConfig,
    minimal: subgraphMinimal,
    defaults: {
      ...serviceDefaults,
      DATABASE_URL,
      PORT: 4003,
      MEMBER_FEED_URL: 'http://127.0.0.1:4001/feed',
      PARTNER_FEED_URL: 'http://127.0.0.1:4002/feed',
      SETTLEMENT_BASE_CURRENCY: 'EUR',
      SETTLEMENT_MODEL: 'HUB',
      SETTLEMENT_CYCLE_PERIOD: 'MONTHLY',
      SETTLEMENT_SCHEDULE_INTERVAL_MS: 60_000,
    },
    invalid: [
      ...subgraphInvalid(subgraphMinimal),
      [
        'MEMBER_FEED_URL=not-a-url',
        { ...subgraphMinimal, MEMBER_FEED_URL: 'not-a-url' },
        ['MEMBER_FEED_URL'],
      ],
      [
        'MEMBER_FEED_URL and DATABASE_URL both wrong',
        { ...subgraphMinimal, MEMBER_FEED_URL: 'not-a-url', DATABASE_URL: 'mysql://x' },
        ['DATABASE_URL', 'MEMBER_FEED_URL'],
      ],
      [
        'SETTLEMENT_BASE_CURRENCY=EURO',
        { ...subgraphMinimal, SETTLEMENT_BASE_CURRENCY: 'EURO' },
        ['SETTLEMENT_BASE_CURRENCY'],
      ],
      [
        'SETTLEMENT_CYCLE_PERIOD=HOURLY',
        { ...subgraphMinimal, SETTLEMENT_CYCLE_PERIOD: 'HOURLY' },
        ['SETTLEMENT_CYCLE_PERIOD'],
      ],
    ],
  },
  {
    service: 'gateway',
    load: loadGatewayConfig,
    minimal: { JWT_KEYS_DIR: KEYS_DIR },
    defaults: {
      ...serviceDefaults,
      PORT: 4000,
      SUPERGRAPH_PATH: supergraphPath,
      MEMBER_URL: 'http://127.0.0.1:4001/graphql',
      PARTNER_MERCHANT_URL: 'http://127.0.0.1:4002/graphql',
      SETTLEMENT_URL: 'http://127.0.0.1:4003/graphql',
      SUBGRAPH_TIMEOUT_MS: limits.subgraphTimeoutMs,
      CORS_ORIGINS: [],
      CORS_REFRESH_MS: limits.webOriginsRefreshMs,
      RATE_LIMIT_CLIENT_REQUESTS_PER_MINUTE: limits.rateLimitClientRequestsPerMinute,
      RATE_LIMIT_CLIENT_BURST: limits.rateLimitClientBurst,
      RATE_LIMIT_MEMBER_REQUESTS_PER_MINUTE: limits.rateLimitMemberRequestsPerMinute,
      RATE_LIMIT_MEMBER_BURST: limits.rateLimitMemberBurst,
      TOKEN_FAILURES_BEFORE_DELAY: limits.tokenFailuresBeforeDelay,
      TOKEN_FAILURE_DELAY_SECONDS: limits.tokenFailureDelaySeconds,
      TOKEN_FAILURES_BEFORE_LOCKOUT: limits.tokenFailuresBeforeLockout,
      TOKEN_LOCKOUT_SECONDS: limits.tokenLockoutSeconds,
      TOKEN_FAILURES_PER_ADDRESS_BEFORE_LOCKOUT: limits.tokenFailuresPerAddressBeforeLockout,
    },
    invalid: [
      ...commonInvalid({ JWT_KEYS_DIR: KEYS_DIR }),
      [
        'RATE_LIMIT_CLIENT_REQUESTS_PER_MINUTE=0',
        { JWT_KEYS_DIR: KEYS_DIR, RATE_LIMIT_CLIENT_REQUESTS_PER_MINUTE: '0' },
        ['RATE_LIMIT_CLIENT_REQUESTS_PER_MINUTE'],
      ],
      [
        'RATE_LIMIT_MEMBER_BURST=lots and TOKEN_LOCKOUT_SECONDS=-1',
        { JWT_KEYS_DIR: KEYS_DIR, RATE_LIMIT_MEMBER_BURST: 'lots', TOKEN_LOCKOUT_SECONDS: '-1' },
        ['RATE_LIMIT_MEMBER_BURST', 'TOKEN_LOCKOUT_SECONDS'],
      ],
      [
        'RATE_LIMIT_DATABASE_URL=mysql://x',
        { JWT_KEYS_DIR: KEYS_DIR, RATE_LIMIT_DATABASE_URL: 'mysql://x' },
        ['RATE_LIMIT_DATABASE_URL'],
      ],
      [
        'SUBGRAPH_TIMEOUT_MS=0',
        { JWT_KEYS_DIR: KEYS_DIR, SUBGRAPH_TIMEOUT_MS: '0' },
        ['SUBGRAPH_TIMEOUT_MS'],
      ],
      [
        'SUBGRAPH_TIMEOUT_MS=-5',
        { JWT_KEYS_DIR: KEYS_DIR, SUBGRAPH_TIMEOUT_MS: '-5' },
        ['SUBGRAPH_TIMEOUT_MS'],
      ],
      [
        'SUBGRAPH_TIMEOUT_MS=soon',
        { JWT_KEYS_DIR: KEYS_DIR, SUBGRAPH_TIMEOUT_MS: 'soon' },
        ['SUBGRAPH_TIMEOUT_MS'],
      ],
      [
        'PARTNER_MERCHANT_URL=not-a-url',
        { JWT_KEYS_DIR: KEYS_DIR, PARTNER_MERCHANT_URL: 'not-a-url' },
        ['PARTNER_MERCHANT_URL'],
      ],
      ['an empty environment', {}, ['JWT_KEYS_DIR']],
    ],
  },
];

/** The ConfigError a load throws; fails the test when it accepts the environment or throws anything else. */
function configErrorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

/** The distinct settings a problem list names ("NAME is required …" or "NAME=…: …"); a setting may fail more than one check. */
const distinctNames = (problems: readonly string[], pattern: RegExp): string[] =>
  [
    ...new Set(problems.map((problem) => pattern.exec(problem)?.[1] ?? `unparsed: ${problem}`)),
  ].sort();
const PROBLEM = /^([A-Z][A-Z0-9_]*)(?:=| is required)/;
const PRINTED_PROBLEM = /^ {2}- ([A-Z][A-Z0-9_]*)(?:=| is required)/;

describe.each(services)(
  '$service configuration',
  ({ service, load, minimal, defaults, invalid }) => {
    it.each(invalid)('refuses %s with a ConfigError naming exactly that', (_what, env, names) => {
      const error = configErrorOf(() => load(env));

      expect(error.service).toBe(service);
      expect(distinctNames(error.problems, PROBLEM)).toEqual([...names].sort());
      // The message printed on stderr: a headline, then a line per problem, each naming its setting.
      const [headline, ...lines] = error.message.split('\n');
      expect(headline).toBe(`${service}: invalid configuration:`);
      expect(lines).toHaveLength(error.problems.length);
      expect(distinctNames(lines, PRINTED_PROBLEM)).toEqual([...names].sort());
    });

    it('accepts the least environment, filling in the documented defaults', () => {
      expect(load(minimal)).toEqual(defaults);
    });

    it('takes explicit settings over the defaults (PORT 0 picks a free port)', () => {
      expect(
        load({
          ...minimal,
          PORT: '0',
          NODE_ENV: 'production',
          LOG_LEVEL: 'silent',
          HOST: '0.0.0.0',
        }),
      ).toMatchObject({
        PORT: 0,
        NODE_ENV: 'production',
        LOG_LEVEL: 'silent',
        HOST: '0.0.0.0',
      });
    });
  },
);

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const entryOf = (dir: string) => fileURLToPath(new URL(`../${dir}/src/main.ts`, import.meta.url));
/**
 * A refusal costs what loading tsx, TypeORM and Apollo costs: 2.5-6 s measured on two busy cores.
 * The bound is there to catch a service that retries or hangs instead of exiting, not to time boots.
 */
const REFUSED_WITHIN_MS = 15_000;
const KILL_AFTER_MS = 30_000;
const PROBE_INTERVAL_MS = 25;
const EX_CONFIG = 78;

/** The settings of every service, kept out of the child's inherited environment so only the test's apply. */
const SETTING_NAMES = new Set([
  ...Object.keys(partnerConfigShape),
  ...Object.keys(memberConfigShape),
  ...Object.keys(settlementConfigShape),
  ...Object.keys(gatewaySettings),
]);

interface Refusal {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  /** IPC messages the child sent its parent: a service that listens announces 'ready'. */
  messages: unknown[];
  /** Whether anything accepted a TCP connection on the configured port while the child ran. */
  portAccepted: boolean;
}

/** Whether something accepts a connection on the port right now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Runs an entry point as `node --import tsx <entry>` until it exits, probing its port meanwhile. */
async function runEntry(
  entry: string,
  env: Record<string, string>,
  port: number,
): Promise<Refusal> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !SETTING_NAMES.has(name)),
  );
  const startedAtMs = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: { ...inherited, APOLLO_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stdout = '';
  let stderr = '';
  const messages: unknown[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.on('message', (message) => messages.push(message));
  const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let running = true;
  let portAccepted = false;
  const probing = (async () => {
    while (running) {
      if (await accepts(port)) portAccepted = true;
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
    }
  })();
  const [code, signal] = await exited;
  const elapsedMs = Date.now() - startedAtMs;
  clearTimeout(killer);
  running = false;
  await probing;
  return { code, signal, stdout, stderr, elapsedMs, messages, portAccepted };
}

async function databaseExists(databaseUrl: string): Promise<boolean> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const result = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return result.rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('a service process started with a broken environment', () => {
  const cases: Array<{
    service: string;
    dir: string;
    env: (databaseUrl: string) => Record<string, string>;
    setting: string;
  }> = [
    {
      service: 'partner-merchant',
      dir: 'subgraphs/partner-merchant',
      env: (databaseUrl) => ({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'loud' }),
      setting: 'LOG_LEVEL',
    },
    {
      service: 'member',
      dir: 'subgraphs/member',
      env: (databaseUrl) => ({ DATABASE_URL: databaseUrl, PARTNER_FEED_URL: 'not-a-url' }),
      setting: 'PARTNER_FEED_URL',
    },
    {
      service: 'settlement',
      dir: 'subgraphs/settlement',
      env: () => ({ DATABASE_URL: 'mysql://x' }),
      setting: 'DATABASE_URL',
    },
    {
      service: 'gateway',
      dir: 'gateway',
      env: () => ({ SUBGRAPH_TIMEOUT_MS: '0' }),
      setting: 'SUBGRAPH_TIMEOUT_MS',
    },
  ];

  it.each(cases)(
    '$service exits with code 78 naming $setting, before it listens or touches a database',
    async ({ service, dir, env, setting }) => {
      const port = await freePort();
      const databaseUrl = freshDatabaseUrl(`config_${service.replace('-', '_')}`);
      const refusal = await runEntry(
        entryOf(dir),
        {
          NODE_ENV: 'test',
          HOST: '127.0.0.1',
          PORT: String(port),
          JWT_KEYS_DIR: keysDir(),
          ...env(databaseUrl),
        },
        port,
      );

      expect({ code: refusal.code, signal: refusal.signal }, refusal.stderr).toEqual({
        code: EX_CONFIG,
        signal: null,
      });
      // A headline, then the problems, all about that one setting: no stack trace, nothing else.
      const [headline, ...lines] = refusal.stderr.trimEnd().split('\n');
      expect(headline).toBe(`${service}: invalid configuration:`);
      expect(lines.length).toBeGreaterThan(0);
      expect(distinctNames(lines, PRINTED_PROBLEM)).toEqual([setting]);
      expect(refusal.stdout).toBe('');
      expect(refusal.messages).toEqual([]);
      expect(refusal.portAccepted).toBe(false);
      expect(await databaseExists(databaseUrl)).toBe(false);
      expect(refusal.elapsedMs).toBeLessThan(REFUSED_WITHIN_MS);
    },
  );
});
