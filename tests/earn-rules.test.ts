import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import {
  codesOf,
  eventually,
  gql,
  operatorToken,
  tokenFor,
  type GraphQLResponse,
} from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase, type Database } from './support/sql';
import { burn, earnInput, type Purchase } from './support/wallet';
import { expectLedgerClean } from './support/audit';
import { HOUR_MS, ledgerClock } from './support/ledger-clock';

/**
 * Every kind of earn rule, end to end: the partner publishes rules through the gateway, the
 * partner feed carries them to the wallet, and a purchase at a till earns under them, with the
 * rules version and the breakdown recorded. One partner per test keeps each rule on its own.
 */

let network: TestNetwork;
let url: string;
let memberDb: Database;

interface Breakdown {
  kind: string;
  ruleId: string | null;
  points: string;
  partnerPoints: string;
  operatorPoints: string;
}

type EarnRulesResponse = GraphQLResponse<{
  earnPoints: {
    transactionId: string;
    pointsEarned: string;
    rulesVersion: number;
    breakdown: Breakdown[];
  };
}>;

const earnWithRules = (token: string, input: Record<string, unknown>): Promise<EarnRulesResponse> =>
  gql(
    url,
    `mutation E($input: EarnPointsInput!) { earnPoints(input: $input) { transactionId pointsEarned rulesVersion breakdown { kind ruleId points partnerPoints operatorPoints } } }`,
    { input },
    token,
  );

interface Shop {
  partner: OnboardedPartner;
  token: string;
  store: string;
  online: string;
}

/** A partner with a physical and an online store, a partner token, and its rules at the wallet. */
async function shop(name: string): Promise<Shop> {
  const partner = await onboardPartner(
    url,
    `${name} ${randomUUID().slice(0, 6)}`,
    ['High Street'],
    undefined,
    { returnWindowDays: 0 },
  );
  const added = await gql<{ addStore: { id: string } }>(
    url,
    `mutation S($p: ID!, $i: StoreInput!) { addStore(partnerId: $p, input: $i) { id } }`,
    {
      p: partner.id,
      i: { name: 'Web shop', kind: 'ONLINE', timeZone: 'Europe/Berlin' },
    },
    operatorToken(),
  );
  expect(added.errors).toBeUndefined();
  const online = added.data!.addStore.id;
  await eventually(
    async () =>
      (await memberDb.rows('SELECT 1 FROM store_replica WHERE id = $1', [online])).length > 0,
    15_000,
    'the online store at the wallet',
  );
  return {
    partner,
    token: tokenFor({ role: 'partner', sub: `partner:${partner.id}`, partnerId: partner.id }),
    store: partner.stores[0]!.id,
    online,
  };
}

/** Publishes a rules version as the partner and waits until the wallet holds it. */
async function publish(
  s: Shop,
  rules: Record<string, unknown>,
  effectiveFrom?: Date,
): Promise<number> {
  const response = await gql<{ publishEarnRules: { version: number } }>(
    url,
    `mutation P($p: ID!, $i: PublishEarnRulesInput!) { publishEarnRules(partnerId: $p, input: $i) { version } }`,
    {
      p: s.partner.id,
      i: { rules, ...(effectiveFrom ? { effectiveFrom: effectiveFrom.toISOString() } : {}) },
    },
    s.token,
  );
  expect(response.errors).toBeUndefined();
  const version = response.data!.publishEarnRules.version;
  await eventually(
    async () =>
      (
        await memberDb.rows(
          'SELECT 1 FROM earn_rules_replica WHERE partner_id = $1 AND version = $2',
          [s.partner.id, version],
        )
      ).length > 0,
    15_000,
    `rules version ${version} at the wallet`,
  );
  return version;
}

async function member(): Promise<string> {
  return (await enrolMember(url, `Member ${randomUUID().slice(0, 6)}`)).id;
}

