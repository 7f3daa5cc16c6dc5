import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port';
import { onboardPartner } from './support/coalition';
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
  seconds: number;
}

/** Runs `npm start` as a user would, with its own data directory and ports. */
async function npmStart(): Promise<Started> {
  const startedAt = Date.now();
  const child = spawn('npm', ['start'], {
    env: { ...process.env, COALITION_DATA_DIR: dataDir, POSTGRES_PORT: String(postgresPort), COALITION_PORTS: 'ephemeral' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  const gatewayUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no gateway URL in 60 s:\n${output.join('')}`)), 60_000);
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
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output.join('')}`)));
  });
  return { child, output, gatewayUrl, seconds: (Date.now() - startedAt) / 1000 };
}

/**
 * Ctrl-C in a terminal: SIGINT to the whole foreground process group. npm itself may exit at
 * once; the start script goes on stopping the services and Postgres, and says so when done.
 */
async function ctrlC(started: Started): Promise<string> {
  process.kill(-started.child.pid!, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (!started.output.join('').includes('Stopped.') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
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
    expect(first.seconds).toBeLessThan(60);
    expect(first.output.join('')).toContain('npm run token -- --role operator');
    // The first start generated the signing key; a development token is signed with it.
    const operator = signToken(loadSigningKey(join(dataDir, 'keys')), { role: 'operator', sub: 'operator:test' });
    const partner = await onboardPartner(`${first.gatewayUrl}/graphql`, 'Kept Across Restarts', [], operator);
    expect(await ctrlC(first)).toContain('Stopped.');
    expect(await portIsClosed(postgresPort)).toBe(true);
    expect(await portIsClosed(Number(new URL(first.gatewayUrl).port))).toBe(true);

    const second = await npmStart();
    const response = await gql<{ partner: { name: string } | null }>(`${second.gatewayUrl}/graphql`, 'query P($id: ID!) { partner(id: $id) { name } }', { id: partner.id }, operator);
    expect(response.data?.partner).toEqual({ name: 'Kept Across Restarts' });
    expect(await ctrlC(second)).toContain('Stopped.');
    expect(await portIsClosed(postgresPort)).toBe(true);
  }, 180_000);
});
