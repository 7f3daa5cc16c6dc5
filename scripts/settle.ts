/**
 * npm run settle: the operator's settlement commands, through the gateway's public API.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { signToken } from '../shared/src/auth/jwt';
import { loadSigningKey } from '../shared/src/auth/keys';
import { formatMinorUnits } from '../shared/src/currency';
import { runCommand, UsageError } from './cli/command';
import { networkSettings, unreachable } from './cli/network-settings';

const help = `
npm run settle -- <command> [options]

The operator's settlement month, through the gateway (GATEWAY_URL, else the network npm start runs),
with an operator token signed by the network's key (<COALITION_DATA_DIR>/keys, or JWT_KEYS_DIR).

  close    [--model HUB|DIRECT] [--fx CUR=RATE ...]  close the open cycle; print its nets and payments
  nets     [--cycle ID]                              a cycle's nets and payments (default: the last closed)
  export   [--cycle ID] [--out DIR]                  each statement as CSV (default DIR: <data dir>/statements)
  verify   [--cycle ID]                              recompute a closed cycle and compare it with what was stored
  approve  [--cycle ID]                              approve a closed cycle (cycles are approved in order)
  pay      --reference REF [--cycle ID]              record that an approved cycle's payments were made
  -h, --help                                         this help

Amounts print in their currency with its decimals; a positive net receives, a negative one pays.
Exit codes: 0 done, 1 refused (the error's code and message are printed), 2 bad usage or unreachable.
`;

class Refused extends Error {}

const settings = networkSettings();

async function call<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const token = signToken(
    loadSigningKey(settings.keysDir),
    { role: 'operator', sub: 'operator:cli' },
    300,
  );
  let response: Response;
  try {
    response = await fetch(`${settings.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw unreachable(settings, error);
  }
  const body = (await response.json()) as {
    data?: T;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
  if (body.errors?.length) {
    throw new Refused(
      body.errors
        .map(
          (e) =>
            `${String(e.extensions?.code ?? 'ERROR')}: ${e.message}${e.extensions?.partners ? ` ${JSON.stringify(e.extensions.partners)}` : ''}`,
        )
        .join('\n'),
    );
  }
  return body.data as T;
}

const CYCLE = `id number status cutoffPosition items model closedAt approvedAt paidAt paymentReference
  fxRates { currency rate }
  positions { party { id partner { name } } currency net }
  paymentInstructions { seq currency payer { id partner { name } } payee { id partner { name } } amount }`;

interface Party {
  id: string;
  partner: { name: string } | null;
}
interface Cycle {
  id: string;
  number: number;
  status: string;
  cutoffPosition: string | null;
  items: number | null;
  model: string | null;
  closedAt: string | null;
  approvedAt: string | null;
  paidAt: string | null;
  paymentReference: string | null;
  fxRates: { currency: string; rate: string }[];
  positions: { party: Party; currency: string; net: string }[];
  paymentInstructions: {
    seq: number;
    currency: string;
    payer: Party;
    payee: Party;
    amount: string;
  }[];
}

const nameOf = (party: Party) => (party.partner ? `${party.partner.name} (${party.id})` : party.id);

function printCycle(cycle: Cycle): void {
  console.log(
    `cycle ${cycle.number} (${cycle.id}): ${cycle.status}, ${cycle.items ?? 0} items, cut at ${cycle.cutoffPosition ?? '-'}, model ${cycle.model ?? '-'}`,
  );
  for (const rate of cycle.fxRates) console.log(`  fx ${rate.currency} = ${rate.rate}`);
  if (cycle.approvedAt) console.log(`  approved ${cycle.approvedAt}`);
  if (cycle.paidAt)
    console.log(`  paid ${cycle.paidAt}, reference ${cycle.paymentReference ?? '-'}`);
  console.log('net positions (positive: receives):');
  for (const p of cycle.positions)
    console.log(`  ${formatMinorUnits(p.net, p.currency).padStart(20)}  ${nameOf(p.party)}`);
  console.log('payments:');
  if (cycle.paymentInstructions.length === 0) console.log('  none');
  for (const i of cycle.paymentInstructions)
    console.log(
      `  ${String(i.seq).padStart(3)}. ${formatMinorUnits(i.amount, i.currency).padStart(20)}  ${nameOf(i.payer)} -> ${nameOf(i.payee)}`,
    );
}

/** The cycle asked for, or the last one closed (cycles are listed newest first: it is among the first two). */
async function cycleOrLastClosed(
  asked: string | undefined,
  fields: string,
): Promise<Cycle & Record<string, unknown>> {
  let id = asked;
  if (!id) {
    const list = await call<{
      settlementCycles: { edges: { node: { id: string; status: string } }[] };
    }>('{ settlementCycles(first: 2) { edges { node { id status } } } }');
    id = list.settlementCycles.edges.map((e) => e.node).find((c) => c.status !== 'DRAFT')?.id;
    if (!id) throw new Refused('NOT_FOUND: no cycle has been closed yet');
  }
  const found = await call<{ settlementCycle: (Cycle & Record<string, unknown>) | null }>(
    `query C($id: ID!) { settlementCycle(id: $id) { ${fields} } }`,
    { id },
  );
  if (!found.settlementCycle) throw new Refused(`NOT_FOUND: no settlement cycle ${id}`);
  return found.settlementCycle;
}