async function buy(
  s: Shop,
  memberId: string,
  purchase: Omit<Purchase, 'memberId' | 'storeId'> & { storeId?: string },
) {
  const response = await earnWithRules(
    s.token,
    earnInput({ memberId, storeId: s.store, ...purchase }),
  );
  expect(response.errors).toBeUndefined();
  return response.data!.earnPoints;
}

const line = (category: string, amount: string, sku = `SKU-${category}`) => ({
  sku,
  category,
  amount,
});
const sources = (breakdown: Breakdown[]) =>
  Object.fromEntries(breakdown.map((b) => [b.kind, b.points]));

beforeAll(async () => {
  network = await startTestNetwork('earn_rules');
  url = network.graphqlUrl;
  memberDb = openDatabase(network.databaseUrls.member);
});

afterEach(async () => {
  // Operator-funded lots, stamps, caps: whatever the rules did, the ledger keeps its invariants.
  await expectLedgerClean(network.databaseUrls.member);
});

afterAll(async () => {
  await memberDb?.close();
  await network?.stop();
});

describe('earn rules at the till', () => {
  it('earns the base rate of the onboarding version, and a new version from when it is published, recording which', async () => {
    const s = await shop('Base');
    await eventually(
      async () =>
        (
          await memberDb.rows('SELECT 1 FROM earn_rules_replica WHERE partner_id = $1', [
            s.partner.id,
          ])
        ).length > 0,
    );
    const m = await member();
    const before = await buy(s, m, { total: '1999' });
    expect(before).toMatchObject({ pointsEarned: '19', rulesVersion: 1 });
    const version = await publish(s, { basePointsPerUnit: 3 });
    expect(version).toBe(2);
    const after = await buy(s, m, { total: '1999' });
    expect(after).toMatchObject({
      pointsEarned: '59',
      rulesVersion: 2,
      breakdown: [
        { kind: 'BASE', ruleId: null, points: '59', partnerPoints: '59', operatorPoints: '0' },
      ],
    });
    const recorded = await memberDb.rows<{ rules_version: number }>(
      'SELECT rules_version FROM ledger_transaction WHERE id = $1',
      [after.transactionId],
    );
    expect(recorded[0]?.rules_version).toBe(2);
  });

  it('applies category rates and leaves excluded categories out, rounding down once over the basket', async () => {
    const s = await shop('Categories');
    await publish(s, {
      basePointsPerUnit: 1,
      categoryRates: [{ category: 'coffee', pointsPerUnit: 5 }],
      excludedCategories: ['GIFT_CARD', 'tobacco'],
    });
    const earned = await buy(s, await member(), {
      total: '8550',
      lines: [
        line('grocery', '1050'),
        line('Coffee', '250'),
        line('gift_card', '5000'),
        line('tobacco', '2250'),
      ],
    });
    // 10.50 × 1 + 2.50 × 5 = 23; the gift card and tobacco earn nothing.
    expect(earned.pointsEarned).toBe('23');
    expect(sources(earned.breakdown)).toEqual({ BASE: '10', CATEGORY: '13' });
  });

  it('earns nothing below the minimum purchase, counted without excluded lines', async () => {
    const s = await shop('Minimum');
    await publish(s, {
      basePointsPerUnit: 1,
      minimumPurchaseMinor: '2000',
      excludedCategories: ['gift_card'],
    });
    const m = await member();
    const below = await buy(s, m, {
      total: '6999',
      lines: [line('grocery', '1999'), line('gift_card', '5000')],
    });
    expect(below).toMatchObject({ pointsEarned: '0', breakdown: [] });
    const at = await buy(s, m, { total: '2000' });
    expect(at.pointsEarned).toBe('20');
  });

  it('caps a transaction, and a member per day at the partner', async () => {
    const s = await shop('Caps');
    await publish(s, {
      basePointsPerUnit: 1,
      capPerTransactionPoints: '100',
      capPerMemberDayPoints: '150',
    });
    const m = await member();
    expect((await buy(s, m, { total: '50000' })).pointsEarned).toBe('100');
    expect((await buy(s, m, { total: '50000' })).pointsEarned).toBe('50');
    expect((await buy(s, m, { total: '50000' })).pointsEarned).toBe('0');
    // Another member's day is their own.
    expect((await buy(s, await member(), { total: '2000' })).pointsEarned).toBe('20');
  });

  it('multiplies in its window, only for its channel; a co-funded promotion puts the operator share in an operator-funded lot', async () => {
    const s = await shop('Weekend');
    const now = Date.now();
    await publish(s, {
      basePointsPerUnit: 1,
      multipliers: [
        {
          id: 'online-double',
          name: 'Double points online',
          percent: 200,
          startsAt: new Date(now - HOUR_MS).toISOString(),
          endsAt: new Date(now + HOUR_MS).toISOString(),
          channels: ['ONLINE'],
        },
        {
          id: 'cofunded',
          name: 'Half again, on the coalition',
          percent: 150,
          operatorSharePercent: 50,
          startsAt: new Date(now - HOUR_MS).toISOString(),
          endsAt: new Date(now + HOUR_MS).toISOString(),
          storeIds: [s.store],
        },
        {
          id: 'later',
          name: 'Not yet',
          percent: 500,
          startsAt: new Date(now + HOUR_MS).toISOString(),
          endsAt: new Date(now + 2 * HOUR_MS).toISOString(),
        },
      ],
    });
    const m = await member();
    const online = await buy(s, m, { storeId: s.online, total: '4000' });
    expect(online.pointsEarned).toBe('80');
    expect(online.breakdown).toContainEqual({
      kind: 'MULTIPLIER',
      ruleId: 'online-double',
      points: '40',
      partnerPoints: '40',
      operatorPoints: '0',
    });
    const inStore = await buy(s, m, { total: '4100' });
    // 41 + floor(41 × 50%) = 41 + 20; the operator funds floor(20 × 50%) = 10 of the bonus.
    expect(inStore.pointsEarned).toBe('61');
    expect(inStore.breakdown).toContainEqual({
      kind: 'MULTIPLIER',
      ruleId: 'cofunded',
      points: '20',
      partnerPoints: '10',
      operatorPoints: '10',
    });
    const lots = await memberDb.rows<{
      issuer_partner_id: string | null;
      points: string;
      funded_by: { points: string }[];
    }>(
      'SELECT issuer_partner_id, points, funded_by FROM lot WHERE earn_transaction_id = $1 ORDER BY issuer_partner_id NULLS LAST',
      [inStore.transactionId],
    );
    expect(lots.map((l) => [l.issuer_partner_id, l.points])).toEqual([
      [s.partner.id, '51'],
      [null, '10'],
    ]);
    expect(lots.map((l) => l.funded_by[0]?.points)).toEqual(['51', '10']);
  });

  it('gives the first-purchase bonus once per member at the partner', async () => {
    const s = await shop('Welcome');
    await publish(s, { basePointsPerUnit: 1, firstPurchaseBonusPoints: '250' });
    const m = await member();
    const first = await buy(s, m, { total: '1000' });
    expect(sources(first.breakdown)).toEqual({ BASE: '10', FIRST_PURCHASE: '250' });
    expect((await buy(s, m, { total: '1000' })).pointsEarned).toBe('10');
  });

  it('stamps the coffee card and pays its reward when it completes, keeping the stamps per member', async () => {
    const s = await shop('Coffee');
    await publish(s, {
      basePointsPerUnit: 0,
      stampCard: {
        id: 'coffee',
        name: 'Coffee card',
        stampsRequired: 3,
        rewardPoints: '300',
        categories: ['coffee'],
        lineMinimumMinor: '200',
      },
    });
    const m = await member();
    const other = await member();
    expect((await buy(s, m, { total: '350', lines: [line('coffee', '350')] })).pointsEarned).toBe(
      '0',
    );
    expect(
      (await buy(s, other, { total: '350', lines: [line('coffee', '350')] })).pointsEarned,
    ).toBe('0');
    // A line under the card's minimum earns no stamp.
    expect((await buy(s, m, { total: '150', lines: [line('coffee', '150')] })).pointsEarned).toBe(
      '0',
    );
    expect((await buy(s, m, { total: '350', lines: [line('coffee', '350')] })).pointsEarned).toBe(
      '0',
    );
    const third = await buy(s, m, { total: '350', lines: [line('coffee', '350')] });
    expect(third.breakdown).toEqual([
      {
        kind: 'STAMP_CARD',
        ruleId: 'coffee',
        points: '300',
        partnerPoints: '300',
        operatorPoints: '0',
      },
    ]);
    const stamps = await memberDb.rows<{ member_id: string; stamps: number }>(
      'SELECT member_id, stamps FROM stamp_card_state WHERE partner_id = $1 ORDER BY stamps',
      [s.partner.id],
    );
    expect(stamps).toEqual([
      { member_id: m, stamps: 0 },
      { member_id: other, stamps: 1 },
    ]);
  });

  it("adds the coalition's tier bonus, funded by the operator", async () => {
    const s = await shop('Tiers');
    const set = await gql(
      url,
      `mutation T($b: [TierBonusInput!]!) { setTierBonuses(bonuses: $b) { tier bonusPercent } }`,
      { b: [{ tier: 'GOLD', bonusPercent: 25 }] },
      operatorToken(),
    );
    expect(set.errors).toBeUndefined();
    await eventually(
      async () =>
        (await memberDb.rows(`SELECT 1 FROM tier_bonus_replica WHERE tier = 'GOLD'`)).length > 0,
      15_000,
      'the tier bonus at the wallet',
    );
    const gold = await member();
    const tiered = await gql(
      url,
      `mutation T($m: ID!) { setMemberTier(memberId: $m, tier: "GOLD") { tier } }`,
      { m: gold },
      operatorToken(),
    );
    expect(tiered.data).toEqual({ setMemberTier: { tier: 'GOLD' } });
    const earned = await buy(s, gold, { total: '4000' });
    expect(earned.breakdown).toEqual([
      { kind: 'BASE', ruleId: null, points: '40', partnerPoints: '40', operatorPoints: '0' },
      { kind: 'TIER', ruleId: 'GOLD', points: '10', partnerPoints: '0', operatorPoints: '10' },
    ]);
    expect((await buy(s, await member(), { total: '4000' })).pointsEarned).toBe('40');
  });

  it('refuses a tier that is not a tier name, and tiers are for operators to set', async () => {
    const m = await member();
    const bad = await gql(
      url,
      `mutation T($m: ID!) { setMemberTier(memberId: $m, tier: "gold!") { tier } }`,
      { m },
      operatorToken(),
    );
    expect(codesOf(bad)).toEqual(['BAD_USER_INPUT']);
    const self = await gql(
      url,
      `mutation T($m: ID!) { setMemberTier(memberId: $m, tier: "GOLD") { tier } }`,
      { m },
      tokenFor({ role: 'member', sub: `member:${m}`, memberId: m }),
    );
    expect(codesOf(self)).toEqual(['FORBIDDEN']);
  });

  it('switches to a scheduled version when it starts, by the purchase time', async () => {
    const s = await shop('Scheduled');
    const startsAt = new Date(Date.now() + 3_000);
    const version = await publish(s, { basePointsPerUnit: 10 }, startsAt);
    const m = await member();
    expect(await buy(s, m, { total: '1000' })).toMatchObject({
      pointsEarned: '10',
      rulesVersion: 1,
    });
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, startsAt.getTime() - Date.now() + 50)),
    );
    expect(await buy(s, m, { total: '1000' })).toMatchObject({
      pointsEarned: '100',
      rulesVersion: version,
    });
  });
});

