import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerClean } from './support/audit';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { codesOf, gql, operatorToken, tokenFor } from './support/graphql';
import { ledgerClock, type LedgerClock } from './support/ledger-clock';
import { startTestNetwork, type TestNetwork } from './support/network';
import { openDatabase, type Database } from './support/sql';
import { earn, earnInput, refundPurchase } from './support/wallet';

/**
 * Tiers members climb (docs/tiers.md), through the gateway. One coalition, one ladder at a time:
 * the suite defines version 1 (qualifying points, calendar year, 30 days' grace) and later
 * version 2 (distinct partners, rolling 12 months, no grace), and moves the member database's
 * ledger clock forward through 2027–2029 to cross period ends. Ledger time only moves forward, so
 * the scenarios run in order, each after the instants the one before it used.
 */

let network: TestNetwork;
let url: string;
let memberDb: Database;
let clock: LedgerClock;
const partners: OnboardedPartner[] = [];
const partnerTokens: string[] = [];

const memberToken = (memberId: string) =>
  tokenFor({ role: 'member', sub: `member:${memberId}`, memberId });

const STATUS = `tierStatus {
  ladderVersion tier { code name rank } earnedTier { code } metric metricValue periodStartsAt periodEndsAt
  nextTier { code threshold } missingForNextTier reviewAt
  override { tier { code } reason endsAt setBy } history { from to reason ladderVersion } }`;

interface TierView {
  code: string;
  name: string;
  rank: number;
}
interface TierStatusView {
  ladderVersion: number;
  tier: TierView | null;
  earnedTier: { code: string } | null;
  metric: string;
  metricValue: string;
  periodStartsAt: string;
  periodEndsAt: string;
  nextTier: { code: string; threshold: string } | null;
  missingForNextTier: string | null;
  reviewAt: string | null;
  override: { tier: { code: string }; reason: string; endsAt: string; setBy: string | null } | null;
  history: { from: string | null; to: string | null; reason: string; ladderVersion: number }[];
}

async function statusOf(memberId: string, token = operatorToken()) {
  const response = await gql<{
    member: { tier: string | null; tierStatus: TierStatusView | null };
  }>(url, `query M($id: ID!) { member(id: $id) { tier ${STATUS} } }`, { id: memberId }, token);
  expect(response.errors).toBeUndefined();
  return response.data!.member;
}

const LADDER =
  'version effectiveFrom metric period timeZone currency graceDays createdBy tiers { code name rank threshold }';

const defineLadder = (input: Record<string, unknown>, token = operatorToken()) =>
  gql<{ defineTierLadder: { version: number; tiers: TierView[] } }>(
    url,
    `mutation D($input: TierLadderInput!) { defineTierLadder(input: $input) { ${LADDER} } }`,
    { input },
    token,
  );

const ladders = async () => {
  const response = await gql<{ tierLadders: { version: number }[] }>(
    url,
    '{ tierLadders { version } }',
  );
  expect(response.errors).toBeUndefined();
  return response.data!.tierLadders;
};

/** A purchase of `euros` at partner `p` (1 point per euro, spendable at once), by ledger time now. */
async function buy(memberId: string, euros: number, p = 0): Promise<string> {
  const receiptId = `R-${randomUUID()}`;
  const earned = await earn(
    url,
    partnerTokens[p]!,
    earnInput({
      memberId,
      storeId: partners[p]!.stores[0]!.id,
      total: String(euros * 100),
      receiptId,
    }),
  );
  expect(earned.errors).toBeUndefined();
  return receiptId;
}

async function review() {
  const response = await gql<{
    runTierReview: { reviewed: number; downgraded: number; overridesEnded: number };
  }>(url, 'mutation { runTierReview { reviewed downgraded overridesEnded } }');
  expect(response.errors).toBeUndefined();
  return response.data!.runTierReview;
}

const overrideTier = (input: Record<string, unknown>, token = operatorToken()) =>
  gql<{ overrideMemberTier: { tier: string | null } }>(
    url,
    'mutation O($input: TierOverrideInput!) { overrideMemberTier(input: $input) { tier } }',
    { input },
    token,
  );

async function tierFacts(memberId: string) {
  return memberDb.rows<{ payload: Record<string, unknown> }>(
    `SELECT payload FROM outbox WHERE type = 'member.tier-changed' AND key = $1 ORDER BY seq`,
    [memberId],
  );
}

