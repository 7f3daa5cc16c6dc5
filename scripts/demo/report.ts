import type { Api } from './api';
import type { PlannedMember } from './plan';
import {
  pageAll,
  type Connection,
  type DemoContext,
  type LiveMember,
  type LivePartner,
} from './setup';
import type { Tally } from './tally';
import { tierLine } from './tiers';

/** The end of a run: what the network now holds, read back through the gateway as the operator. */

interface WalletBalances {
  available: string;
  pending: string;
  held: string;
  lifetimeEarned: string;
  debt: string;
}

interface SampleMember {
  name: string | null;
  email: string | null;
  cardNumber: string;
  wallet: WalletBalances | null;
  linkedPartners: ({ name: string } | null)[];
  history: {
    edges: { node: { kind: string; points: string; partner: { name: string } | null } }[];
    pageInfo: { hasNextPage: boolean };
  } | null;
}

/** The planned member with the richest month: most partners traded with, then a spend, then most steps. */
export function pickSample(members: readonly PlannedMember[]): PlannedMember | undefined {
  const score = (m: PlannedMember) => {
    const earnedAt = new Set(m.steps.flatMap((s) => (s.kind === 'earn' ? [s.partner] : [])));
    const spent = m.steps.some((s) => s.kind === 'burn' || s.kind === 'hold');
    return earnedAt.size * 10_000 + (spent ? 1_000 : 0) + m.steps.length;
  };
  return [...members].sort((a, b) => score(b) - score(a) || a.index - b.index)[0];
}

/** Every member's balances, paged: how many members there are and the points the network owes them. */
async function networkTotals(
  api: Api,
  operatorToken: string,
): Promise<{
  members: number;
  available: bigint;
  pending: bigint;
  held: bigint;
  debt: bigint;
  tiers: string;
}> {
  const nodes = await pageAll(async (after) => {
    const data = await api.gql<{
      members: Connection<{
        tier: string | null;
        wallet: Omit<WalletBalances, 'lifetimeEarned'> | null;
      }>;
    }>(
      operatorToken,
      'members (totals)',
      'query Totals($after: String) { members(first: 50, after: $after) { edges { node { tier wallet { available pending held debt } } } pageInfo { hasNextPage endCursor } } }',
      { after },
    );
    return data.members;
  });
  const sum = (field: 'available' | 'pending' | 'held' | 'debt') =>
    nodes.reduce((total, n) => total + BigInt(n.wallet?.[field] ?? '0'), 0n);
  return {
    members: nodes.length,
    available: sum('available'),
    pending: sum('pending'),
    held: sum('held'),
    debt: sum('debt'),
    tiers: tierLine(nodes.map((n) => n.tier)),
  };
}

export interface Summary {
  gatewayUrl: string;
  keysDir: string | null;
  seed: number;
  partners: readonly LivePartner[];
  members: readonly (LiveMember | undefined)[];
  plan: readonly PlannedMember[];
  links: number;
  tally: Tally;
}

