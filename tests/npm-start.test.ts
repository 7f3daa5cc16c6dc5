import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port';
import { enrolMember, linkPartner, onboardPartner } from './support/coalition';
import { eventually, gql } from './support/graphql';
import { earn, earnInput } from './support/wallet';
import { signToken } from '../shared/src/auth/jwt';
import { loadSigningKey } from '../shared/src/auth/keys';

// Under .data/ like the real thing: when run as root, Postgres's own user must be able to reach it.
const dataDir = resolve('.data', `start-test-${process.pid}`);
let postgresPort = 0;

interface Started {
  child: ChildProcess;
  output: string[];
  gatewayUrl: string;
  startedAt: number;
}

const CROSS_SUBGRAPH_QUERY = `query M($id: ID!) { member(id: $id) { id linkedPartners { id name stores { name } settlementCycles { edges { cursor } } } } }`;
type CrossQuery = { member: unknown };
const expectedMember = (memberId: string, partnerId: string) => ({
  id: memberId,
  linkedPartners: [
    {
      id: partnerId,
      name: 'Kept Across Restarts',
      stores: [{ name: 'Only Store' }],
      settlementCycles: { edges: [] },
    },
  ],
});

/** Runs `npm start` as a user would, with its own data directory and ports. */
async function npmStart(): Promise<Started> {
  const startedAt = Date.now();
  const child = spawn('npm', ['start'], {
    env: {
      ...process.env,
      COALITION_DATA_DIR: dataDir,
      POSTGRES_PORT: String(postgresPort),
      COALITION_PORTS: 'ephemeral',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  const gatewayUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start printed no gateway URL in 60 s:\n${output.join('')}`)),
      60_000,
    );
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const match = /Gateway\s+(http:\/\/\S+)\/graphql/.exec(output.join(''));
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`npm start exited with ${code}:\n${output.join('')}`)),
    );
  });
  return { child, output, gatewayUrl, startedAt };
}

/**
 * Ctrl-C in a terminal: SIGINT to the whole foreground process group. npm itself may exit at
 * once; the start script goes on stopping the services and Postgres, and says so when done.
 */
async function ctrlC(started: Started): Promise<string> {
  process.kill(-started.child.pid!, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (!started.output.join('').includes('Stopped.') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  return started.output.join('');
}

const portIsClosed = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });

beforeAll(async () => {
  postgresPort = await freePort();
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('starts Postgres, the subgraphs and the gateway, stops them all on Ctrl-C, and keeps the data for the next start', async () => {
    const first = await npmStart();
    expect(first.output.join('')).toContain('npm run -s token -- --role operator');
    // The first start generated the signing key; a development token is signed with it.
    const operator = signToken(loadSigningKey(join(dataDir, 'keys')), {
      role: 'operator',
      sub: 'operator:test',
    });
    const graphql = `${first.gatewayUrl}/graphql`;
    const partner = await onboardPartner(graphql, 'Kept Across Restarts', ['Only Store'], operator);
    const member = await enrolMember(graphql, 'Restart Member', operator);
    await linkPartner(graphql, member.id, partner.id, operator);
    const across = await gql<CrossQuery>(
      graphql,
      CROSS_SUBGRAPH_QUERY,
      { id: member.id },
      operator,
    );
    expect(across.data?.member).toEqual(expectedMember(member.id, partner.id));
    // The bar: from `npm start` to an answer that spans all three subgraphs within a minute.
    expect((Date.now() - first.startedAt) / 1000).toBeLessThan(60);
    expect(await ctrlC(first)).toContain('Stopped.');
    expect(await portIsClosed(postgresPort)).toBe(true);
    expect(await portIsClosed(Number(new URL(first.gatewayUrl).port))).toBe(true);

    const second = await npmStart();
    const again = await gql<CrossQuery>(
      `${second.gatewayUrl}/graphql`,
      CROSS_SUBGRAPH_QUERY,
      { id: member.id },
      operator,
    );
    expect(again.data?.member).toEqual(expectedMember(member.id, partner.id));
    expect(await ctrlC(second)).toContain('Stopped.');
    expect(await portIsClosed(postgresPort)).toBe(true);
  }, 180_000);

  it('prints a token hint that works when pasted into a shell as printed', async () => {
    const started = await npmStart();
    try {
      const printed = started.output.join('');
      const hint = printed.slice(printed.indexOf('  TOKEN=$('), printed.indexOf('Ctrl-C stops'));
      expect(hint).toContain('curl -s');
      const shell = spawnSync('bash', ['-e', '-c', hint.replace('Then:', '')], {
        encoding: 'utf8',
        env: { ...process.env, COALITION_DATA_DIR: undefined, JWT_KEYS_DIR: undefined },
      });
      expect(shell.status, shell.stderr).toBe(0);
      expect(JSON.parse(shell.stdout)).toEqual({
        data: { partners: { edges: expect.any(Array) } },
      });
      // The other commands find this network as npm start recorded it: only the data directory given.
      const settle = spawnSync('npm', ['run', '-s', 'settle', '--', 'nets'], {
        encoding: 'utf8',
        env: { ...process.env, COALITION_DATA_DIR: dataDir, GATEWAY_URL: undefined },
      });
      expect(settle.stderr).toBe('NOT_FOUND: no cycle has been closed yet\n');
      expect(settle.status).toBe(1);
    } finally {
      expect(await ctrlC(started)).toContain('Stopped.');
    }
  }, 120_000);

  it('starts a service that exits again, while earn and burn go on without partner-merchant and settlement', async () => {
    const started = await npmStart();
    const output = () => started.output.join('');
    try {
      const graphql = `${started.gatewayUrl}/graphql`;
      const keys = loadSigningKey(join(dataDir, 'keys'));
      const operator = signToken(keys, { role: 'operator', sub: 'operator:test' });
      const partner = await onboardPartner(graphql, 'Always Open', ['Till'], operator, {
        returnWindowDays: 0,
      });
      const member = await enrolMember(graphql, 'Steady Shopper', operator);
      await linkPartner(graphql, member.id, partner.id, operator);
      const till = signToken(keys, {
        role: 'partner',
        sub: 'partner:test',
        partnerId: partner.id,
      });
      const purchase = (total: string) =>
        earn(
          graphql,
          till,
          earnInput({ memberId: member.id, storeId: partner.stores[0]!.id, total }),
        );
      expect((await purchase('1000')).errors).toBeUndefined();

      const servicePid = (name: string) => {
        const recorded = JSON.parse(readFileSync(join(dataDir, 'network.json'), 'utf8')) as {
          services: Record<string, { pid: number }>;
        };
        return recorded.services[name]!.pid;
      };
      const downAndBack = async (
        name: string,
        signal: NodeJS.Signals,
        whileDown: () => Promise<void>,
      ) => {
        const before = output().split(`${name} is back`).length;
        process.kill(servicePid(name), signal);
        await eventually(
          async () => output().includes(`${name} exited`),
          10_000,
          `${name} to exit`,
        );
        await whileDown();
        await eventually(
          async () => output().split(`${name} is back`).length > before,
          60_000,
          `${name} to be started again`,
        );
      };
      await downAndBack('partner-merchant', 'SIGKILL', async () => {
        expect((await purchase('200')).errors).toBeUndefined();
      });
      await downAndBack('settlement', 'SIGTERM', async () => {
        expect((await purchase('300')).errors).toBeUndefined();
      });
      await downAndBack('member', 'SIGKILL', async () => undefined);
      const after = await purchase('400');
      expect(after.errors).toBeUndefined();
      expect(after.data?.earnPoints.wallet.available).toBe('19');
      // partner-merchant answers again, and its data survived the SIGKILL (other tests share the data dir).
      const partners = await gql<{ partners: { edges: { node: { id: string } }[] } }>(
        graphql,
        '{ partners(first: 50) { edges { node { id } } } }',
        {},
        operator,
      );
      expect(partners.data?.partners.edges.map((edge) => edge.node.id)).toContain(partner.id);
    } finally {
      const stopping = await ctrlC(started);
      expect(stopping).toContain('Stopped.');
      // Ctrl-C is an orderly stop: no error lines, no stack traces.
      expect(stopping.slice(stopping.indexOf('Stopping the network'))).not.toMatch(
        /Error|^\s+at /m,
      );
    }
  }, 180_000);
});