describe('partner status at the till', () => {
  const statusChanged = async (s: Shop, status: string) =>
    eventually(
      async () =>
        (
          await memberDb.rows('SELECT 1 FROM partner_replica WHERE id = $1 AND status = $2', [
            s.partner.id,
            status,
          ])
        ).length > 0,
      15_000,
      `${status} at the wallet`,
    );

  it('stops a suspended partner earning and burning, and lets it resume when reinstated', async () => {
    const s = await shop('Suspended');
    const m = await member();
    await linkPartner(url, m, s.partner.id);
    await buy(s, m, { total: '5000' });
    const suspended = await gql(
      url,
      `mutation S($p: ID!) { suspendPartner(partnerId: $p, reason: "unpaid invoices") { status } }`,
      { p: s.partner.id },
      operatorToken(),
    );
    expect(suspended.errors).toBeUndefined();
    await statusChanged(s, 'SUSPENDED');
    expect(
      codesOf(
        await earnWithRules(s.token, earnInput({ memberId: m, storeId: s.store, total: '1000' })),
      ),
    ).toEqual(['PARTNER_NOT_ACCEPTING']);
    expect(
      codesOf(
        await burn(url, s.token, {
          idempotencyKey: randomUUID(),
          memberId: m,
          storeId: s.store,
          points: '10',
        }),
      ),
    ).toEqual(['PARTNER_NOT_ACCEPTING']);
    const reinstated = await gql(
      url,
      `mutation R($p: ID!) { reinstatePartner(partnerId: $p) { status } }`,
      { p: s.partner.id },
      operatorToken(),
    );
    expect(reinstated.errors).toBeUndefined();
    await statusChanged(s, 'ACTIVE');
    expect((await buy(s, m, { total: '1000' })).pointsEarned).toBe('10');
  });

  it('lets a leaving partner earn until its earn-stop date and burn until its burn-stop date, by ledger time', async () => {
    const s = await shop('Leaving');
    const m = await member();
    await buy(s, m, { total: '5000' });
    const earnStopAt = new Date(Date.now() + HOUR_MS);
    const burnStopAt = new Date(Date.now() + 2 * HOUR_MS);
    const leaving = await gql(
      url,
      `mutation L($p: ID!, $e: DateTime!, $b: DateTime!) { schedulePartnerLeaving(partnerId: $p, earnStopAt: $e, burnStopAt: $b) { status earnStopAt burnStopAt } }`,
      {
        p: s.partner.id,
        e: earnStopAt.toISOString(),
        b: burnStopAt.toISOString(),
      },
      operatorToken(),
    );
    expect(leaving.data).toEqual({
      schedulePartnerLeaving: {
        status: 'LEAVING',
        earnStopAt: earnStopAt.toISOString(),
        burnStopAt: burnStopAt.toISOString(),
      },
    });
    await statusChanged(s, 'LEAVING');
    expect((await buy(s, m, { total: '1000' })).pointsEarned).toBe('10');
    const clock = ledgerClock(memberDb);
    try {
      await clock.freezeAt(new Date(earnStopAt.getTime() - 1));
      expect((await buy(s, m, { total: '1000' })).pointsEarned).toBe('10');
      await clock.advance(1);
      expect(
        codesOf(
          await earnWithRules(s.token, earnInput({ memberId: m, storeId: s.store, total: '1000' })),
        ),
      ).toEqual(['PARTNER_NOT_ACCEPTING']);
      const burned = await burn(url, s.token, {
        idempotencyKey: randomUUID(),
        memberId: m,
        storeId: s.store,
        points: '10',
      });
      expect(burned.errors).toBeUndefined();
      await clock.freezeAt(burnStopAt);
      expect(
        codesOf(
          await burn(url, s.token, {
            idempotencyKey: randomUUID(),
            memberId: m,
            storeId: s.store,
            points: '10',
          }),
        ),
      ).toEqual(['PARTNER_NOT_ACCEPTING']);
    } finally {
      await clock.thaw();
    }
  });
});