const pointsLadder = {
  metric: 'QUALIFYING_POINTS',
  period: 'CALENDAR_YEAR',
  currency: 'EUR',
  graceDays: 30,
  tiers: [
    { code: 'SILVER', name: 'Silver', threshold: '100' },
    { code: 'GOLD', name: 'Gold', threshold: '500' },
    { code: 'PLATINUM', name: 'Platinum', threshold: '2000' },
  ],
};

beforeAll(async () => {
  network = await startTestNetwork('tiers', {
    // The suite runs the review itself (runTierReview), at the ledger times it chooses.
    TIER_REVIEW_INTERVAL_MS: '600000',
    EXPIRY_INTERVAL_MS: '600000',
  });
  url = network.graphqlUrl;
  memberDb = openDatabase(network.databaseUrls.member);
  clock = ledgerClock(memberDb);
  for (const name of ['Tier Grocer', 'Tier Books', 'Tier Fuel']) {
    const partner = await onboardPartner(url, name, [`${name} Store`], undefined, {
      returnWindowDays: 0,
    });
    partners.push(partner);
    partnerTokens.push(
      tokenFor({ role: 'partner', sub: `partner:${partner.id}`, partnerId: partner.id }),
    );
  }
  // Every partner must reach the wallet's replica before it can earn.
  const probe = await enrolMember(url, 'Tier Probe');
  for (const partner of partners) await linkPartner(url, probe.id, partner.id);
  await clock.freezeAt(new Date('2027-03-10T12:00:00Z'));
});

afterAll(async () => {
  await clock?.thaw();
  await memberDb?.close();
  await network?.stop();
});

describe('the tier ladder', () => {
  it('refuses thresholds that do not strictly increase, repeated codes and non-operators, writing nothing', async () => {
    const flat = await defineLadder({
      ...pointsLadder,
      tiers: [
        { code: 'SILVER', name: 'Silver', threshold: '100' },
        { code: 'GOLD', name: 'Gold', threshold: '100' },
      ],
    });
    expect(codesOf(flat)).toEqual(['BAD_USER_INPUT']);
    expect(flat.errors?.[0]?.extensions?.field).toBe('tiers.1.threshold');
    const down = await defineLadder({
      ...pointsLadder,
      tiers: [
        { code: 'GOLD', name: 'Gold', threshold: '500' },
        { code: 'SILVER', name: 'Silver', threshold: '100' },
      ],
    });
    expect(codesOf(down)).toEqual(['BAD_USER_INPUT']);
    const twice = await defineLadder({
      ...pointsLadder,
      tiers: [
        { code: 'GOLD', name: 'Gold', threshold: '100' },
        { code: 'GOLD', name: 'Gold again', threshold: '500' },
      ],
    });
    expect(codesOf(twice)).toEqual(['BAD_USER_INPUT']);
    expect(twice.errors?.[0]?.extensions?.field).toBe('tiers.1.code');
    const negative = await defineLadder({
      ...pointsLadder,
      tiers: [{ code: 'GOLD', name: 'Gold', threshold: '-1' }],
    });
    expect(codesOf(negative)).toEqual(['BAD_USER_INPUT']);
    const asPartner = await defineLadder(pointsLadder, partnerTokens[0]);
    expect(codesOf(asPartner)).toEqual(['FORBIDDEN']);
    expect(await ladders()).toEqual([]);
    const inForce = await gql<{ tierLadder: unknown }>(url, '{ tierLadder { version } }');
    expect(inForce.data?.tierLadder).toBeNull();
  });

  it('defines version 1 from now on, and refuses a version that would not start after it', async () => {
    const defined = await defineLadder(pointsLadder);
    expect(defined.errors).toBeUndefined();
    expect(defined.data?.defineTierLadder).toMatchObject({
      version: 1,
      tiers: [
        { code: 'SILVER', name: 'Silver', rank: 1 },
        { code: 'GOLD', name: 'Gold', rank: 2 },
        { code: 'PLATINUM', name: 'Platinum', rank: 3 },
      ],
    });
    const sameStart = await defineLadder({
      ...pointsLadder,
      effectiveFrom: clock.now!.toISOString(),
    });
    expect(codesOf(sameStart)).toEqual(['BAD_USER_INPUT']);
    expect(sameStart.errors?.[0]?.extensions?.field).toBe('effectiveFrom');
    expect(await ladders()).toEqual([{ version: 1 }]);
    // Anyone signed in reads the ladder in force; only operators learn who defined it.
    const read = await gql<{ tierLadder: { version: number; createdBy: string | null } }>(
      url,
      `{ tierLadder { ${LADDER} } }`,
      {},
      partnerTokens[0],
    );
    expect(read.data?.tierLadder).toMatchObject({
      version: 1,
      metric: 'QUALIFYING_POINTS',
      period: 'CALENDAR_YEAR',
      timeZone: 'UTC',
      graceDays: 30,
      createdBy: null,
    });
  });
});

