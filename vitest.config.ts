import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql ships CommonJS (main) and ESM (module). Node, and so tsx at run time, loads the CommonJS
    // build for everyone; left alone, vite hands our sources the ESM build while @apollo/* loads the
    // CommonJS one, and GraphQLError from one fails `instanceof` in the other. One graphql, as in production.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: [
      'shared/**/*.test.ts',
      'gateway/**/*.test.ts',
      'subgraphs/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    globalSetup: ['tests/support/global-setup.ts'],
    // Two cores: suites start real Postgres connections and service processes; keep them from starving each other.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { APOLLO_TELEMETRY_DISABLED: '1', NODE_ENV: 'test' },
  },
});
