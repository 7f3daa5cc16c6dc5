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
