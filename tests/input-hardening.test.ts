import { randomUUID } from 'node:crypto';
import { buildSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits } from '../shared/src/limits';
import {
  enrolMember,
  exchangeClientCredentials,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { codesOf, gql, operatorToken, tokenFor } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase, type Database } from './support/sql';
import { burn, earn, earnInput, refundBurn, refundPurchase } from './support/wallet';

/**
 * Input the network must refuse with a coded error and nothing written (docs/api-input.md):
 * control characters and lone surrogates in free text, overlong text, impossible dates, a member
 * listed twice in a household, bad values written inline in the query, queries over the limits.
 */

let network: TestNetwork;
let url: string;
let shop: OnboardedPartner;
let shopToken: string;
let memberDb: Database;
let partnerDb: Database;

const ENROL = `mutation E($input: EnrolMemberInput!) { enrolMember(input: $input) { id name } }`;

beforeAll(async () => {
  network = await startTestNetwork('hardening');
  url = network.graphqlUrl;
  shop = await onboardPartner(url, 'Hardened Shop', ['Quay'], undefined, { returnWindowDays: 0 });
  shopToken = tokenFor({ role: 'partner', sub: 'partner:hardened', partnerId: shop.id });
  memberDb = openDatabase(network.databaseUrls.member);
  partnerDb = openDatabase(network.databaseUrls['partner-merchant']);
});

afterAll(async () => {
  await memberDb?.close();
  await partnerDb?.close();
  await network?.stop();
});

/** A member who linked the shop, with `points` available (the shop's return window is zero). */
async function memberWith(points: number): Promise<{ id: string; cardNumber: string }> {
  const member = await enrolMember(url, `Member ${randomUUID().slice(0, 6)}`);
  await linkPartner(url, member.id, shop.id);
  if (points > 0) {
    const earned = await earn(
      url,
      shopToken,
      earnInput({ memberId: member.id, storeId: shop.stores[0]!.id, total: `${points * 100}` }),
    );
    expect(earned.errors).toBeUndefined();
  }
  return member;
}

const countRows = async (db: Database, sql: string, params: unknown[]) =>
  Number((await db.rows<{ n: string }>(sql, params))[0]!.n);

/** A GraphQL string literal for a value (JSON escapes are GraphQL escapes for these characters). */
const literal = (value: string) => JSON.stringify(value);

