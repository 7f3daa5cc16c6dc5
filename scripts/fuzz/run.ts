import fc from 'fast-check';
import { buildSchema, getNamedType, type GraphQLField } from 'graphql';
import { DataSource } from 'typeorm';
import type { SigningKey } from '../../shared/src/auth/keys';
import { ErrorCode } from '../../shared/src/errors';
import type { SubgraphName } from '../../shared/src/topology';
import { auditLedger, formatReport } from '../../subgraphs/member/src/modules/audit/ledger-audit';
import { buildFixtures, post, type Answer, type Callers } from './fixtures';
import { callOf, type FuzzCall } from './inputs';
import { Pool } from './pool';
import { WriteWatch, type Written } from './write-watch';

export interface FuzzOptions {
  /** The gateway's GraphQL endpoint. */
  graphqlUrl: string;
  /** The public schema the gateway serves (GET /schema.graphql). */
  schemaSdl: string;
  databaseUrls: Record<SubgraphName, string>;
  signingKey: SigningKey;
  calls: number;
  seed: number;
  progress?: (line: string) => void;
  /** A mutation whose every call is printed (through progress) with its answer's first error. */
  trace?: string;
}

export interface Finding {
  call: number;
  field: string;
  role: string;
  query: string;
  variables: Record<string, unknown>;
  answer: Answer;
  written?: Written[];
}

export interface FuzzReport {
  calls: number;
  seed: number;
  durationMs: number;
  /** Per mutation: calls answered with data, calls refused, and the first refusal's message by code. */
  outcomes: Record<string, { ok: number; refused: number; refusals: Record<string, string> }>;
  /** How often each error code came back. */
  codes: Record<string, number>;
  internalErrors: Finding[];
  partialWrites: Finding[];
  audit: { ok: boolean; text: string };
}

/**
 * Tables the services write on their own, not on behalf of the call being made: the wallet's
 * copy of partner configuration and settlement's intake of the member feed (both feed
 * consumers, catching up with earlier calls), and every consumer's cursor.
 */
const background: Record<SubgraphName, readonly string[]> = {
  member: [
    'feed_cursor',
    'partner_replica',
    'store_replica',
    'earn_rules_replica',
    'offer_replica',
    'offer_spend',
    'tier_bonus_replica',
  ],
  'partner-merchant': ['feed_cursor'],
  settlement: [
    'feed_cursor',
    'member_fact',
    'lot_flow',
    'liability_cell',
    'settlement_item',
    'journal_entry',
    'cycle_position',
    'partner_directory',
  ],
};

/**
 * What a refusal may write, because the API promises it (an SQL condition on each row written,
 * for `WriteWatch`):
 * - the wallet keeps a refused operation's outcome under its idempotency key (the same key gives
 *   the same refusal again: the IdempotencyKey scalar's description);
 * - a hold past its timeout is expired when the wallet next locks its member, whatever the call,
 *   and what it reserved repays the member's debt first (a DEBT_REPAYMENT, docs/ledger.md, L6);
 * - an order the wallet refused stays as a FAILED order (orderReward's description).
 * Anything else a refused call writes is a partial write.
 */
const expiredHoldRepayment = `kind = 'DEBT_REPAYMENT' AND details->>'cause' = 'EXPIRED'`;
const repaidIn = (table: string) =>
  `EXISTS (SELECT 1 FROM ledger_transaction r WHERE r.xmin::text::bigint >= $1
     AND r.kind = 'DEBT_REPAYMENT' AND r.details->>'cause' = 'EXPIRED' AND r.member_id = ${table}.member_id)`;
const everyRefusal: Record<string, string> = {
  'member.idempotency_record': 'true',
  'member.hold': `status = 'EXPIRED'`,
  'member.ledger_transaction': expiredHoldRepayment,
  'member.lot_link': `transaction_id IN (SELECT id FROM ledger_transaction WHERE ${expiredHoldRepayment})`,
  'member.lot': repaidIn('lot'),
  'member.wallet': repaidIn('wallet'),
  'member.outbox': `type = 'debt.repaid' AND payload->>'cause' = 'EXPIRED'`,
};
const promisedOnRefusal = (field: string): Record<string, string> =>
  field === 'orderReward'
    ? { ...everyRefusal, 'partner-merchant.reward_order': `status = 'FAILED'` }
    : everyRefusal;

