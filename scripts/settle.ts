/**
 * npm run settle -- <command> [options]   The operator's settlement CLI, through the gateway.
 *
 *   close   [--model HUB|DIRECT] [--fx GBP=1.1734 ...]   close the open cycle, print its nets and payments
 *   nets    [--cycle ID]                                   a cycle's net positions and payments (default: the last closed)
 *   export  [--cycle ID] [--out DIR]                       every statement of a cycle as CSV files (default DIR: .data/statements)
 *   verify  [--cycle ID]                                   recompute a closed cycle and compare it with what was stored
 *
 * GATEWAY_URL (default http://127.0.0.1:4000/graphql) and an operator token minted with the
 * network's signing key (JWT_KEYS_DIR, default .data/keys), as `npm run token` does.
 * Exit codes: 0 done, 1 refused (the error's code and message are printed), 2 bad usage or unreachable.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { signToken } from '../shared/src/auth/jwt';
import { loadSigningKey } from '../shared/src/auth/keys';

const usage =
  'usage: npm run settle -- close [--model HUB|DIRECT] [--fx CUR=RATE ...] | nets [--cycle ID] | export [--cycle ID] [--out DIR] | verify [--cycle ID]';

class Refused extends Error {}

const gatewayUrl = process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000/graphql';

async function call<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const token = signToken(
    loadSigningKey(resolve(process.env.JWT_KEYS_DIR ?? '.data/keys')),
    { role: 'operator', sub: 'operator:cli' },
    300,
  );
  const response = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
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

const CYCLE = `id number status cutoffPosition items model closedAt fxRates { currency rate }
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
  console.log('net positions (positive: receives):');
  for (const p of cycle.positions)
    console.log(`  ${p.currency} ${p.net.padStart(14)}  ${nameOf(p.party)}`);
  console.log('payments:');
  if (cycle.paymentInstructions.length === 0) console.log('  none');
  for (const i of cycle.paymentInstructions)
    console.log(
      `  ${String(i.seq).padStart(3)}. ${i.currency} ${i.amount.padStart(14)}  ${nameOf(i.payer)} -> ${nameOf(i.payee)}`,
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

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      fx: { type: 'string', multiple: true },
      cycle: { type: 'string' },
      out: { type: 'string' },
    },
  });
  switch (positionals[0]) {
    case 'close': {
      const fxRates = (values.fx ?? []).map((pair) => {
        const [currency, rate] = pair.split('=');
        if (!currency || !rate) throw new Error(`--fx wants CUR=RATE, got ${pair}`);
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
      return;
    }
    case 'nets':
      printCycle(await cycleOrLastClosed(values.cycle, CYCLE));
      return;
    case 'export': {
      const cycle = await cycleOrLastClosed(
        values.cycle,
        `${CYCLE} statements { party { id partner { name } } csv }`,
      );
      const dir = resolve(values.out ?? join('.data', 'statements'), `cycle-${cycle.number}`);
      mkdirSync(dir, { recursive: true });
      for (const statement of cycle.statements as { party: Party; csv: string }[]) {
        const file = join(dir, `${statement.party.id}.csv`);
        writeFileSync(file, statement.csv);
        console.log(`${file}  ${nameOf(statement.party)}`);
      }
      return;
    }
    case 'verify': {
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
      return;
    }
    default:
      throw new Error(usage);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(error instanceof Refused ? 1 : 2);
});