let climber: string;

describe('climbing', () => {
  it('upgrades in the earn that crosses a threshold, and says what is missing for the next tier by when', async () => {
    climber = (await enrolMember(url, 'Cleo Climber')).id;
    expect((await statusOf(climber)).tierStatus).toMatchObject({ tier: null, metricValue: '0' });
    await buy(climber, 60);
    expect((await statusOf(climber)).tierStatus).toMatchObject({
      ladderVersion: 1,
      tier: null,
      metric: 'QUALIFYING_POINTS',
      metricValue: '60',
      nextTier: { code: 'SILVER', threshold: '100' },
      missingForNextTier: '40',
      periodStartsAt: '2027-01-01T00:00:00.000Z',
      periodEndsAt: '2028-01-01T00:00:00.000Z',
      reviewAt: null,
    });
    await buy(climber, 45);
    const silver = await statusOf(climber);
    expect(silver.tier).toBe('SILVER');
    expect(silver.tierStatus).toMatchObject({
      tier: { code: 'SILVER', name: 'Silver', rank: 1 },
      earnedTier: { code: 'SILVER' },
      metricValue: '105',
      nextTier: { code: 'GOLD' },
      missingForNextTier: '395',
      reviewAt: '2028-01-31T00:00:00.000Z',
      history: [{ from: null, to: 'SILVER', reason: 'UPGRADE', ladderVersion: 1 }],
    });
    // One purchase may climb more than one tier.
    await buy(climber, 2000, 1);
    const platinum = await statusOf(climber);
    expect(platinum.tier).toBe('PLATINUM');
    expect(platinum.tierStatus).toMatchObject({ nextTier: null, missingForNextTier: null });
    expect((await tierFacts(climber)).map((f) => f.payload)).toEqual([
      expect.objectContaining({ from: null, to: 'SILVER', reason: 'UPGRADE', ladderVersion: 1 }),
      expect.objectContaining({
        from: 'SILVER',
        to: 'PLATINUM',
        reason: 'UPGRADE',
        changedBy: 'tiers',
      }),
    ]);
  });

  it('shows a member their own tier, a linked partner theirs, and nobody else anything', async () => {
    const other = (await enrolMember(url, 'Olga Other')).id;
    expect((await statusOf(climber, memberToken(climber))).tierStatus?.tier?.code).toBe('PLATINUM');
    const snooping = await gql<{ member: unknown }>(
      url,
      `query M($id: ID!) { member(id: $id) { ${STATUS} } }`,
      { id: climber },
      memberToken(other),
    );
    expect(snooping.errors).toBeUndefined();
    expect(snooping.data?.member).toBeNull();
    const card = (
      await memberDb.rows<{ card_number: string }>('SELECT card_number FROM member WHERE id = $1', [
        climber,
      ])
    )[0]!.card_number;
    const byCard = (token: string) =>
      gql<{ memberByCard: { id: string; tier: string | null; tierStatus: unknown } | null }>(
        url,
        `query C($card: String!) { memberByCard(cardNumber: $card) { id tier tierStatus { tier { code } } } }`,
        { card },
        token,
      );
    const unlinked = await byCard(partnerTokens[2]!);
    expect(unlinked.data?.memberByCard).toMatchObject({
      id: climber,
      tier: null,
      tierStatus: null,
    });
    await linkPartner(url, climber, partners[2]!.id, memberToken(climber));
    const linked = await byCard(partnerTokens[2]!);
    expect(linked.data?.memberByCard).toMatchObject({
      tier: 'PLATINUM',
      tierStatus: { tier: { code: 'PLATINUM' } },
    });
    // The operator's own tools stay the operator's.
    const memberReview = await gql(
      url,
      'mutation { runTierReview { reviewed } }',
      {},
      memberToken(climber),
    );
    expect(codesOf(memberReview)).toEqual(['FORBIDDEN']);
  });
});

let refunder: string;
let refundReceipt: string;

