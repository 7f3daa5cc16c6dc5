import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../shared/src/service/subgraph-service';
import { loadMemberConfig } from '../subgraphs/member/src/config';
import { startMemberService } from '../subgraphs/member/src/server';
import { loadPartnerConfig } from '../subgraphs/partner-merchant/src/config';
import { startPartnerService } from '../subgraphs/partner-merchant/src/server';
import { enrolMember, onboardPartner, type OnboardedPartner } from './support/coalition';
import { freshDatabaseUrl, subgraphEnv } from './support/databases';
import { eventually, gql, operatorToken, tokenFor } from './support/graphql';
import { earn, earnInput, hold } from './support/wallet';

/**
 * BENCHMARKS.md: an earn's cost is mostly its round trips between the member service and Postgres,
 * paid in CPU on both ends, not the statements' own work. This pins the statements a plain earn
 * sends, so one more round trip on the hot path is a deliberate change, not an accident. Counted,
 * not timed: the member service runs in this process with a hook on every statement it sends.
 */

/** The member service's background work (the partner feed consumer polling its cursor) is not the request's. */
const BACKGROUND = /\bfeed_cursor\b/;

/** Every balance a wallet answers with but its read time. */
const WALLET_FIELDS =
  'memberId available pending held lifetimeEarned debt expiringSoon { date firstExpiresAt points }';