/**
 * The cycle asked for, or the oldest cycle in `status`: cycles are approved and paid in order, so
 * the next to approve is the oldest CLOSED one, the next to pay the oldest APPROVED one.
 */
async function cycleToAdvance(
  asked: string | undefined,
  status: 'CLOSED' | 'APPROVED',
): Promise<string> {
  if (asked) return asked;
  let after: string | null = null;
  let oldest: string | undefined;
  for (;;) {
    const page: {
      settlementCycles: {
        edges: { node: { id: string; status: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    } = await call(
      'query L($after: String) { settlementCycles(first: 100, after: $after) { edges { node { id status } } pageInfo { hasNextPage endCursor } } }',
      { after },
    );
    for (const { node } of page.settlementCycles.edges)
      if (node.status === status) oldest = node.id;
    if (!page.settlementCycles.pageInfo.hasNextPage) break;
    after = page.settlementCycles.pageInfo.endCursor;
  }
  if (!oldest) throw new Refused(`NOT_FOUND: no cycle is ${status.toLowerCase()} and waiting`);
  return oldest;
}

const options = {
  model: { type: 'string' },
  fx: { type: 'string', multiple: true },
  cycle: { type: 'string' },
  out: { type: 'string' },
  reference: { type: 'string' },
} as const;
type Options = ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];

async function close(values: Options): Promise<void> {
  const fxRates = (values.fx ?? []).map((pair) => {
    const [currency, rate] = pair.split('=');
    if (!currency || !rate) throw new UsageError(`--fx wants CUR=RATE, got ${pair}`);
    return { currency, rate };
  });
  const input = {
    ...(values.model ? { model: values.model } : {}),
    ...(fxRates.length ? { fxRates } : {}),
  };
  const closed = await call<{ closeSettlementCycle: Cycle }>(
    `mutation Close($input: CloseSettlementCycleInput) { closeSettlementCycle(input: $input) { ${CYCLE} } }`,
    { input },
  );
  printCycle(closed.closeSettlementCycle);
}

async function exportStatements(values: Options): Promise<void> {
  const cycle = await cycleOrLastClosed(
    values.cycle,
    `${CYCLE} statements { party { id partner { name } } csv }`,
  );
  const dir = resolve(values.out ?? join(settings.dataDir, 'statements'), `cycle-${cycle.number}`);
  mkdirSync(dir, { recursive: true });
  for (const statement of cycle.statements as { party: Party; csv: string }[]) {
    const file = join(dir, `${statement.party.id}.csv`);
    writeFileSync(file, statement.csv);
    console.log(`${file}  ${nameOf(statement.party)}`);
  }
}

async function verify(values: Options): Promise<void> {
  const cycle = await cycleOrLastClosed(values.cycle, 'id number status');
  const result = await call<{
    verifySettlementCycle: { matches: boolean; differences: string[] };
  }>('query V($id: ID!) { verifySettlementCycle(id: $id) { matches differences } }', {
    id: cycle.id,
  });
  if (!result.verifySettlementCycle.matches)
    throw new Refused(
      `cycle ${cycle.number} does not reproduce:\n${result.verifySettlementCycle.differences.join('\n')}`,
    );
  console.log(`cycle ${cycle.number} reproduces exactly`);
}

async function approve(values: Options): Promise<void> {
  const id = await cycleToAdvance(values.cycle, 'CLOSED');
  const approved = await call<{ approveSettlementCycle: Cycle }>(
    `mutation A($id: ID!) { approveSettlementCycle(id: $id) { ${CYCLE} } }`,
    { id },
  );
  printCycle(approved.approveSettlementCycle);
}

async function pay(values: Options): Promise<void> {
  if (!values.reference) throw new UsageError('pay needs --reference <payment reference>');
  const id = await cycleToAdvance(values.cycle, 'APPROVED');
  const paid = await call<{ markSettlementCyclePaid: Cycle }>(
    `mutation P($id: ID!, $input: MarkSettlementCyclePaidInput!) { markSettlementCyclePaid(id: $id, input: $input) { ${CYCLE} } }`,
    { id, input: { paymentReference: values.reference } },
  );
  printCycle(paid.markSettlementCyclePaid);
}

const commands: Record<string, (values: Options) => Promise<void>> = {
  close,
  nets: async (values) => printCycle(await cycleOrLastClosed(values.cycle, CYCLE)),
  export: exportStatements,
  verify,
  approve,
  pay,
};

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options });
  const command = positionals[0] === undefined ? undefined : commands[positionals[0]];
  if (!command)
    throw new UsageError(
      positionals[0] ? `unknown command "${positionals[0]}"` : 'a command is required',
    );
  await command(values);
}

await runCommand(help, async (argv) => {
  try {
    await main(argv);
    return 0;
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    console.error(error.message);
    return 1;
  }
});