describe('free text (Text and MultilineText)', () => {
  const refusedNames: Array<[string, string, RegExp]> = [
    ['a NUL', 'Ada\u0000Lovelace', /control characters.*U\+0000 at position 4/],
    ['an escape character', 'Ada\u001b[31m', /control characters.*U\+001B/],
    ['a line break in a one-line field', 'Ada\nLovelace', /no line breaks.*U\+000A/],
    ['a tab in a one-line field', 'Ada\tLovelace', /U\+0009/],
    ['a C1 control', 'Ada\u0085', /U\+0085/],
    ['a line separator', 'Ada\u2028', /U\+2028/],
    ['a lone high surrogate', 'Ada\ud800', /valid Unicode.*lone surrogate U\+D800/],
    ['a lone low surrogate', '\udc00Ada', /lone surrogate U\+DC00 at position 1/],
    ['more than 200 characters', 'a'.repeat(201), /at most 200 characters: it has 201/],
  ];

  it.each(refusedNames)(
    'refuses a member name with %s, as a variable, and enrols nobody',
    async (_label, name, message) => {
      const email = `text.${randomUUID()}@example.com`;
      const response = await gql(url, ENROL, { input: { name, email } });
      expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toMatch(/^Variable "\$input" got invalid value/);
      expect(response.errors![0]!.message).toMatch(message);
      expect(response.errors![0]!.extensions?.field).toBe('name');
      expect(
        await countRows(memberDb, 'SELECT count(*)::text AS n FROM member WHERE email = $1', [
          email,
        ]),
      ).toBe(0);
    },
  );

  it.each(refusedNames.filter(([label]) => !label.includes('surrogate')))(
    'refuses a member name with %s written inline in the query, the same way',
    async (_label, name, message) => {
      const email = `inline.${randomUUID()}@example.com`;
      const response = await gql(
        url,
        `mutation { enrolMember(input: { name: ${literal(name)}, email: "${email}" }) { id } }`,
      );
      expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toMatch(/^Text /);
      expect(response.errors![0]!.message).toMatch(message);
    },
  );

  it('takes 200 characters, counting a character outside the BMP (an emoji) as one', async () => {
    const name = '\u{1F600}'.repeat(limits.textLengthMax);
    const response = await gql<{ enrolMember: { name: string } }>(url, ENROL, {
      input: { name, email: `emoji.${randomUUID()}@example.com` },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data!.enrolMember.name).toBe(name);
  });

  it('takes tabs and line breaks where a field may span lines, and no other control character', async () => {
    const member = await memberWith(0);
    const adjust = (note: string) =>
      gql<{ adjustPoints: { points: string } }>(
        url,
        `mutation A($input: AdjustPointsInput!) { adjustPoints(input: $input) { points } }`,
        {
          input: {
            idempotencyKey: randomUUID(),
            memberId: member.id,
            direction: 'CREDIT',
            reason: 'GOODWILL',
            points: '5',
            note,
          },
        },
      );
    const accepted = await adjust('Ticket 42:\r\n\tlate delivery\nsecond line');
    expect(accepted.errors).toBeUndefined();
    const refused = await adjust('Ticket 42\u0000');
    expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors![0]!.message).toMatch(
      /MultilineText must hold no control characters other than tab and line breaks/,
    );
    const tooLong = await adjust('x'.repeat(limits.multilineTextLengthMax + 1));
    expect(tooLong.errors![0]!.message).toMatch(/at most 2000 characters/);
    expect(
      await countRows(
        memberDb,
        "SELECT count(*)::text AS n FROM ledger_transaction WHERE member_id = $1 AND kind = 'ADJUSTMENT'",
        [member.id],
      ),
    ).toBe(1);
  });

  it('guards free text in every subgraph: an argument, a partner input, a settlement input', async () => {
    const partnersBefore = await countRows(
      partnerDb,
      'SELECT count(*)::text AS n FROM partner',
      [],
    );
    const cases = [
      gql(
        url,
        `mutation C($p: ID!, $l: Text!) { createApiClient(partnerId: $p, label: $l) { clientSecret } }`,
        { p: shop.id, l: 'till\u0000' },
      ),
      gql(
        url,
        `mutation { suspendPartner(partnerId: "${shop.id}", reason: "late\\u0007") { id } }`,
      ),
      gql(
        url,
        `mutation O($input: OnboardPartnerInput!) { onboardPartner(input: $input) { id } }`,
        {
          input: {
            name: 'Bad\u0000Partner',
            legalEntity: 'Bad Ltd',
            category: 'GROCERY',
            settlementCurrency: 'EUR',
            stores: [{ name: 'S', kind: 'PHYSICAL', timeZone: 'Europe/Berlin' }],
          },
        },
      ),
      gql(
        url,
        `mutation P($id: ID!, $input: MarkSettlementCyclePaidInput!) { markSettlementCyclePaid(id: $id, input: $input) { id } }`,
        { id: randomUUID(), input: { paymentReference: 'SEPA\u0000123' } },
      ),
    ];
    for (const response of await Promise.all(cases)) {
      expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toMatch(/control characters/);
    }
    expect(await countRows(partnerDb, 'SELECT count(*)::text AS n FROM partner', [])).toBe(
      partnersBefore,
    );
    const status = await gql<{ partner: { status: string } }>(
      url,
      `query S($id: ID!) { partner(id: $id) { status } }`,
      { id: shop.id },
    );
    expect(status.data!.partner.status).toBe('ACTIVE');
  });
});

describe('the token endpoint', () => {
  it.each(['pc_\u0000', 'tc_\ud800', 'x'.repeat(5_000)])(
    'answers a client id no client could have (%#) as an unknown client, not a server error',
    async (clientId) => {
      const response = await exchangeClientCredentials(network.gateway.url, clientId, 'secret');
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    },
  );
});