describe('refunds and the period end', () => {
  it('takes a refund off the period, but does not downgrade before the period ends', async () => {
    refunder = (await enrolMember(url, 'Rafa Refund')).id;
    await buy(refunder, 150);
    refundReceipt = await buy(refunder, 450);
    expect((await statusOf(refunder)).tier).toBe('GOLD');
    const refunded = await refundPurchase(url, partnerTokens[0]!, {
      idempotencyKey: randomUUID(),
      storeId: partners[0]!.stores[0]!.id,
      receiptId: refundReceipt,
    });
    expect(refunded.errors).toBeUndefined();
    const after = await statusOf(refunder);
    expect(after.tier).toBe('GOLD');
    expect(after.tierStatus).toMatchObject({
      metricValue: '150',
      earnedTier: { code: 'GOLD' },
      reviewAt: '2028-01-31T00:00:00.000Z',
    });
  });

  it('starts a calendar year afresh, keeps the tier through the grace period, then goes down one tier only', async () => {
    await clock.freezeAt(new Date('2028-01-10T09:00:00Z'));
    expect((await statusOf(refunder)).tierStatus).toMatchObject({
      metricValue: '0',
      periodStartsAt: '2028-01-01T00:00:00.000Z',
      periodEndsAt: '2029-01-01T00:00:00.000Z',
    });
    await clock.freezeAt(new Date('2028-01-30T23:59:59.999Z'));
    expect(await review()).toMatchObject({ reviewed: 0, downgraded: 0 });
    expect((await statusOf(refunder)).tier).toBe('GOLD');
    await clock.freezeAt(new Date('2028-01-31T00:00:00Z'));
    // The refunder (150 points in 2027: SILVER) and the climber (2,105: PLATINUM, kept). Two
    // rounds at once, as two replicas would run them: each member is reviewed once.
    const rounds = await Promise.all([review(), review()]);
    expect(rounds.reduce((sum, r) => sum + r.reviewed, 0)).toBe(2);
    expect(rounds.reduce((sum, r) => sum + r.downgraded, 0)).toBe(1);
    const refunderNow = await statusOf(refunder);
    expect(refunderNow.tier).toBe('SILVER');
    expect(refunderNow.tierStatus).toMatchObject({
      reviewAt: '2029-01-31T00:00:00.000Z',
      history: [
        { from: 'GOLD', to: 'SILVER', reason: 'DOWNGRADE' },
        { from: 'SILVER', to: 'GOLD', reason: 'UPGRADE' },
        { from: null, to: 'SILVER', reason: 'UPGRADE' },
      ],
    });
    expect((await statusOf(climber)).tier).toBe('PLATINUM');
    // Idempotent: nothing is due again until the next period's end.
    expect(await review()).toMatchObject({ reviewed: 0, downgraded: 0 });
  });
});

describe('operator overrides', () => {
  it('gives a tier with a reason until an end date, beats the earned tier meanwhile, and ends', async () => {
    const matched = (await enrolMember(url, 'Mia Match')).id;
    const endsAt = '2028-03-01T00:00:00.000Z';
    const bad = [
      await overrideTier({ memberId: matched, tier: 'DIAMOND', reason: 'match', endsAt }),
      await overrideTier({
        memberId: matched,
        tier: 'GOLD',
        reason: 'match',
        endsAt: '2028-01-01T00:00:00.000Z',
      }),
      await overrideTier({ memberId: matched, tier: 'GOLD', reason: ' ', endsAt }),
    ];
    expect(bad.map(codesOf)).toEqual([['BAD_USER_INPUT'], ['BAD_USER_INPUT'], ['BAD_USER_INPUT']]);
    const asPartner = await overrideTier(
      { memberId: matched, tier: 'GOLD', reason: 'match', endsAt },
      partnerTokens[0],
    );
    expect(codesOf(asPartner)).toEqual(['FORBIDDEN']);
    expect((await statusOf(matched)).tier).toBeNull();

    const given = await overrideTier({
      memberId: matched,
      tier: 'GOLD',
      reason: 'Status match: another programme’s gold card',
      endsAt,
    });
    expect(given.errors).toBeUndefined();
    expect(given.data?.overrideMemberTier.tier).toBe('GOLD');
    await buy(matched, 120);
    const during = await statusOf(matched);
    expect(during.tierStatus).toMatchObject({
      tier: { code: 'GOLD' },
      earnedTier: { code: 'SILVER' },
      override: { tier: { code: 'GOLD' }, endsAt, setBy: 'operator:test' },
    });
    // The member sees the override, not which operator set it.
    expect((await statusOf(matched, memberToken(matched))).tierStatus?.override).toMatchObject({
      reason: 'Status match: another programme’s gold card',
      setBy: null,
    });

    await clock.freezeAt(new Date('2028-03-01T00:00:00Z'));
    expect(await review()).toMatchObject({ overridesEnded: 1 });
    const after = await statusOf(matched);
    expect(after.tier).toBe('SILVER');
    expect(after.tierStatus).toMatchObject({
      override: null,
      history: [
        { from: 'GOLD', to: 'SILVER', reason: 'OVERRIDE_ENDED' },
        { from: null, to: 'GOLD', reason: 'OVERRIDE' },
      ],
    });
    expect((await tierFacts(matched)).map((f) => f.payload.changedBy)).toEqual([
      'operator:test',
      'tiers',
    ]);
  });
});

