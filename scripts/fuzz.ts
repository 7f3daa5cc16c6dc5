/**
 * npm run fuzz: generated input for every mutation of the public schema, through the gateway of a
 * network it starts on its own Postgres (docs/reliability.md, Fuzzing).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureSigningKey } from '../shared/src/auth/keys';
import { generousRateLimits, startNetwork, type Network } from '../shared/src/runtime/network';
import { startEmbeddedPostgres, type PostgresServer } from '../shared/src/runtime/postgres';
import type { SubgraphName } from '../shared/src/topology';
import { runCommand, UsageError } from './cli/command';
import { runFuzz, type FuzzReport } from './fuzz/run';

const help = `
npm run fuzz [-- --calls N] [--seed S] [--trace MUTATION]

Starts a network of its own (Postgres in .data/fuzz, ephemeral ports), then sends generated input
to every mutation of the public schema through the gateway, one call at a time, as every role:
plausible values and hostile ones (control characters, lone surrogates, huge and negative
amounts, impossible dates, wrong types, missing and unknown fields). It checks that

  - no answer is an internal error (INTERNAL_SERVER_ERROR, no code, or HTTP 5xx),
  - a refused call wrote nothing but what the API promises to remember of a refusal,
  - the ledger audit (npm run audit) is clean afterwards.

  --calls N   how many calls (default 10000)
  --seed S    the fast-check seed (default: the time); the same seed replays the same inputs
  --trace M   print every call to the mutation M with how it was answered
  -h, --help  this help

Writes the whole report to .data/fuzz/report.json. Exit codes: 0 clean, 1 a finding, 2 it could
not run.
`;

const root = resolve('.data', 'fuzz');
const databases: Record<SubgraphName, string> = {
  member: 'fuzz_member',
  'partner-merchant': 'fuzz_partner',
  settlement: 'fuzz_settlement',
};

function options(argv: string[]): { calls: number; seed: number; trace: string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: { calls: { type: 'string' }, seed: { type: 'string' }, trace: { type: 'string' } },
  });
  const calls = Number(values.calls ?? 10_000);
  const seed = Number(values.seed ?? Date.now() % 2 ** 31);
  if (!Number.isSafeInteger(calls) || calls < 1) throw new UsageError('--calls is a whole number');
  if (!Number.isSafeInteger(seed)) throw new UsageError('--seed is a whole number');
  return { calls, seed, trace: values.trace };
}

function summary(report: FuzzReport): string {
  const ok = Object.values(report.outcomes).reduce((sum, o) => sum + o.ok, 0);
  const codes = Object.entries(report.codes)
    .sort(([, a], [, b]) => b - a)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  return [
    `${report.calls} calls to ${Object.keys(report.outcomes).length} mutations in ${(report.durationMs / 1000).toFixed(0)} s (seed ${report.seed})`,
    `  answered with data: ${ok}; refused: ${report.calls - ok} (${codes})`,
    `  internal errors: ${report.internalErrors.length}`,
    `  partial writes on a refusal: ${report.partialWrites.length}`,
    `  ledger audit: ${report.audit.ok ? 'clean' : 'VIOLATIONS'}`,
    `  machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`,
  ].join('\n');
}

await runCommand(help, async (argv) => {
  const { calls, seed, trace } = options(argv);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const key = ensureSigningKey(join(root, 'keys'));
  let postgres: PostgresServer | undefined;
  let network: Network | undefined;
  try {
    postgres = await startEmbeddedPostgres({ dataDir: join(root, 'postgres') });
    const server = postgres;
    network = await startNetwork({
      databaseUrl: (name) => server.url(databases[name]),
      keysDir: join(root, 'keys'),
      ports: 'ephemeral',
      output: 'ignore',
      env: {
        // The fuzzer's thousands of calls come from a few tokens: rate limits are not under test.
        ...generousRateLimits,
        LOG_LEVEL: 'warn',
        // Outside production an internal error keeps its message: the report says what broke.
        NODE_ENV: 'development',
        SETTLEMENT_CYCLE_PERIOD: 'MANUAL',
        // Jobs write on their own; at most every 10 minutes, they seldom meet a watched refusal.
        EXPIRY_INTERVAL_MS: '600000',
        REWARD_ORDER_RETRY_INTERVAL_MS: '600000',
      },
    });
    const schemaSdl = await (await fetch(`${network.gateway.url}/schema.graphql`)).text();
    console.log(`fuzzing ${network.gateway.url}/graphql with ${calls} calls, seed ${seed}`);
    const report = await runFuzz({
      graphqlUrl: `${network.gateway.url}/graphql`,
      schemaSdl,
      databaseUrls: {
        member: server.url(databases.member),
        'partner-merchant': server.url(databases['partner-merchant']),
        settlement: server.url(databases.settlement),
      },
      signingKey: key,
      calls,
      seed,
      trace,
      progress: (line) => console.log(line),
    });
    writeFileSync(join(root, 'report.json'), JSON.stringify(report, null, 2));
    console.log(summary(report));
    if (!report.audit.ok) console.log(report.audit.text);
    const clean =
      report.internalErrors.length === 0 && report.partialWrites.length === 0 && report.audit.ok;
    return clean ? 0 : 1;
  } finally {
    await network?.stop();
    await postgres?.stop();
  }
});
