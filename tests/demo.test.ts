import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysDir } from './support/databases';
import { gql } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';

/** `npm run demo` as a user runs it, against a network of its own, twice with the same seed. */

const SEED = '20261125';
// A run takes 15–45 s on two busy cores; the margin is for a machine shared with other suites.
const DEMO_TIMEOUT_MS = 100_000;

let network: TestNetwork;
let stateDir: string;

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(): Promise<DemoRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
    env: {
      ...process.env,
      GATEWAY_URL: network.gateway.url,
      JWT_KEYS_DIR: keysDir(),
      DEMO_SEED: SEED,
      DEMO_STATE_DIR: stateDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(
      () => (
        child.kill('SIGKILL'),
        reject(
          new Error(
            `the demo did not finish in ${DEMO_TIMEOUT_MS} ms:\n${stdout.join('')}${stderr.join('')}`,
          ),
        )
      ),
      DEMO_TIMEOUT_MS,
    );
    child.once('error', reject);
    child.once(
      'exit',
      (code) => (
        clearTimeout(timer),
        resolvePromise({ code, stdout: stdout.join(''), stderr: stderr.join('') })
      ),
    );
  });
}

interface WalletRow {
  available: string;
  pending: string;
  held: string;
  lifetimeEarned: string;
  debt: string;
}

