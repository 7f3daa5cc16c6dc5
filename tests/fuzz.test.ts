import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadSigningKey } from '../shared/src/auth/keys';
import { runFuzz, type FuzzReport } from '../scripts/fuzz/run';
import { keysDir } from './support/databases';
import { startTestNetwork, type TestNetwork } from './support/network';

/**
 * A seeded sample of `npm run fuzz` (docs/reliability.md, Fuzzing): generated input for every
 * mutation of the public schema, through the gateway, as every role. No answer may be an internal
 * error, no refused call may leave a row behind, and the ledger audit must be clean afterwards.
 */

let network: TestNetwork;
let report: FuzzReport;

beforeAll(async () => {
  network = await startTestNetwork('fuzz', {
    // Background jobs would write while a refused call is watched: the fuzz runs without them.
    EXPIRY_INTERVAL_MS: '600000',
    REWARD_ORDER_RETRY_INTERVAL_MS: '600000',
  });
  const schemaSdl = await (await fetch(`${network.gateway.url}/schema.graphql`)).text();
  report = await runFuzz({
    graphqlUrl: network.graphqlUrl,
    schemaSdl,
    databaseUrls: network.databaseUrls,
    signingKey: loadSigningKey(keysDir()),
    calls: 300,
    seed: 20261208,
  });
}, 300_000);

afterAll(async () => {
  await network?.stop();
});

const shown = (findings: FuzzReport['internalErrors']) =>
  JSON.stringify(findings.slice(0, 3), null, 2);

it('calls every mutation, and some get through', () => {
  expect(report.calls).toBe(300);
  const ok = Object.values(report.outcomes).reduce((sum, outcome) => sum + outcome.ok, 0);
  expect(ok).toBeGreaterThan(20);
  expect(Object.keys(report.outcomes).length).toBeGreaterThan(30);
});

it('answers no call with an internal error', () => {
  expect(report.internalErrors, shown(report.internalErrors)).toEqual([]);
});

it('writes nothing for a refused call', () => {
  expect(report.partialWrites, shown(report.partialWrites)).toEqual([]);
});

it('leaves a ledger that passes the audit', () => {
  expect(report.audit.ok, report.audit.text).toBe(true);
});
