/**
 * A stand-in supervisor for tests: starts the gateway through spawnService, as npm start does,
 * prints the gateway's pid, and waits to be killed.
 */
import { resolve } from 'node:path';
import { spawnService } from '../../shared/src/runtime/service-process';

const gateway = await spawnService({
  name: 'gateway',
  entry: resolve('gateway/src/main.ts'),
  output: 'ignore',
  env: {
    PORT: '0',
    LOG_LEVEL: 'silent',
    JWT_KEYS_DIR: process.env.JWT_KEYS_DIR ?? '',
    MEMBER_URL: 'http://127.0.0.1:9/graphql',
    PARTNER_MERCHANT_URL: 'http://127.0.0.1:9/graphql',
    SETTLEMENT_URL: 'http://127.0.0.1:9/graphql',
  },
});
process.stdout.write(`${gateway.child.pid}\n`);
setInterval(() => undefined, 60_000);