describe('dates', () => {
  it.each(['2026-11-31T10:00:00Z', '2026-02-29T10:00:00Z', '2026-04-31T00:00:00+02:00'])(
    'refuses the impossible calendar date %s instead of rolling it over, and earns nothing',
    async (occurredAt) => {
      const member = await memberWith(0);
      const receiptId = `R-${randomUUID()}`;
      const input = earnInput({
        memberId: member.id,
        storeId: shop.stores[0]!.id,
        total: '1000',
        receiptId,
        occurredAt,
      });
      const response = await earn(url, shopToken, input);
      expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toMatch(
        new RegExp(`real calendar date: ${occurredAt.slice(0, 10)} does not exist`),
      );
      expect(
        await countRows(
          memberDb,
          'SELECT count(*)::text AS n FROM ledger_transaction WHERE receipt_id = $1',
          [receiptId],
        ),
      ).toBe(0);
    },
  );

  it('refuses an impossible date written inline with the same code', async () => {
    const response = await gql(
      url,
      `mutation { schedulePartnerLeaving(partnerId: "${shop.id}", earnStopAt: "2027-02-29T00:00:00Z", burnStopAt: "2027-03-31T00:00:00Z") { status } }`,
    );
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toMatch(/2027-02-29 does not exist/);
  });
});

