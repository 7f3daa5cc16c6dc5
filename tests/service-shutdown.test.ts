import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../gateway/src/config';
import { startGateway } from '../gateway/src/server';
import { startNetwork } from '../shared/src/runtime/network';
import type { ServiceProcess } from '../shared/src/runtime/service-process';
import { loadPartnerConfig } from '../subgraphs/partner-merchant/src/config';
import { startPartnerService } from '../subgraphs/partner-merchant/src/server';
import { freshDatabaseUrl, keysDir } from './support/databases';

/**
 * On SIGTERM (a deploy, Ctrl-C under npm start) every service stops itself in order (its feeds and
 * jobs, Apollo, its HTTP server, its database pool) and exits 0; a supervisor kills with SIGKILL what
 * has not exited within limits.shutdownGraceMs. Apollo Server registers a SIGTERM handler of its own
 * outside NODE_ENV=test, which raced that order and held every service for the whole grace period
 * (BENCHMARKS.md, "Slow shutdown"): only runMain may handle the signals.
 */
describe('services stop by themselves on SIGTERM', () => {
  const nodeEnv = process.env.NODE_ENV;
  const signalListeners = () => ({
    SIGTERM: process.listenerCount('SIGTERM'),
    SIGINT: process.listenerCount('SIGINT'),
  });

  afterEach(() => {
    process.env.NODE_ENV = nodeEnv;
  });

  it('leaves the termination signals to runMain: starting a subgraph or the gateway in production adds no handler', async () => {
    // Apollo reads NODE_ENV from the environment to decide, as it does in a service's process.
    process.env.NODE_ENV = 'production';
    const before = signalListeners();
    const partner = await startPartnerService(
      loadPartnerConfig({
        NODE_ENV: 'production',
        LOG_LEVEL: 'silent',
        HOST: '127.0.0.1',
        PORT: '0',
        JWT_KEYS_DIR: keysDir(),
        DATABASE_URL: freshDatabaseUrl('shutdown_signals'),
      }),
    );
    const gateway = await startGateway(
      loadGatewayConfig({
        NODE_ENV: 'production',
        LOG_LEVEL: 'silent',
        HOST: '127.0.0.1',
        PORT: '0',
        JWT_KEYS_DIR: keysDir(),
        MEMBER_URL: 'http://127.0.0.1:9/graphql',
        PARTNER_MERCHANT_URL: `${partner.url}/graphql`,
        SETTLEMENT_URL: 'http://127.0.0.1:9/graphql',
      }),
    );
    try {
      expect(signalListeners()).toEqual(before);
    } finally {
      await gateway.stop();
      await partner.stop();
    }
  });

  it('every process of the network, in production mode, exits 0 and is never killed', async () => {
    const network = await startNetwork({
      databaseUrl: (name) => freshDatabaseUrl(`shutdown_${name.replace('-', '_')}`),
      keysDir: keysDir(),
      ports: 'ephemeral',
      output: 'ignore',
      env: { NODE_ENV: 'production', LOG_LEVEL: 'warn' },
    });
    const processes: ServiceProcess[] = [
      network.gateway,
      network.services.settlement,
      network.services.member,
      network.services['partner-merchant'],
    ];
    await network.stop();
    expect(
      processes.map((p) => ({
        name: p.name,
        exitCode: p.child.exitCode,
        signal: p.child.signalCode,
      })),
    ).toEqual(processes.map((p) => ({ name: p.name, exitCode: 0, signal: null })));
  }, 60_000);
});

describe('a service whose supervisor is gone', () => {
  it('stops by itself when the process that started it is killed', async () => {
    const supervisor = spawn(
      process.execPath,
      ['--import', 'tsx', 'tests/support/supervisor-process.ts'],
      {
        env: { ...process.env, JWT_KEYS_DIR: keysDir() },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const gatewayPid = await new Promise<number>((resolve, reject) => {
      supervisor.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      supervisor.once('exit', (code) => reject(new Error(`the supervisor exited with ${code}`)));
    });
    expect(isAlive(gatewayPid)).toBe(true);
    supervisor.kill('SIGKILL');
    const deadline = Date.now() + 30_000;
    while (isAlive(gatewayPid) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(gatewayPid)).toBe(false);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