describe('an earn makes a fixed, small number of round trips to Postgres', () => {
  const statements: string[] = [];
  let partnerService: RunningService;
  let memberService: RunningService;
  let memberUrl: string;
  let partner: OnboardedPartner;
  let token: string;

  beforeAll(async () => {
    partnerService = await startPartnerService(
      loadPartnerConfig(subgraphEnv(freshDatabaseUrl('round_trips_partner'))),
    );
    memberService = await startMemberService(
      // No expiry round (its first comes long after start) among the statements counted.
      loadMemberConfig(
        subgraphEnv(freshDatabaseUrl('round_trips_member'), {
          PARTNER_FEED_URL: `${partnerService.url}/feed`,
          EXPIRY_INTERVAL_MS: '600000',
        }),
      ),
      { onQuery: (sql) => statements.push(sql) },
    );
    memberUrl = `${memberService.url}/graphql`;
    partner = await onboardPartner(
      `${partnerService.url}/graphql`,
      'Round Trips',
      ['Round Trips Central'],
      undefined,
      { returnWindowDays: 0 },
    );
    token = tokenFor({ role: 'partner', sub: `client:${partner.id}`, partnerId: partner.id });
    await eventually(
      async () => {
        const status = await gql<{ partnerFeedStatus: { factsApplied: number } }>(
          memberUrl,
          '{ partnerFeedStatus { factsApplied } }',
        );
        return (status.data?.partnerFeedStatus.factsApplied ?? 0) >= 1;
      },
      20_000,
      'the partner to reach the member replica',
    );
  });

  afterAll(async () => {
    await memberService?.stop();
    await partnerService?.stop();
  });

  async function statementsOfOneEarn(memberId: string, total: string): Promise<string[]> {
    const from = statements.length;
    const earned = await earn(
      memberUrl,
      token,
      earnInput({ memberId, storeId: partner.stores[0]!.id, total }),
    );
    expect(earned.errors).toBeUndefined();
    return statements.slice(from).filter((sql) => !BACKGROUND.test(sql));
  }

  it('sends seven statements: the till, then one transaction of six whose writes go in a single batch with the idempotency record', async () => {
    const member = await enrolMember(memberUrl, 'Round Trip Member');
    await statementsOfOneEarn(member.id, '1000'); // the first earn also prepares the connection's named statements
    const sent = await statementsOfOneEarn(member.id, '2500');
    const kinds = sent.map(kindOf);
    expect(kinds).toEqual([
      'till',
      'START TRANSACTION',
      'lock_wallet',
      'idempotency claim',
      'earn context',
      'write batch',
      'COMMIT',
    ]);
    const batch = sent[kinds.indexOf('write batch')]!;
    for (const table of [
      'ledger_transaction',
      'posting',
      'lot',
      'wallet',
      'outbox',
      'idempotency_record',
    ])
      expect(batch).toMatch(new RegExp(`(INSERT INTO|UPDATE) ${table}\\b`));
  });

  it('sends the same seven with a tier ladder in force: the counter and an upgrade ride in the batch', async () => {
    const defined = await gql(
      memberUrl,
      `mutation D($input: TierLadderInput!) { defineTierLadder(input: $input) { version } }`,
      {
        input: {
          metric: 'QUALIFYING_POINTS',
          period: 'CALENDAR_YEAR',
          currency: 'EUR',
          graceDays: 0,
          tiers: [{ code: 'SILVER', name: 'Silver', threshold: '30' }],
        },
      },
      operatorToken(),
    );
    expect(defined.errors).toBeUndefined();
    const member = await enrolMember(memberUrl, 'Round Trip Climber');
    await statementsOfOneEarn(member.id, '1000'); // prepares the connection's statements
    const counted = await statementsOfOneEarn(member.id, '1000');
    const upgraded = await statementsOfOneEarn(member.id, '1000'); // 30 points: SILVER
    for (const sent of [counted, upgraded]) {
      expect(sent.map(kindOf)).toEqual([
        'till',
        'START TRANSACTION',
        'lock_wallet',
        'idempotency claim',
        'earn context',
        'write batch',
        'COMMIT',
      ]);
      expect(sent[5]).toMatch(/INSERT INTO tier_activity\b/);
    }
    const batch = upgraded[5]!;
    for (const write of [
      /INSERT INTO tier_status\b/,
      /UPDATE member SET tier\b/,
      /INSERT INTO tier_history\b/,
    ])
      expect(batch).toMatch(write);
    const tier = await gql<{ member: { tier: string | null } }>(
      memberUrl,
      'query M($id: ID!) { member(id: $id) { tier } }',
      { id: member.id },
      operatorToken(),
    );
    expect(tier.data?.member.tier).toBe('SILVER');
  });

  it('answers with the balances the earn left, the same as a read of the wallet afterwards, holds included', async () => {
    const member = await enrolMember(memberUrl, 'Round Trip Reader');
    const storeId = partner.stores[0]!.id;
    const earnAndRead = async (total: string) => {
      const earned = await gql<{ earnPoints: { wallet: unknown } }>(
        memberUrl,
        `mutation E($input: EarnPointsInput!) { earnPoints(input: $input) { wallet { ${WALLET_FIELDS} } } }`,
        { input: earnInput({ memberId: member.id, storeId, total }) },
        token,
      );
      expect(earned.errors).toBeUndefined();
      const read = await gql<{ member: { wallet: unknown } }>(
        memberUrl,
        `query M($id: ID!) { member(id: $id) { wallet { ${WALLET_FIELDS} } } }`,
        { id: member.id },
        operatorToken(),
      );
      expect(read.errors).toBeUndefined();
      return { answered: earned.data?.earnPoints.wallet, read: read.data?.member.wallet };
    };
    const first = await earnAndRead('1000');
    expect(first.answered).toEqual(first.read);
    expect(first.answered).toMatchObject({ available: '10', held: '0' });
    const held = await hold(memberUrl, token, {
      idempotencyKey: randomUUID(),
      memberId: member.id,
      storeId,
      points: '4',
    });
    expect(held.errors).toBeUndefined();
    const second = await earnAndRead('2599');
    expect(second.answered).toEqual(second.read);
    expect(second.answered).toMatchObject({ available: '31', held: '4', lifetimeEarned: '35' });
  });
});

/** What each statement of the earn is, by a phrase only it contains. */
function kindOf(sql: string): string {
  const kinds: [RegExp, string][] = [
    [/^\s*(START TRANSACTION|SAVEPOINT|COMMIT)\b/, ''],
    [/FROM store_replica/, 'till'],
    [/lock_wallet\(/, 'lock_wallet'],
    [/INSERT INTO idempotency_record/, 'idempotency claim'],
    [/FROM earn_rules_replica/, 'earn context'],
    [/^\s*WITH w0 AS/, 'write batch'],
    [/FROM wallet w\s+CROSS JOIN LATERAL/, 'balances'],
    [/UPDATE idempotency_record/, 'idempotency record'],
  ];
  for (const [pattern, kind] of kinds) {
    const match = pattern.exec(sql);
    if (match) return kind || match[1]!;
  }
  return sql.slice(0, 60);
}