describe('households', () => {
  const HOUSEHOLD = `mutation H($input: CreateHouseholdInput!) { createHousehold(input: $input) { id members { id } } }`;

  it.each([
    ['twice, spelled the same', (id: string) => id],
    ['twice, once in capitals', (id: string) => id.toUpperCase()],
  ])('refuses a household that lists a member %s, and writes nothing', async (_label, spell) => {
    const [first, second] = [await memberWith(0), await memberWith(0)];
    const name = `House ${randomUUID()}`;
    const response = await gql(url, HOUSEHOLD, {
      input: { name, memberIds: [first.id, second.id, spell(first.id)] },
    });
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toMatch(/memberIds must list each member once/);
    expect(
      await countRows(memberDb, 'SELECT count(*)::text AS n FROM household WHERE name = $1', [
        name,
      ]),
    ).toBe(0);
    expect(
      await countRows(
        memberDb,
        'SELECT count(*)::text AS n FROM member WHERE id = ANY($1::uuid[]) AND household_id IS NOT NULL',
        [[first.id, second.id]],
      ),
    ).toBe(0);
  });

  it('still creates a household of distinct members', async () => {
    const [first, second] = [await memberWith(0), await memberWith(0)];
    const response = await gql<{ createHousehold: { members: { id: string }[] } }>(url, HOUSEHOLD, {
      input: { name: 'The Smiths', memberIds: [first.id, second.id] },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data!.createHousehold.members.map((m) => m.id).sort()).toEqual(
      [first.id, second.id].sort(),
    );
  });
});

describe('values written inline in the query', () => {
  const inlineEarn = (memberId: string, total: string, amount: string) =>
    gql(
      url,
      `mutation { earnPoints(input: { idempotencyKey: "${randomUUID()}", memberId: "${memberId}",
         storeId: "${shop.stores[0]!.id}", receiptId: "R-${randomUUID()}",
         occurredAt: "${new Date().toISOString()}", total: ${total}, currency: "EUR",
         lines: [{ sku: "a", category: "b", amount: ${amount} }] }) { pointsEarned } }`,
      {},
      shopToken,
    );

  it.each([
    ['a word', '"abc"'],
    ['a fraction', '"12.50"'],
    ['a float literal', '12.5'],
    ['a boolean', 'true'],
  ])('refuses %s as an amount with BAD_USER_INPUT, as a variable would be', async (_l, total) => {
    const member = await memberWith(0);
    const inline = await inlineEarn(member.id, total, total);
    expect(codesOf(inline)).toEqual(['BAD_USER_INPUT']);
    expect(inline.errors![0]!.message).toMatch(/MinorUnits is an integer written as a string/);
    const asVariable = await earn(url, shopToken, {
      ...earnInput({ memberId: member.id, storeId: shop.stores[0]!.id, total: '1' }),
      total: JSON.parse(total) as unknown,
    });
    expect(codesOf(asVariable)).toEqual(['BAD_USER_INPUT']);
  });

  it('accepts a good amount inline', async () => {
    const member = await memberWith(0);
    const inline = await inlineEarn(member.id, '"1000"', '"1000"');
    expect(inline.errors).toBeUndefined();
    expect(inline.data).toEqual({ earnPoints: { pointsEarned: '10' } });
  });
});

describe('query limits', () => {
  it('refuses a query over the cost limit with QUERY_TOO_COSTLY, not a syntax error', async () => {
    const response = await gql(
      url,
      'query { members(first: 100) { edges { node { history(first: 100) { edges { node { partner { name } } } } } } } }',
    );
    expect(response.status).toBe(400);
    expect(codesOf(response)).toEqual(['QUERY_TOO_COSTLY']);
    const message = response.errors![0]!.message;
    expect(message).not.toMatch(/syntax/i);
    expect(message).toMatch(/cost limit of 5000 exceeded.*fewer items per page \(first\)/i);
  });

  it('refuses a query over the depth limit with QUERY_TOO_DEEP', async () => {
    const levels = Array.from({ length: limits.queryDepthMax }, (_, level) =>
      level % 2 === 0 ? 'partner' : 'stores',
    );
    const query = `query { store(id: "${shop.stores[0]!.id}") { ${levels.map((f) => `${f} { `).join('')}id${' }'.repeat(levels.length)} } }`;
    const response = await gql(url, query);
    expect(codesOf(response)).toEqual(['QUERY_TOO_DEEP']);
    expect(response.errors![0]!.message).not.toMatch(/syntax/i);
    expect(response.errors![0]!.message).toMatch(/depth limit of 10 exceeded/i);
  });

  it('states the page-size limit on every paginated field of the public schema', async () => {
    const sdl = await (await fetch(`${network.gateway.url}/schema.graphql`)).text();
    const schema = buildSchema(sdl);
    const paginated = Object.values(schema.getTypeMap())
      .filter((type) => 'getFields' in type && !type.name.startsWith('__'))
      .flatMap((type) =>
        Object.values((type as { getFields(): Record<string, unknown> }).getFields()).map(
          (field) => ({ type: type.name, field }),
        ),
      )
      .flatMap(({ type, field }) => {
        const args = (field as { name: string; args?: { name: string; description?: string }[] })
          .args;
        const first = args?.find((arg) => arg.name === 'first');
        return first ? [{ where: `${type}.${(field as { name: string }).name}`, first }] : [];
      });
    expect(paginated.length).toBeGreaterThan(10);
    for (const { where, first } of paginated) {
      expect(first.description ?? '', where).toContain(`0 to ${limits.pageSizeMax}`);
    }
  });
});

describe('history', () => {
  it('tells a purchase refund (points taken back) from a burn refund (points given back) by sign', async () => {
    const member = await memberWith(0);
    const storeId = shop.stores[0]!.id;
    const receiptId = `R-${randomUUID()}`;
    const earned = await earn(
      url,
      shopToken,
      earnInput({ memberId: member.id, storeId, total: '10000', receiptId }),
    );
    expect(earned.data?.earnPoints.pointsEarned).toBe('100');
    const burned = await burn(url, shopToken, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId,
      points: '30',
    });
    expect(burned.errors).toBeUndefined();
    const burnRefund = await refundBurn(url, shopToken, {
      idempotencyKey: randomUUID(),
      transactionId: burned.data!.burnPoints!.transactionId,
      points: '10',
    });
    expect(burnRefund.errors).toBeUndefined();
    const purchaseRefund = await refundPurchase(url, shopToken, {
      idempotencyKey: randomUUID(),
      receiptId,
      storeId,
      amount: '2000',
    });
    expect(purchaseRefund.errors).toBeUndefined();
    const history = await gql<{
      member: {
        history: { edges: { node: { kind: string; points: string; balanceChange: string } }[] };
      };
    }>(
      url,
      `query H($id: ID!) { member(id: $id) { history(first: 10) { edges { node { kind points balanceChange } } } } }`,
      { id: member.id },
      operatorToken(),
    );
    expect(history.errors).toBeUndefined();
    expect(history.data!.member.history.edges.map((edge) => edge.node)).toEqual([
      { kind: 'REFUND', points: '20', balanceChange: '-20' },
      { kind: 'REFUND', points: '10', balanceChange: '10' },
      { kind: 'BURN', points: '30', balanceChange: '-30' },
      { kind: 'EARN', points: '100', balanceChange: '100' },
    ]);
  });
});
