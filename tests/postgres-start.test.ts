import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { signToken } from '../shared/src/auth/jwt';
import { loadSigningKey } from '../shared/src/auth/keys';
import {
  PostgresStartError,
  startEmbeddedPostgres,
  type PostgresServer,
} from '../shared/src/runtime/postgres';
import { freePort } from './support/free-port';

// Under .data/ like the real thing: as root, Postgres's own user must be able to reach it.
const root = resolve('.data', `postgres-start-test-${process.pid}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ROUNDS = 20;
const SERVERS_AT_ONCE = 4;
const FRESH_EVERY = 5;

async function answers(server: PostgresServer): Promise<number> {
  const client = new pg.Client({ connectionString: server.url('postgres') });
  await client.connect();
  try {
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    return rows[0]!.one;
  } finally {
    await client.end();
  }
}

function squat(port: number): Promise<Server> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolvePromise(server));
  });
}

describe('starting PostgreSQL', () => {
  it(`starts and stops ${SERVERS_AT_ONCE} servers at once, ${ROUNDS} rounds, with no failure: initdb every ${FRESH_EVERY} rounds, a new port every round`, async () => {
    const dataDirs = Array.from({ length: SERVERS_AT_ONCE }, (_, i) =>
      join(root, `concurrent-${i}`),
    );
    for (let round = 0; round < ROUNDS; round += 1) {
      if (round % FRESH_EVERY === 0)
        for (const dataDir of dataDirs) rmSync(dataDir, { recursive: true, force: true });
      const servers = await Promise.all(
        dataDirs.map((dataDir) => startEmbeddedPostgres({ dataDir })),
      );
      expect(new Set(servers.map((server) => server.port)).size).toBe(SERVERS_AT_ONCE);
      expect(await Promise.all(servers.map(answers))).toEqual(servers.map(() => 1));
      await Promise.all(servers.map((server) => server.stop()));
    }
  }, 600_000);

  it('comes back on the same port and data after an immediate stop, as after a crash', async () => {
    const dataDir = join(root, 'crash');
    const first = await startEmbeddedPostgres({ dataDir });
    await answers(first);
    await first.stopImmediately();
    const second = await startEmbeddedPostgres({ dataDir, port: first.port });
    expect(await answers(second)).toBe(1);
    await second.stop();
  });

  it('stops a server left running on its data directory by a killed process, then starts', async () => {
    const dataDir = join(root, 'leftover');
    const left = await startEmbeddedPostgres({ dataDir });
    // As if its owner had been killed: nobody stops `left`; a new start on the same directory.
    const next = await startEmbeddedPostgres({ dataDir, port: left.port });
    expect(await answers(next)).toBe(1);
    await next.stop();
  });

  it('names the command, how it ended and the log when its fixed port is taken, never undefined', async () => {
    const port = await freePort();
    const squatter = await squat(port);
    try {
      const failure = await startEmbeddedPostgres({ dataDir: join(root, 'taken'), port }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(PostgresStartError);
      const error = failure as PostgresStartError;
      expect(error.message).toContain(`port ${port} is taken by another process`);
      expect(error.command).toMatch(new RegExp(`/postgres -D .* -p ${port} `));
      expect(error.logTail.join('\n')).toContain(
        'could not bind IPv4 address "127.0.0.1": Address already in use',
      );
    } finally {
      squatter.close();
    }
  });

  it('names initdb, its exit code and what it said when the data directory cannot be initialised', async () => {
    const dataDir = join(root, 'not-empty');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'something-else.txt'), 'not a database');
    const failure = await startEmbeddedPostgres({ dataDir }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PostgresStartError);
    const error = failure as PostgresStartError;
    expect(error.command).toContain(`/initdb --pgdata=${dataDir}`);
    expect(error.outcome).toBe('exit code 1');
    expect(error.logTail.join('\n')).toContain('exists but is not empty');
  });
});

describe('two npm start at once, in two directories', () => {
  const started: NpmStart[] = [];
  afterAll(async () => {
    await Promise.all(started.map(stopNpmStart));
  });

  it('both come up, each with its own Postgres, and both answer', async () => {
    const runs = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const dataDir = join(root, `npm-start-${name}`);
        const env = {
          ...process.env,
          COALITION_DATA_DIR: dataDir,
          POSTGRES_PORT: String(await freePort()),
          COALITION_PORTS: 'ephemeral',
        };
        const run: NpmStart = {
          child: spawn('npm', ['start'], {
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
            detached: true,
          }),
          output: [],
        };
        started.push(run);
        return { gatewayUrl: await gatewayUrlOf(run), dataDir };
      }),
    );
    for (const { gatewayUrl, dataDir } of runs) {
      const operator = signToken(loadSigningKey(join(dataDir, 'keys')), {
        role: 'operator',
        sub: 'operator:test',
      });
      const response = await fetch(`${gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` },
        body: JSON.stringify({ query: '{ partners(first: 1) { edges { cursor } } }' }),
      });
      expect(await response.json()).toEqual({ data: { partners: { edges: [] } } });
    }
    expect(new Set(runs.map((run) => run.gatewayUrl)).size).toBe(2);
  }, 180_000);
});

interface NpmStart {
  child: ChildProcess;
  output: string[];
}

function gatewayUrlOf({ child, output }: NpmStart): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start printed no gateway URL in 150 s:\n${output.join('')}`)),
      150_000,
    );
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const match = /Gateway\s+(http:\/\/\S+)\/graphql/.exec(output.join(''));
      if (!match?.[1]) return;
      clearTimeout(timer);
      resolvePromise(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output.join('')}`));
    });
  });
}

/** Ctrl-C to the process group; npm may exit at once, the start script says when all is stopped. */
async function stopNpmStart({ child, output }: NpmStart): Promise<void> {
  try {
    process.kill(-child.pid!, 'SIGINT');
  } catch {
    return; // the group is gone already
  }
  const deadline = Date.now() + 30_000;
  while (!output.join('').includes('Stopped.') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
}
