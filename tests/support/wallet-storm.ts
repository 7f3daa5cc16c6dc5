import { randomUUID } from 'node:crypto';
import { codesOf, type GraphQLResponse } from './graphql';
import type { Random } from './random';
import { burn, capture, earn, earnInput, hold, voidHold } from './wallet';

/**
 * A seeded storm of concurrent wallet operations (earn, hold, capture, void, one-step burn) on a
 * few members, and the model of what the successful responses say each wallet must now hold.
 * Some operations are sent twice at once under one idempotency key: both answers must match, and
 * the model counts the effect once.
 */

export interface StormOptions {
  url: string;
  token: string;
  storeId: string;
  memberIds: readonly string[];
  random: Random;
  operationsMax: number;
  concurrency: number;
  /** Stop dispatching after this long, whatever is left. */
  durationMsMax: number;
}

type HoldState = 'OPEN' | 'CAPTURED' | 'VOIDED';

interface HeldPoints {
  memberId: string;
  points: bigint;
  state: HoldState;
  /** Successful captures and voids: more than one is an L6 violation. */
  resolutions: number;
}

export interface StormResult {
  operations: number;
  succeeded: Record<string, number>;
  refused: Record<string, number>;
  /** Answers that no model allows: unexpected errors, mismatched duplicate answers, double resolutions. */
  anomalies: string[];
  /** Per member, what the successful responses add up to. */
  expected: Map<string, { earned: bigint; burned: bigint; held: bigint }>;
}

/** Codes an operation may legitimately be refused with in the storm. */
const refusals: Record<string, readonly string[]> = {
  earn: [],
  burn: ['INSUFFICIENT_POINTS'],
  hold: ['INSUFFICIENT_POINTS'],
  capture: ['HOLD_NOT_OPEN'],
  void: ['HOLD_NOT_OPEN'],
};

type Response = GraphQLResponse<Record<string, unknown>>;
type Operation = {
  kind: string;
  send: (key: string) => Promise<Response>;
  apply: (response: Response) => void;
};

interface StormState {
  options: StormOptions;
  holds: Map<string, HeldPoints>;
  totals: Map<string, { earned: bigint; burned: bigint }>;
  result: StormResult;
}

const tally = (bucket: Record<string, number>, kind: string) =>
  (bucket[kind] = (bucket[kind] ?? 0) + 1);

function resolveHold(state: StormState, holdId: string, to: HoldState): void {
  const held = state.holds.get(holdId)!;
  held.resolutions += 1;
  if (held.resolutions > 1)
    state.result.anomalies.push(`hold ${holdId} resolved twice (now ${to}, was ${held.state})`);
  held.state = to;
}

/** Earn 25%, burn 20%, hold 25%, capture 17%, void 13% (capture and void only once a hold exists). */
function nextOperation(state: StormState): Operation {
  const { options, holds, totals } = state;
  const { random, url, token, storeId } = options;
  const memberId = random.pick(options.memberIds);
  const known = [...holds.entries()];
  const roll = random.next();
  if (roll < 0.25) {
    // Built once: a retry under the same key must be the same request (receipt id, time and all).
    const purchase = earnInput({ memberId, storeId, total: random.int(100, 20_000).toString() });
    return {
      kind: 'earn',
      send: (key) => earn(url, token, { ...purchase, idempotencyKey: key }) as Promise<Response>,
      apply: (r) =>
        (totals.get(memberId)!.earned += BigInt(
          (r.data as { earnPoints: { pointsEarned: string } }).earnPoints.pointsEarned,
        )),
    };
  }
  const points = random.int(1, 150).toString();
  if (roll < 0.45) {
    return {
      kind: 'burn',
      send: (key) =>
        burn(url, token, { idempotencyKey: key, memberId, storeId, points }) as Promise<Response>,
      apply: (r) =>
        (totals.get(memberId)!.burned += BigInt(
          (r.data as { burnPoints: { pointsBurned: string } }).burnPoints.pointsBurned,
        )),
    };
  }
  if (roll < 0.7 || known.length === 0) {
    return {
      kind: 'hold',
      send: (key) =>
        hold(url, token, { idempotencyKey: key, memberId, storeId, points }) as Promise<Response>,
      apply: (r) => {
        const placed = (r.data as { holdPoints: { id: string; points: string } }).holdPoints;
        holds.set(placed.id, {
          memberId,
          points: BigInt(placed.points),
          state: 'OPEN',
          resolutions: 0,
        });
      },
    };
  }
  // Mostly open holds, sometimes one already resolved (it must be refused).
  const open = known.filter(([, h]) => h.state === 'OPEN');
  const [holdId, held] =
    open.length > 0 && random.chance(0.85) ? random.pick(open) : random.pick(known);
  if (roll < 0.87) {
    const partial = random.chance(0.5)
      ? {}
      : { points: random.int(1, Number(held.points)).toString() };
    return {
      kind: 'capture',
      send: (key) =>
        capture(url, token, { idempotencyKey: key, holdId, ...partial }) as Promise<Response>,
      apply: (r) => {
        resolveHold(state, holdId, 'CAPTURED');
        totals.get(held.memberId)!.burned += BigInt(
          (r.data as { capturePoints: { pointsBurned: string } }).capturePoints.pointsBurned,
        );
      },
    };
  }
  return {
    kind: 'void',
    send: (key) => voidHold(url, token, { idempotencyKey: key, holdId }) as Promise<Response>,
    apply: () => resolveHold(state, holdId, 'VOIDED'),
  };
}

/** Sends one operation (15% of the time twice at once under one key) and folds its answer into the model. */
async function perform(state: StormState, operation: Operation): Promise<void> {
  const { result } = state;
  const key = randomUUID();
  const twice = state.options.random.chance(0.15);
  const [first, second] = await Promise.all(
    twice ? [operation.send(key), operation.send(key)] : [operation.send(key)],
  );
  if (
    second &&
    JSON.stringify([first!.data, codesOf(first!)]) !==
      JSON.stringify([second.data, codesOf(second)])
  ) {
    result.anomalies.push(
      `${operation.kind}: two answers for one key: ${JSON.stringify(first!.data ?? first!.errors)} vs ${JSON.stringify(second.data ?? second.errors)}`,
    );
  }
  const code = codesOf(first!)[0];
  if (code === undefined) {
    tally(result.succeeded, operation.kind);
    operation.apply(first!);
  } else if (typeof code === 'string' && refusals[operation.kind]!.includes(code)) {
    tally(result.refused, operation.kind);
  } else {
    result.anomalies.push(`${operation.kind}: unexpected ${JSON.stringify(first!.errors)}`);
  }
}

export async function runStorm(options: StormOptions): Promise<StormResult> {
  const state: StormState = {
    options,
    holds: new Map(),
    totals: new Map(options.memberIds.map((id) => [id, { earned: 0n, burned: 0n }])),
    result: { operations: 0, succeeded: {}, refused: {}, anomalies: [], expected: new Map() },
  };
  const deadline = Date.now() + options.durationMsMax;
  const worker = async () => {
    while (state.result.operations < options.operationsMax && Date.now() < deadline) {
      state.result.operations += 1;
      await perform(state, nextOperation(state));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  for (const [memberId, total] of state.totals) {
    const held = [...state.holds.values()]
      .filter((h) => h.memberId === memberId && h.state === 'OPEN')
      .reduce((sum, h) => sum + h.points, 0n);
    state.result.expected.set(memberId, { ...total, held });
  }
  return state.result;
}
