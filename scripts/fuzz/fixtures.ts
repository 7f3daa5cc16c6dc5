import { randomUUID } from 'node:crypto';
import { signToken, type Claims } from '../../shared/src/auth/jwt';
import type { SigningKey } from '../../shared/src/auth/keys';
import type { Pool } from './pool';

/** One GraphQL call over HTTP: the status and the parsed body (or the text, when it is not JSON). */
export interface Answer {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  text?: string;
}

export async function post(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  try {
    return { status: response.status, ...(JSON.parse(text) as Omit<Answer, 'status'>) };
  } catch {
    return { status: response.status, text };
  }
}

/** The callers the fuzzer speaks as: each call picks one. */
export interface Callers {
  tokens: {
    role: string;
    token: string;
    weight: number;
    /** The caller's own things by kind, which its calls name more often than others'. */
    owns: Record<string, string>;
  }[];
}

const TOKEN_SECONDS = 3600;

type Must = (query: string, variables: Record<string, unknown>) => Promise<Record<string, unknown>>;
interface FuzzPartner {
  id: string;
  storeId: string;
}

/** A small coalition to aim at: two partners with a store each, members with points. */
export async function buildFixtures(url: string, key: SigningKey, pool: Pool): Promise<Callers> {
  const sign = (claims: Claims) => signToken(key, claims, TOKEN_SECONDS);
  const operator = sign({ role: 'operator', sub: 'operator:fuzz' });
  const must: Must = async (query, variables) => {
    const answer = await post(url, query, variables, operator);
    if (answer.errors || !answer.data)
      throw new Error(`fuzz set-up failed: ${JSON.stringify(answer.errors ?? answer.text)}`);
    return answer.data;
  };
  const partners = [
    await onboard(must, 'Fuzz Grocer', pool),
    await onboard(must, 'Fuzz Fuel', pool),
  ];
  const members: string[] = [];
  for (let i = 0; i < 4; i++) members.push(await enrol(must, i, pool));
  await linkAndEarn(url, members, partners, sign, pool);
  // Settlement opens its first cycle on first use; opened here, a refused close never opens it.
  const cycle = await must('query { currentSettlementCycle { id } }', {});
  pool.add('settlementCycle', (cycle.currentSettlementCycle as { id: string }).id);
  pool.add('cycle', (cycle.currentSettlementCycle as { id: string }).id);
  const [main, other] = partners as [FuzzPartner, FuzzPartner];
  const partner = (id: string, sub: string) => sign({ role: 'partner', sub, partnerId: id });
  const till = { role: 'terminal', sub: 'till:fuzz', partnerId: main.id, storeId: main.storeId };
  const ownedBy = (p: FuzzPartner) => ({ partner: p.id, store: p.storeId });
  return {
    tokens: [
      { role: 'operator', token: operator, weight: 5, owns: {} },
      { role: 'partner', token: partner(main.id, 'partner:fuzz'), weight: 4, owns: ownedBy(main) },
      {
        role: 'partner',
        token: partner(other.id, 'partner:other'),
        weight: 1,
        owns: ownedBy(other),
      },
      { role: 'terminal', token: sign(till as Claims), weight: 1, owns: ownedBy(main) },
      {
        role: 'member',
        token: sign({ role: 'member', sub: 'member:fuzz', memberId: members[0]! }),
        weight: 1,
        owns: { member: members[0]! },
      },
    ],
  };
}

async function onboard(must: Must, name: string, pool: Pool): Promise<FuzzPartner> {
  const data = await must(
    `mutation O($input: OnboardPartnerInput!) { onboardPartner(input: $input) { id stores { id } } }`,
    {
      input: {
        name,
        legalEntity: `${name} Ltd`,
        category: 'GROCERY',
        settlementCurrency: 'EUR',
        returnWindowDays: 0,
        stores: [
          { name: `${name} Quay`, kind: 'PHYSICAL', address: '1 Quay', timeZone: 'Europe/Berlin' },
        ],
      },
    },
  );
  const partner = data.onboardPartner as { id: string; stores: { id: string }[] };
  pool.add('partner', partner.id);
  pool.add('store', partner.stores[0]!.id);
  return { id: partner.id, storeId: partner.stores[0]!.id };
}

async function enrol(must: Must, index: number, pool: Pool): Promise<string> {
  const data = await must(
    `mutation E($input: EnrolMemberInput!) { enrolMember(input: $input) { id cardNumber } }`,
    { input: { name: `Fuzz Member ${index}`, email: `fuzz.${randomUUID()}@example.com` } },
  );
  const member = data.enrolMember as { id: string; cardNumber: string };
  pool.add('member', member.id);
  pool.add('cardNumber', member.cardNumber);
  return member.id;
}

/**
 * Links every member to every partner and gives each points at the first partner. The member
 * service learns partners from the partner feed, so a link is retried until the partner arrived.
 */
async function linkAndEarn(
  url: string,
  members: string[],
  partners: FuzzPartner[],
  sign: (claims: Claims) => string,
  pool: Pool,
): Promise<void> {
  const operator = sign({ role: 'operator', sub: 'operator:fuzz' });
  const deadline = Date.now() + 30_000;
  for (const member of members) {
    for (const partner of partners) {
      for (;;) {
        const answer = await post(
          url,
          `mutation L($m: ID!, $p: ID!) { linkPartner(memberId: $m, partnerId: $p) { id } }`,
          { m: member, p: partner.id },
          operator,
        );
        if (!answer.errors) break;
        if (Date.now() > deadline)
          throw new Error(`fuzz set-up could not link: ${JSON.stringify(answer.errors)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    const partner = partners[0]!;
    const receiptId = `R-${randomUUID()}`;
    const answer = await post(
      url,
      `mutation E($input: EarnPointsInput!) { earnPoints(input: $input) { transactionId } }`,
      {
        input: {
          idempotencyKey: randomUUID(),
          memberId: member,
          storeId: partner.storeId,
          receiptId,
          occurredAt: new Date().toISOString(),
          total: '50000',
          currency: 'EUR',
          lines: [{ sku: 'SKU-1', category: 'grocery', amount: '50000' }],
        },
      },
      sign({ role: 'partner', sub: 'partner:fuzz', partnerId: partner.id }),
    );
    if (answer.errors)
      throw new Error(`fuzz set-up could not earn: ${JSON.stringify(answer.errors)}`);
    pool.add('transaction', (answer.data?.earnPoints as { transactionId: string }).transactionId);
    pool.add('receiptId', receiptId);
  }
}
