/**
 * How every command finds the network: the settings `npm start` reads, read once here, so `token`,
 * `settle`, `demo`, `audit` and `expire` reach the same network `npm start` started.
 *
 *   COALITION_DATA_DIR  where npm start keeps Postgres's data, the signing keys and network.json (.data)
 *   JWT_KEYS_DIR        the signing keys (default <COALITION_DATA_DIR>/keys)
 *   POSTGRES_PORT       the embedded Postgres's port (default: what npm start recorded, else 54320)
 *   GATEWAY_URL         the gateway's base URL, e.g. http://127.0.0.1:4000 (a trailing /graphql is
 *                       accepted); default: what npm start recorded, else http://127.0.0.1:4000
 *   DATABASE_URL_<SUBGRAPH>  a subgraph's database elsewhere (e.g. DATABASE_URL_MEMBER)
 *
 * npm start records the gateway URL and Postgres port it really used in <data dir>/network.json
 * (they differ from the defaults with COALITION_PORTS=ephemeral or POSTGRES_PORT), and removes the
 * file when it stops.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import {
  databaseNames,
  gatewayDefaultPort,
  postgresDefaultPort,
  type SubgraphName,
} from '../../shared/src/topology';

export interface NetworkSettings {
  dataDir: string;
  keysDir: string;
  postgresPort: number;
  /** The gateway's base URL, without a trailing slash: `${gatewayUrl}/graphql`, `${gatewayUrl}/oauth/token`. */
  gatewayUrl: string;
  /** A subgraph's database: its DATABASE_URL_<NAME> setting, else npm start's embedded Postgres. */
  databaseUrl(name: SubgraphName): string;
  /** Says where each value came from, for error messages. */
  describe(): string;
}

const recordedNetwork = z.object({
  /** npm start's own process. */
  pid: z.number().int(),
  gatewayUrl: z.string().url(),
  postgresPort: z.number().int().positive(),
  /** Each service's URL and current process (it changes when npm start restarts the service). */
  services: z.record(z.string(), z.object({ url: z.string().url(), pid: z.number().int() })),
});
export type RecordedNetwork = z.infer<typeof recordedNetwork>;

export const databaseUrlSetting = (name: SubgraphName) =>
  `DATABASE_URL_${name.toUpperCase().replace('-', '_')}`;

export function networkSettings(env: NodeJS.ProcessEnv = process.env): NetworkSettings {
  const dataDir = resolve(env.COALITION_DATA_DIR || '.data');
  const recorded = runningNetwork(dataDir);
  const postgresPort = portFrom(env.POSTGRES_PORT) ?? recorded?.postgresPort ?? postgresDefaultPort;
  const gatewayUrl = normaliseGatewayUrl(
    env.GATEWAY_URL || recorded?.gatewayUrl || `http://127.0.0.1:${gatewayDefaultPort}`,
  );
  return {
    dataDir,
    keysDir: resolve(env.JWT_KEYS_DIR || join(dataDir, 'keys')),
    postgresPort,
    gatewayUrl,
    databaseUrl: (name) =>
      env[databaseUrlSetting(name)] ||
      `postgres://postgres:postgres@127.0.0.1:${postgresPort}/${databaseNames[name]}`,
    describe: () =>
      `gateway ${gatewayUrl} (${env.GATEWAY_URL ? 'GATEWAY_URL' : recorded ? `recorded by npm start in ${networkFile(dataDir)}` : 'the default'})`,
  };
}

/** `http://host:4000`, `http://host:4000/`, `http://host:4000/graphql`: all the same gateway. */
export function normaliseGatewayUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`GATEWAY_URL "${url}" is not a URL (expected e.g. http://127.0.0.1:4000)`);
  }
  const path = parsed.pathname.replace(/\/+$/, '').replace(/\/graphql$/, '');
  return `${parsed.origin}${path}`;
}

function portFrom(raw: string | undefined): number | undefined {
  if (!raw) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65_535)
    throw new Error(`POSTGRES_PORT "${raw}" is not a port number`);
  return port;
}

const networkFile = (dataDir: string) => join(dataDir, 'network.json');

/** What npm start recorded, if the npm start that recorded it is still running. */
export function runningNetwork(dataDir: string): RecordedNetwork | undefined {
  const file = networkFile(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    const recorded = recordedNetwork.parse(JSON.parse(readFileSync(file, 'utf8')));
    process.kill(recorded.pid, 0);
    return recorded;
  } catch {
    return undefined; // unreadable, or left behind by an npm start that was killed
  }
}

/** Written whole or not at all: a tool reading it mid-restart sees the old record or the new one. */
export function recordNetwork(dataDir: string, network: Omit<RecordedNetwork, 'pid'>): void {
  const file = networkFile(dataDir);
  const draft = `${file}.${process.pid}.tmp`;
  writeFileSync(draft, `${JSON.stringify({ pid: process.pid, ...network })}\n`);
  renameSync(draft, file);
}

export function forgetNetwork(dataDir: string): void {
  rmSync(networkFile(dataDir), { force: true });
}

/** A failed fetch to the gateway, said as what it means. */
export function unreachable(settings: NetworkSettings, error: unknown): Error {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (error as Error).message;
  return new Error(
    `Cannot reach the ${settings.describe()}: ${why}. Is \`npm start\` running? Set GATEWAY_URL to reach another network.`,
  );
}

/** The database URL with its password hidden, for messages. */
export function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}