describe('distinct partners over a rolling 12 months', () => {
  let nomad: string;
  let wanderer: string;

  it('counts each partner once, across a year end, and upgrades on the purchase that adds one', async () => {
    await clock.freezeAt(new Date('2028-03-02T10:00:00Z'));
    const defined = await defineLadder({
      metric: 'DISTINCT_PARTNERS',
      period: 'ROLLING_12_MONTHS',
      timeZone: 'Europe/Berlin',
      currency: 'EUR',
      graceDays: 0,
      tiers: [
        { code: 'EXPLORER', name: 'Explorer', threshold: '2' },
        { code: 'NOMAD', name: 'Nomad', threshold: '3' },
      ],
    });
    expect(defined.errors).toBeUndefined();
    expect(defined.data?.defineTierLadder.version).toBe(2);
    nomad = (await enrolMember(url, 'Nina Nomad')).id;
    wanderer = (await enrolMember(url, 'Walt Wanderer')).id;
    await buy(nomad, 10, 0);
    await buy(nomad, 10, 0);
    expect((await statusOf(nomad)).tierStatus).toMatchObject({
      ladderVersion: 2,
      metric: 'DISTINCT_PARTNERS',
      metricValue: '1',
      tier: null,
      missingForNextTier: '1',
      // March 2028 in Berlin: the window is April 2027 to March 2028.
      periodStartsAt: '2027-03-31T22:00:00.000Z',
      periodEndsAt: '2028-03-31T22:00:00.000Z',
    });
    await clock.freezeAt(new Date('2028-06-01T10:00:00Z'));
    await buy(nomad, 10, 1);
    expect((await statusOf(nomad)).tier).toBe('EXPLORER');
    await buy(nomad, 10, 2);
    expect((await statusOf(nomad)).tierStatus).toMatchObject({
      tier: { code: 'NOMAD' },
      metricValue: '3',
      reviewAt: '2028-06-30T22:00:00.000Z',
    });
    // A rolling window reaches back over the new year, where a calendar year would start afresh.
    await clock.freezeAt(new Date('2028-11-10T10:00:00Z'));
    await buy(wanderer, 10, 0);
    await clock.freezeAt(new Date('2029-02-10T10:00:00Z'));
    await buy(wanderer, 10, 1);
    expect((await statusOf(wanderer)).tierStatus).toMatchObject({
      tier: { code: 'EXPLORER' },
      metricValue: '2',
    });
  });

  it('keeps a tier while the window holds it, then goes down one tier a review', async () => {
    await clock.freezeAt(new Date('2029-03-15T10:00:00Z'));
    await review();
    // The nomad's reviewed window (to June 2028) held three partners: kept.
    expect((await statusOf(nomad)).tierStatus).toMatchObject({
      tier: { code: 'NOMAD' },
      metricValue: '2',
      reviewAt: '2029-03-31T22:00:00.000Z',
    });
    await clock.freezeAt(new Date('2029-03-31T22:00:00Z'));
    await review();
    expect((await statusOf(nomad)).tierStatus).toMatchObject({
      tier: { code: 'EXPLORER' },
      history: [{ from: 'NOMAD', to: 'EXPLORER', reason: 'DOWNGRADE', ladderVersion: 2 }, {}, {}],
    });
    // Reviewed every month end: its last two partners leave the window after June 2029.
    for (const monthEnd of ['2029-04-30T22:00:00Z', '2029-05-31T22:00:00Z']) {
      await clock.freezeAt(new Date(monthEnd));
      await review();
      expect((await statusOf(nomad)).tier).toBe('EXPLORER');
    }
    await clock.freezeAt(new Date('2029-06-30T22:00:00Z'));
    await review();
    expect((await statusOf(nomad)).tierStatus).toMatchObject({
      tier: null,
      metricValue: '0',
      reviewAt: null,
    });
    expect((await statusOf(wanderer)).tier).toBe('EXPLORER');
  });

  it('leaves the ledger clean', async () => {
    await expectLedgerClean(network.databaseUrls.member);
  });
});
