import { randomUUID } from 'node:crypto';
import { signToken } from '../shared/src/auth/jwt';
import type { SigningKey } from '../shared/src/auth/keys';
import { comparePositions, FEED_START } from '../shared/src/feed/position';
import { type GraphQLClient, mapConcurrent, type Random } from './client';
import type { Failure } from './load';

/** The coalition the benchmark runs against, built through the public API as a partner would. */

export interface BenchPartner {
  id: string;
  storeId: string;
  token: string;
}

export interface Coalition {
  partners: BenchPartner[];
  memberIds: string[];
}

const TOKEN_SECONDS = 4 * 3600;

async function must<T>(
  client: GraphQLClient,
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<T> {
  const result = await client.call<T>(query, variables, token);
  if (result.code !== undefined || !result.data)
    throw new Error(`setup call failed: ${result.code} ${result.message}`);
  return result.data;
}

export async function onboardPartners(
  client: GraphQLClient,
  key: SigningKey,
  operator: string,
  count: number,
): Promise<BenchPartner[]> {
  const names = Array.from(
    { length: count },
    (_, i) => `Bench Partner ${String(i + 1).padStart(3, '0')}`,
  );
  return mapConcurrent(names, 8, async (name) => {
    const data = await must<{ onboardPartner: { id: string; stores: { id: string }[] } }>(
      client,
      `mutation Onboard($input: OnboardPartnerInput!) { onboardPartner(input: $input) { id stores { id } } }`,
      {
        input: {
          name,
          legalEntity: `${name} GmbH`,
          category: 'GROCERY',
          settlementCurrency: 'EUR',
          pointsPerCurrencyUnit: 1,
          // Earned points are available at once, so the hold + capture phase can spend them.
          returnWindowDays: 0,
          stores: [
            {
              name: `${name} Store`,
              kind: 'PHYSICAL',
              address: `1 ${name} Street, Berlin`,
              timeZone: 'Europe/Berlin',
            },
          ],
        },
      },
      operator,
    );
    const id = data.onboardPartner.id;
    const storeId = data.onboardPartner.stores[0]?.id;
    if (!storeId) throw new Error(`partner ${id} came back without its store`);
    return {
      id,
      storeId,
      token: signToken(
        key,
        { role: 'partner', sub: `partner:${id}`, partnerId: id },
        TOKEN_SECONDS,
      ),
    };
  });
}

export async function enrolMembers(
  client: GraphQLClient,
  operator: string,
  count: number,
): Promise<string[]> {
  const indexes = Array.from({ length: count }, (_, i) => i);
  return mapConcurrent(indexes, 32, async (i) => {
    const data = await must<{ enrolMember: { id: string } }>(
      client,
      `mutation Enrol($input: EnrolMemberInput!) { enrolMember(input: $input) { id } }`,
      {
        input: {
          name: `Bench Member ${i}`,
          email: `bench.member.${i}.${randomUUID().slice(0, 8)}@example.com`,
        },
      },
      operator,
    );
    return data.enrolMember.id;
  });
}

/** The last position of the partner feed, read the way the member service reads it. */
export async function partnerFeedHead(partnerUrl: string, key: SigningKey): Promise<string> {
  const token = signToken(key, { role: 'service', sub: 'service:bench' }, 600);
  let after = FEED_START;
  for (;;) {
    const response = await fetch(`${partnerUrl}/feed?after=${after}&limit=500`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw new Error(`partner feed answered ${response.status}`);
    const page = (await response.json()) as { facts: unknown[]; next: string };
    if (page.facts.length === 0) return after;
    after = page.next;
  }
}

/** Waits until the member service's replica has applied the partner feed up to `head`. */
export async function waitForPartnerFeed(
  client: GraphQLClient,
  operator: string,
  head: string,
  timeoutMs: number,
): Promise<{ position: string; factsApplied: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const data = await must<{ partnerFeedStatus: { position: string; factsApplied: number } }>(
      client,
      '{ partnerFeedStatus { position factsApplied } }',
      {},
      operator,
    );
    if (comparePositions(data.partnerFeedStatus.position, head) >= 0) return data.partnerFeedStatus;
    if (Date.now() > deadline)
      throw new Error(
        `the member service did not apply the partner feed up to ${head} within ${timeoutMs} ms (at ${data.partnerFeedStatus.position})`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const EARN = `mutation Earn($input: EarnPointsInput!) {
  earnPoints(input: $input) { transactionId pointsEarned wallet { available pending } }
}`;
const HOLD = `mutation Hold($input: HoldPointsInput!) { holdPoints(input: $input) { id status points } }`;
const CAPTURE = `mutation Capture($input: CapturePointsInput!) {
  capturePoints(input: $input) { transactionId pointsBurned wallet { available } }
}`;

/**
 * Spendable points per member as the earn answers reported them, minus what the benchmark has
 * since held: the hold + capture phase only asks members for points they have.
 */
export class Balances {
  private readonly available = new Map<string, number>();
  private readonly members: string[] = [];

  earned(memberId: string, available: number): void {
    const had = this.available.get(memberId);
    if (had === undefined) this.members.push(memberId);
    // Answers to one member's earns may arrive out of order; during earn phases the balance only grows.
    this.available.set(memberId, Math.max(had ?? 0, available));
  }

  /** A member with at least `points` to spend, chosen at random, with the points taken off; undefined if none. */
  take(random: Random, points: number, tries = 50): string | undefined {
    for (let i = 0; i < tries && this.members.length > 0; i++) {
      const memberId = random.pick(this.members);
      const have = this.available.get(memberId) ?? 0;
      if (have >= points) {
        this.available.set(memberId, have - points);
        return memberId;
      }
    }
    return undefined;
  }

  get size(): number {
    return this.members.length;
  }
}

export interface WalletLoad {
  client: GraphQLClient;
  random: Random;
  memberIds: readonly string[];
  balances: Balances;
}

/** One purchase at a partner's store by a random member: a fresh idempotency key and receipt id every time. */
export function earnOperation(
  load: WalletLoad,
  pickPartner: () => BenchPartner,
): () => Promise<Failure | undefined> {
  return async () => {
    const partner = pickPartner();
    const memberId = load.random.pick(load.memberIds);
    const total = load.random.int(500, 20_000);
    const first = Math.floor(total / 3);
    const result = await load.client.call<{
      earnPoints: { pointsEarned: string; wallet: { available: string } };
    }>(
      EARN,
      {
        input: {
          idempotencyKey: randomUUID(),
          memberId,
          storeId: partner.storeId,
          receiptId: `B-${randomUUID()}`,
          occurredAt: new Date().toISOString(),
          total: String(total),
          currency: 'EUR',
          lines: [
            { sku: 'SKU-COFFEE', category: 'grocery', amount: String(first) },
            { sku: 'SKU-BREAD', category: 'bakery', amount: String(total - first) },
          ],
        },
      },
      partner.token,
    );
    if (result.code !== undefined) return { code: result.code, message: result.message };
    const available = result.data?.earnPoints.wallet.available;
    if (available === undefined) return { code: 'NO_DATA' };
    load.balances.earned(memberId, Number(available));
    return undefined;
  };
}

/** A payment with points at a till: hold a few points, then capture the hold, both at one partner. */
export function holdCaptureOperation(
  load: WalletLoad,
  pickPartner: () => BenchPartner,
): () => Promise<Failure | undefined> {
  return async () => {
    const partner = pickPartner();
    const points = load.random.int(1, 5);
    const memberId = load.balances.take(load.random, points);
    if (!memberId)
      return {
        code: 'BENCH_NO_MEMBER_WITH_POINTS',
        message: 'no member has enough points left for a hold',
      };
    const held = await load.client.call<{ holdPoints: { id: string } }>(
      HOLD,
      {
        input: {
          idempotencyKey: randomUUID(),
          memberId,
          storeId: partner.storeId,
          points: String(points),
          timeoutSeconds: 300,
        },
      },
      partner.token,
    );
    if (held.code !== undefined) return { code: `hold:${held.code}`, message: held.message };
    const holdId = held.data?.holdPoints.id;
    if (!holdId) return { code: 'hold:NO_DATA' };
    const captured = await load.client.call<{ capturePoints: { pointsBurned: string } }>(
      CAPTURE,
      { input: { idempotencyKey: randomUUID(), holdId } },
      partner.token,
    );
    if (captured.code !== undefined)
      return { code: `capture:${captured.code}`, message: captured.message };
    return undefined;
  };
}

/** The cheapest request a server can answer: `{ __typename }`, resolved without any subgraph or database. */
export function typenameOperation(
  client: GraphQLClient,
  token: string,
): () => Promise<Failure | undefined> {
  return async () => {
    const result = await client.call<{ __typename: string }>('{ __typename }', {}, token);
    return result.code === undefined ? undefined : { code: result.code, message: result.message };
  };
}

/**
 * The cheapest request that crosses the whole federation: one member by id, through the gateway to
 * the member subgraph and one indexed SELECT. No earn, which writes, can be cheaper than this.
 */
export function memberReadOperation(
  load: Pick<WalletLoad, 'client' | 'random' | 'memberIds'>,
  token: string,
): () => Promise<Failure | undefined> {
  return async () => {
    const result = await load.client.call<{ member: { id: string } | null }>(
      'query Member($id: ID!) { member(id: $id) { id } }',
      { id: load.random.pick(load.memberIds) },
      token,
    );
    if (result.code !== undefined) return { code: result.code, message: result.message };
    return result.data?.member
      ? undefined
      : { code: 'NOT_FOUND', message: 'a benchmark member was not found' };
  };
}
