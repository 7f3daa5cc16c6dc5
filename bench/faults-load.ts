import { randomUUID } from 'node:crypto';
import type { GraphQLClient, GraphQLResult, Random } from './client';
import type { BenchPartner } from './coalition';

/**
 * The fault run's load: earns and burns through the gateway, each retried under its own
 * idempotency key while a fault lasts, as a till would. What was acknowledged is what the checks
 * hold the ledger to.
 */

export interface Acknowledged {
  kind: 'earn' | 'burn';
  transactionId: string;
  points: bigint;
}

export interface LoadOutcome {
  acknowledged: Acknowledged[];
  /** e.g. "earn 812, burn 203" */
  byKind: string;
  refused: number;
  /** Operations still failing when the load stopped: neither acknowledged nor refused. */
  abandoned: number;
  retries: number;
  /** Refusals no rule explains (anything but INSUFFICIENT_POINTS for a burn): bugs. */
  unexpected: string[];
}

interface LoadOptions {
  client: GraphQLClient;
  random: Random;
  partners: readonly BenchPartner[];
  memberIds: readonly string[];
  concurrency: number;
}

/** Answers that mean "not now" (a service or the database is down): the till tries again. */
const transient = (code: string) =>
  code.startsWith('HTTP_') ||
  code.startsWith('TRANSPORT_') ||
  ['SERVICE_UNAVAILABLE', 'DOWNSTREAM_SERVICE_ERROR', 'INTERNAL_SERVER_ERROR', 'NO_CODE'].includes(
    code,
  );

/** Rules may refuse these; anything else is a bug the run reports by failing its checks. */
const expectedRefusals = new Set(['INSUFFICIENT_POINTS']);

const EARN = `mutation FaultEarn($input: EarnPointsInput!) { earnPoints(input: $input) { transactionId pointsEarned } }`;
const BURN = `mutation FaultBurn($input: BurnPointsInput!) { burnPoints(input: $input) { transactionId pointsBurned } }`;

interface Operation {
  kind: 'earn' | 'burn';
  query: string;
  input: Record<string, unknown>;
  token: string;
  /** The transaction id and points from a successful answer. */
  read: (data: Record<string, unknown>) => { transactionId: string; points: bigint };
}

function earnOperation(options: LoadOptions): Operation {
  const partner = options.random.pick(options.partners);
  const total = options.random.int(500, 5_000);
  return {
    kind: 'earn',
    query: EARN,
    token: partner.token,
    input: {
      idempotencyKey: randomUUID(),
      memberId: options.random.pick(options.memberIds),
      storeId: partner.storeId,
      receiptId: `F-${randomUUID()}`,
      occurredAt: new Date().toISOString(),
      total: String(total),
      currency: 'EUR',
      lines: [{ sku: 'SKU-FAULT', category: 'grocery', amount: String(total) }],
    },
    read: (data) => {
      const earned = data.earnPoints as { transactionId: string; pointsEarned: string };
      return { transactionId: earned.transactionId, points: BigInt(earned.pointsEarned) };
    },
  };
}

function burnOperation(options: LoadOptions): Operation {
  const partner = options.random.pick(options.partners);
  return {
    kind: 'burn',
    query: BURN,
    token: partner.token,
    input: {
      idempotencyKey: randomUUID(),
      memberId: options.random.pick(options.memberIds),
      storeId: partner.storeId,
      points: String(options.random.int(1, 5)),
    },
    read: (data) => {
      const burned = data.burnPoints as { transactionId: string; pointsBurned: string };
      return { transactionId: burned.transactionId, points: BigInt(burned.pointsBurned) };
    },
  };
}

async function send(
  client: GraphQLClient,
  operation: Operation,
): Promise<GraphQLResult<Record<string, unknown>>> {
  try {
    return await client.call(operation.query, { input: operation.input }, operation.token);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'ERROR';
    return { code: `TRANSPORT_${code}`, message: (error as Error).message };
  }
}

export function runLoad(options: LoadOptions): { stop(): Promise<LoadOutcome> } {
  const outcome: LoadOutcome = {
    acknowledged: [],
    byKind: '',
    refused: 0,
    abandoned: 0,
    retries: 0,
    unexpected: [],
  };
  let stopping = false;
  let giveUpAt = Number.POSITIVE_INFINITY;

  const submit = async (operation: Operation) => {
    for (let attempt = 0; ; attempt++) {
      const result = await send(options.client, operation);
      if (result.code === undefined && result.data) {
        const { transactionId, points } = operation.read(result.data);
        outcome.acknowledged.push({ kind: operation.kind, transactionId, points });
        return;
      }
      const code = result.code ?? 'NO_DATA';
      if (!transient(code)) {
        outcome.refused += 1;
        if (!expectedRefusals.has(code)) outcome.unexpected.push(`${code}: ${result.message}`);
        return;
      }
      if (Date.now() > giveUpAt) {
        outcome.abandoned += 1;
        return;
      }
      outcome.retries += 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** attempt)));
    }
  };

  const worker = async () => {
    while (!stopping) {
      const operation = options.random.chance(0.75)
        ? earnOperation(options)
        : burnOperation(options);
      await submit(operation);
    }
  };
  const workers = Promise.all(Array.from({ length: options.concurrency }, worker));

  return {
    async stop() {
      stopping = true;
      // Operations in flight get two minutes after the last fault to be acknowledged.
      giveUpAt = Date.now() + 120_000;
      await workers;
      const count = (kind: string) => outcome.acknowledged.filter((op) => op.kind === kind).length;
      outcome.byKind = `earn ${count('earn')}, burn ${count('burn')}`;
      outcome.unexpected = [...new Set(outcome.unexpected)];
      return outcome;
    },
  };
}
