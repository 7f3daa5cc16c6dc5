import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port';
import { enrolMember, linkPartner, onboardPartner } from './support/coalition';
import { gql } from './support/graphql';
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

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('starts Postgres, the subgraphs and the gateway, stops them all on Ctrl-C, and keeps the data for the next start', async () => {
    postgresPort = await freePort();

    const first = await npmStart();
    expect(first.output.join('')).toContain('npm run token -- --role operator');
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
});