/** Codes that mean the network failed, not the caller: a bug to fix wherever it shows. */
const internal = new Set<unknown>([ErrorCode.INTERNAL_SERVER_ERROR, undefined, null]);

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const startedAt = Date.now();
  const log = options.progress ?? (() => undefined);
  const schema = buildSchema(options.schemaSdl);
  const mutations = Object.values(schema.getMutationType()?.getFields() ?? {});
  const pool = new Pool();
  const callers = await buildFixtures(options.graphqlUrl, options.signingKey, pool);
  const watch = new WriteWatch(options.databaseUrls, background);
  const now = Date.now();
  const arbitraries = new Map(mutations.map((field) => [field.name, callOf(field, pool, now)]));
  const pick = fc.tuple(
    fc.constantFrom(...mutations),
    // Unbiased: fast-check leans towards the ends of a range, which would always pick the first role.
    fc.noBias(fc.integer({ min: 0, max: 9_999 })).map((n) => n / 10_000),
  );
  const roles = new RoleChoice(callers.tokens);
  const report: FuzzReport = {
    calls: 0,
    seed: options.seed,
    durationMs: 0,
    outcomes: {},
    codes: {},
    internalErrors: [],
    partialWrites: [],
    audit: { ok: false, text: '' },
  };
  try {
    for (let index = 0; index < options.calls; index++) {
      const seed = options.seed + index;
      const [[field, roll]] = fc.sample(pick, { seed, numRuns: 1 }) as [
        [GraphQLField<unknown, unknown>, number],
      ];
      const caller = roles.pick(field.name, roll);
      pool.callerOwns(caller.owns);
      const [call] = fc.sample(arbitraries.get(field.name)!, { seed, numRuns: 1 }) as [FuzzCall];
      const mark = await watch.begin();
      const answer = await post(options.graphqlUrl, call.query, call.variables, caller.token);
      report.calls++;
      const { query, variables } = call;
      const finding = {
        call: index,
        field: field.name,
        role: caller.role,
        query,
        variables,
        answer,
      };
      const refused = record(report, field.name, answer);
      roles.learn(field.name, caller, answer);
      if (options.trace === field.name) log(traceLine(caller.role, call, answer));
      if (isInternal(answer)) report.internalErrors.push(finding);
      const written = await watch.end(mark, refused, promisedOnRefusal(field.name));
      if (written.length > 0) report.partialWrites.push({ ...finding, written });
      if (!refused) {
        harvest(pool, answer.data?.[field.name], getNamedType(field.type).name);
        harvestVariables(pool, call.variables);
      }
      if ((index + 1) % 500 === 0)
        log(
          `${index + 1}/${options.calls} calls: ${report.internalErrors.length} internal errors, ${report.partialWrites.length} partial writes`,
        );
    }
  } finally {
    await watch.close();
  }
  report.audit = await auditMember(options.databaseUrls.member);
  report.durationMs = Date.now() - startedAt;
  return report;
}

type Caller = Callers['tokens'][number];

/**
 * Which caller makes a call: every role, weighted, but a role a mutation keeps refusing as not
 * allowed is chosen a tenth as often for it, so most calls get past authorisation to the rules.
 */
class RoleChoice {
  private readonly denied = new Map<string, number>();

  constructor(private readonly tokens: Caller[]) {}

  pick(field: string, roll: number): Caller {
    const weights = this.tokens.map(
      (caller) =>
        caller.weight * ((this.denied.get(`${field}/${caller.role}`) ?? 0) >= 2 ? 0.1 : 1),
    );
    let left = roll * weights.reduce((sum, weight) => sum + weight, 0);
    for (const [index, caller] of this.tokens.entries()) {
      left -= weights[index]!;
      if (left < 0) return caller;
    }
    return this.tokens[0]!;
  }

  learn(field: string, caller: Caller, answer: Answer): void {
    const code = answer.errors?.[0]?.extensions?.code;
    if (code !== 'FORBIDDEN' && code !== 'UNAUTHENTICATED') return;
    const key = `${field}/${caller.role}`;
    this.denied.set(key, (this.denied.get(key) ?? 0) + 1);
  }
}

const traceLine = (role: string, call: FuzzCall, answer: Answer) => {
  const error = answer.errors?.[0];
  const outcome = error ? `${String(error.extensions?.code)}: ${error.message}` : 'ok';
  return `${call.field} as ${role}: ${JSON.stringify(call.variables).slice(0, 300)} → ${outcome.slice(0, 200)}`;
};

const isInternal = (answer: Answer) =>
  answer.status >= 500 ||
  (!answer.errors && !answer.data) ||
  (answer.errors ?? []).some((error) => internal.has(error.extensions?.code));

/** Counts the outcome; returns whether the call was refused (an error, and no data for the field). */
function record(report: FuzzReport, field: string, answer: Answer): boolean {
  const outcome = (report.outcomes[field] ??= { ok: 0, refused: 0, refusals: {} });
  for (const error of answer.errors ?? []) {
    const code = String(error.extensions?.code ?? 'NO_CODE');
    report.codes[code] = (report.codes[code] ?? 0) + 1;
  }
  const refused = (answer.errors?.length ?? 0) > 0 && !answer.data?.[field];
  const first = answer.errors?.[0];
  if (refused && first) outcome.refusals[String(first.extensions?.code)] ??= first.message;
  if (refused) outcome.refused++;
  else outcome.ok++;
  return refused;
}

const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
const harvestedStrings = new Set(['cardNumber', 'clientId', 'code', 'receiptId']);

/** Ids and codes a successful answer handed out, by kind, for later calls to name. */
function harvest(pool: Pool, value: unknown, kind: string): void {
  if (Array.isArray(value)) {
    for (const item of value) harvest(pool, item, kind);
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'id') {
      pool.add(lowerFirst(kind), item);
      const lastWord = /[A-Z][a-z]+$/.exec(kind)?.[0];
      if (lastWord) pool.add(lowerFirst(lastWord), item);
    } else if (harvestedStrings.has(key)) pool.add(key, item);
    else if (key.endsWith('Id') && typeof item === 'string') pool.add(key.slice(0, -2), item);
    else if (item && typeof item === 'object') harvest(pool, item, key);
  }
}

/** Keys and receipts a successful call used: a later call may repeat them (replays, refunds). */
function harvestVariables(pool: Pool, value: unknown): void {
  if (!value || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'idempotencyKey' || key === 'receiptId') pool.add(key, item);
    else harvestVariables(pool, item);
  }
}

async function auditMember(url: string): Promise<{ ok: boolean; text: string }> {
  const dataSource = new DataSource({ type: 'postgres', url, parseInt8: false, poolSize: 2 });
  await dataSource.initialize();
  try {
    const report = await auditLedger(dataSource);
    return { ok: report.ok, text: formatReport(report) };
  } finally {
    await dataSource.destroy();
  }
}