export async function printSummary(ctx: DemoContext, summary: Summary): Promise<void> {
  const { tally } = summary;
  const created = summary.members.filter((m) => m?.created).length;
  const present = summary.members.filter((m) => m !== undefined).length;
  console.log('\nPartners');
  for (const p of summary.partners) {
    console.log(
      `  ${p.name.padEnd(22)} ${p.id}  ${p.category.padEnd(11)} ${String(p.pointsPerCurrencyUnit).padStart(2)} pt/EUR  return window ${String(p.returnWindowDays).padStart(2)} d  ${p.stores.length} stores`,
    );
  }
  console.log('\nActivity');
  console.log(
    `  members           ${present} (${created} enrolled now, ${present - created} already there), ${summary.links} partner links`,
  );
  console.log(`  purchases         ${tally.get('purchases')}`);
  console.log(
    `  burns             ${tally.get('burns')} one-step, ${tally.get('holds')} holds at the till (${tally.get('captures')} captured, ${tally.get('voids')} voided)`,
  );
  console.log(
    `  refunds           ${tally.get('purchaseRefunds')} purchases, ${tally.get('burnRefunds')} burns`,
  );
  console.log(`  adjustments       ${tally.get('adjustments')} goodwill credits`);
  console.log(
    `  writes            ${tally.get('written')} recorded now, ${tally.get('replayed')} replayed (recorded by an earlier run with this seed)`,
  );
  const outcomes = tally.outcomeLines();
  console.log(`  business outcomes ${outcomes.length === 0 ? 'none' : outcomes.join(', ')}`);
  if (tally.outcomeCount('IDEMPOTENCY_CONFLICT') > 0) {
    console.log(
      '                    (IDEMPOTENCY_CONFLICT: an earlier run with this seed sent different requests — its state file was lost? Nothing was changed.)',
    );
  }
  if (tally.get('skipped') > 0)
    console.log(
      `  skipped           ${tally.get('skipped')} follow-ups of steps that did not happen`,
    );

  const sample = pickSample(summary.plan);
  const sampleMember = sample ? summary.members[sample.index] : undefined;
  if (sample && sampleMember) await printSample(ctx, summary, sampleMember.id);

  const totals = await networkTotals(ctx.api, ctx.operatorToken);
  const outstanding = totals.available + totals.pending + totals.held;
  console.log(
    `\nNetwork: ${totals.members} members; points outstanding ${outstanding} (available ${totals.available}, pending ${totals.pending}, held ${totals.held}); members' debt ${totals.debt}`,
  );
  console.log(`Tiers: ${totals.tiers}`);
}

async function printSample(ctx: DemoContext, summary: Summary, memberId: string): Promise<void> {
  // Two queries, and 50 entries: the gateway's cost limit multiplies a literal `first` into the cost.
  const data = await ctx.api.gql<{ member: Omit<SampleMember, 'history'> | null }>(
    ctx.operatorToken,
    'member (sample)',
    'query Sample($id: ID!) { member(id: $id) { name email cardNumber wallet { available pending held lifetimeEarned debt } linkedPartners { name } } }',
    { id: memberId },
  );
  const history = await ctx.api.gql<{ member: Pick<SampleMember, 'history'> | null }>(
    ctx.operatorToken,
    'member history (sample)',
    'query SampleHistory($id: ID!) { member(id: $id) { history(first: 50) { edges { node { kind points partner { name } } } pageInfo { hasNextPage } } } }',
    { id: memberId },
  );
  const member = data.member && { ...data.member, history: history.member?.history ?? null };
  if (!member) return;
  const byPartner = new Map<string, number>();
  for (const { node } of member.history?.edges ?? []) {
    const where = node.partner?.name ?? 'the operator';
    byPartner.set(where, (byPartner.get(where) ?? 0) + 1);
  }
  const w = member.wallet;
  const keys = summary.keysDir ? `JWT_KEYS_DIR=${summary.keysDir} ` : '';
  const query = `{ wallet(memberId: \\"${memberId}\\") { available pending held lifetimeEarned debt } me { name cardNumber history(first: 10) { edges { node { kind points partner { name } store { name } receiptId createdAt } } } } }`;
  console.log('\nSample member');
  console.log(`  ${member.name} <${member.email}>`);
  console.log(`  id ${memberId}   card ${member.cardNumber}`);
  if (w)
    console.log(
      `  available ${w.available}, pending ${w.pending}, held ${w.held}, lifetime earned ${w.lifetimeEarned}, debt ${w.debt}`,
    );
  console.log(`  linked ${member.linkedPartners.map((p) => p?.name ?? '?').join(', ')}`);
  console.log(
    `  history ${[...byPartner].map(([name, n]) => `${n} at ${name}`).join(', ')}${member.history?.pageInfo.hasNextPage ? ' (latest 50)' : ''}`,
  );
  console.log('  Their token and wallet:');
  console.log(`    MT=$(${keys}npm run -s token -- --role member --member ${memberId})`);
  console.log(
    `    curl -s ${summary.gatewayUrl}/graphql -H "authorization: Bearer $MT" -H 'content-type: application/json' -d '{"query":"${query}"}'`,
  );
}