/** Every member with their wallet, through the gateway as the operator, following the cursor. */
async function allMembers(): Promise<{ id: string; wallet: WalletRow | null }[]> {
  const members: { id: string; wallet: WalletRow | null }[] = [];
  for (let after: string | null = null; ;) {
    type Page = {
      members: {
        edges: { node: { id: string; wallet: WalletRow | null } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
    const response = await gql<Page>(
      network.graphqlUrl,
      'query Members($after: String) { members(first: 50, after: $after) { edges { node { id wallet { available pending held lifetimeEarned debt } } } pageInfo { hasNextPage endCursor } } }',
      { after },
    );
    expect(response.errors).toBeUndefined();
    const page: Page['members'] = response.data!.members;
    members.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return members;
    after = page.pageInfo.endCursor;
  }
}

async function walletOf(memberId: string): Promise<WalletRow | null> {
  const response = await gql<{ wallet: WalletRow | null }>(
    network.graphqlUrl,
    'query W($id: ID!) { wallet(memberId: $id) { available pending held lifetimeEarned debt } }',
    { id: memberId },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.wallet;
}

/** The sample member the summary names. */
function sampleIdFrom(stdout: string): string {
  const match = /Sample member\n.*\n\s+id ([0-9a-f-]{36})/.exec(stdout);
  expect(match, stdout).not.toBeNull();
  return match![1]!;
}

beforeAll(async () => {
  mkdirSync(resolve('.data'), { recursive: true });
  stateDir = mkdtempSync(resolve('.data', 'demo-test-'));
  network = await startTestNetwork('demo');
});

afterAll(async () => {
  await network?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('npm run demo', () => {
  let first: DemoRun;
  let sampleId: string;
  let membersAfterFirst: Awaited<ReturnType<typeof allMembers>>;

  it(
    'fills a coalition through the public API: partners with stores, 100 members, a month of activity',
    async () => {
      first = await runDemo();
      expect(first.stderr).toBe('');
      expect(first.code, first.stdout).toBe(0);
      expect(first.stdout).toContain(`seed ${Number(SEED)}`);
      expect(first.stdout).toMatch(/members\s+100 \(100 enrolled now/);
      expect(first.stdout).not.toMatch(/IDEMPOTENCY_CONFLICT|DUPLICATE_RECEIPT/);
      // A tier ladder in force, and members who climbed it to different tiers.
      const tiers = /Tiers: (.*)/.exec(first.stdout)?.[1] ?? '';
      expect(
        tiers.split(', ').filter((t) => !t.startsWith('none')).length,
        tiers,
      ).toBeGreaterThanOrEqual(2);

      membersAfterFirst = await allMembers();
      expect(membersAfterFirst).toHaveLength(100);

      type Partners = {
        partners: {
          edges: { node: { name: string; category: string; stores: { id: string }[] } }[];
        };
      };
      const partners = await gql<Partners>(
        network.graphqlUrl,
        '{ partners(first: 20) { edges { node { name category stores { id } } } } }',
      );
      expect(partners.errors).toBeUndefined();
      const nodes = partners.data!.partners.edges.map((e) => e.node);
      expect(nodes.length).toBeGreaterThanOrEqual(4);
      expect(new Set(nodes.map((p) => p.category)).size).toBeGreaterThanOrEqual(4);
      for (const partner of nodes) expect(partner.stores.length).toBeGreaterThanOrEqual(2);

      sampleId = sampleIdFrom(first.stdout);
      const wallet = await walletOf(sampleId);
      expect(BigInt(wallet!.lifetimeEarned)).toBeGreaterThan(0n);
      expect(BigInt(wallet!.available) + BigInt(wallet!.pending)).toBeGreaterThan(0n);

      type History = {
        member: {
          history: { edges: { node: { kind: string; partner: { name: string } | null } }[] };
        } | null;
      };
      const history = await gql<History>(
        network.graphqlUrl,
        'query H($id: ID!) { member(id: $id) { history(first: 50) { edges { node { kind partner { name } } } } } }',
        { id: sampleId },
      );
      expect(history.errors).toBeUndefined();
      const entries = history.data!.member!.history.edges.map((e) => e.node);
      expect(entries.filter((e) => e.kind === 'EARN').length).toBeGreaterThanOrEqual(2);
      const partnerNames = new Set(entries.flatMap((e) => (e.partner ? [e.partner.name] : [])));
      expect(partnerNames.size).toBeGreaterThanOrEqual(2);
      for (const name of partnerNames) expect(nodes.map((p) => p.name)).toContain(name);

      // Across the network: points were spent and refunds happened, not just earned.
      const lifetime = membersAfterFirst.reduce(
        (sum, m) => sum + BigInt(m.wallet?.lifetimeEarned ?? '0'),
        0n,
      );
      const outstanding = membersAfterFirst.reduce(
        (sum, m) =>
          sum +
          BigInt(m.wallet?.available ?? '0') +
          BigInt(m.wallet?.pending ?? '0') +
          BigInt(m.wallet?.held ?? '0'),
        0n,
      );
      expect(lifetime).toBeGreaterThan(0n);
      expect(outstanding).toBeLessThan(lifetime);
      expect(first.stdout).toMatch(/refunds\s+[1-9]\d* purchases, [1-9]\d* burns/);
    },
    2 * DEMO_TIMEOUT_MS,
  );

  it(
    'is harmless to run again with the same seed: the same members, the same wallets',
    async () => {
      expect(first?.code).toBe(0);
      const again = await runDemo();
      expect(again.stderr).toBe('');
      expect(again.code, again.stdout).toBe(0);
      expect(again.stdout).toMatch(/members\s+100 \(0 enrolled now, 100 already there\)/);
      expect(again.stdout).not.toMatch(/IDEMPOTENCY_CONFLICT|DUPLICATE_RECEIPT/);
      // Every write was a replay of the first run's answer: the same counts come back.
      const counts = (stdout: string) =>
        /purchases\s+\d+[\s\S]*?adjustments\s+\d+/.exec(stdout)?.[0];
      expect(counts(again.stdout)).toBe(counts(first.stdout));
      expect(sampleIdFrom(again.stdout)).toBe(sampleId);

      const membersAfterSecond = await allMembers();
      expect(membersAfterSecond).toHaveLength(100);
      const lifetimeOf = (rows: typeof membersAfterSecond) =>
        new Map(rows.map((m) => [m.id, m.wallet?.lifetimeEarned]));
      expect(lifetimeOf(membersAfterSecond)).toEqual(lifetimeOf(membersAfterFirst));
      const before = membersAfterFirst.find((m) => m.id === sampleId)!.wallet!;
      const after = (await walletOf(sampleId))!;
      // Pending points may mature between the two reads; their sum and everything else stay put.
      expect({ ...after, available: undefined, pending: undefined }).toEqual({
        ...before,
        available: undefined,
        pending: undefined,
      });
      expect(BigInt(after.available) + BigInt(after.pending)).toBe(
        BigInt(before.available) + BigInt(before.pending),
      );
    },
    2 * DEMO_TIMEOUT_MS,
  );
});
