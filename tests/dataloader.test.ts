import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../shared/src/service/subgraph-service';
import { loadMemberConfig } from '../subgraphs/member/src/config';
import { startMemberService } from '../subgraphs/member/src/server';
import { loadPartnerConfig } from '../subgraphs/partner-merchant/src/config';
import { startPartnerService } from '../subgraphs/partner-merchant/src/server';
import { loadSettlementConfig } from '../subgraphs/settlement/src/config';
import { startSettlementService } from '../subgraphs/settlement/src/server';
import {
  enrolMember,
  linkPartner,
  onboardPartner,
  type OnboardedPartner,
} from './support/coalition';
import { freshDatabaseUrl, subgraphEnv } from './support/databases';
import { eventually, gql, operatorToken, tokenFor } from './support/graphql';
import { earn, earnInput, hold } from './support/wallet';

/**
 * README, Architecture: "`Member`, `Partner`, `Store`, `SettlementCycle` are entities keyed by id and
 * resolved through DataLoaders (one query per entity type per request)". Each subgraph runs in this
 * process with a hook on every statement its DataSource sends; one `_entities` request for many
 * references must cost a fixed number of SELECTs, the same for 5 references as for 25.
 */

const PARTNERS = 25;
const MEMBERS = 25;
const FEW = 5;
/** Settlement cycles seeded straight into settlement's tables (no API closes a cycle yet). */
const CYCLES = 3;

/**
 * The services' background work shares the DataSource: feed consumers poll their cursor and feed
 * readers read the outbox several times a second. Those statements are not the request's.
 */
const BACKGROUND_TABLES = /\b(feed_cursor|outbox)\b/;
const isRequestRead = (sql: string): boolean =>
  /^\s*SELECT\b/i.test(sql) && !BACKGROUND_TABLES.test(sql);

/** Every statement one service sent, in order, so a test can count what a single request read. */
class StatementLog {
  private readonly statements: string[] = [];
  readonly record = (sql: string): void => {
    this.statements.push(sql);
  };

  /** Runs the work and returns the reads sent while it ran (the counter starts from zero each time). */
  async readsDuring<T>(work: () => Promise<T>): Promise<{ result: T; reads: string[] }> {
    const from = this.statements.length;
    const result = await work();
    return { result, reads: this.statements.slice(from).filter(isRequestRead) };
  }
}

const partnerRefs = (ids: readonly string[]) => ids.map((id) => ({ __typename: 'Partner', id }));
const memberRefs = (ids: readonly string[]) => ids.map((id) => ({ __typename: 'Member', id }));
const sorted = (ids: readonly string[]): string[] => [...ids].sort();

/** One `_entities` request straight to a subgraph, as the gateway would send it; fails on any error. */
async function entities<T>(
  service: RunningService,
  selection: string,
  representations: unknown[],
  token = operatorToken(),
): Promise<T[]> {
  const response = await gql<{ _entities: T[] }>(
    `${service.url}/graphql`,
    `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ${selection} } }`,
    { representations },
    token,
  );
  expect(response.errors).toBeUndefined();
  const resolved = response.data?._entities;
  expect(resolved).toHaveLength(representations.length);
  return resolved ?? [];
}

describe('entity references resolve through DataLoaders: one database query for many references', () => {
  const partnerLog = new StatementLog();
  const memberLog = new StatementLog();
  const settlementLog = new StatementLog();
  let partnerService: RunningService;
  let memberService: RunningService;
  let settlementService: RunningService;
  let settlementDatabaseUrl: string;
  let partners: OnboardedPartner[];
  /** Members in enrolment order, each with the partners it linked. */
  let members: { id: string; cardNumber: string; name: string; partnerIds: string[] }[];
  /** Settlement cycle ids, newest first. */
  const cycleIds = Array.from({ length: CYCLES }, () => randomUUID());

  beforeAll(async () => {
    partnerService = await startPartnerService(
      loadPartnerConfig(subgraphEnv(freshDatabaseUrl('dataloader_partner'))),
      { onQuery: partnerLog.record },
    );
    memberService = await startMemberService(
      // No expiry round (its first comes a minute after start) among the statements a test counts.
      loadMemberConfig(
        subgraphEnv(freshDatabaseUrl('dataloader_member'), {
          PARTNER_FEED_URL: `${partnerService.url}/feed`,
          EXPIRY_INTERVAL_MS: '600000',
        }),
      ),
      { onQuery: memberLog.record },
    );
    settlementDatabaseUrl = freshDatabaseUrl('dataloader_settlement');
    settlementService = await startSettlementService(
      loadSettlementConfig(
        subgraphEnv(settlementDatabaseUrl, { MEMBER_FEED_URL: `${memberService.url}/feed` }),
      ),
      { onQuery: settlementLog.record },
    );

    const partnerUrl = `${partnerService.url}/graphql`;
    partners = await Promise.all(
      Array.from({ length: PARTNERS }, (_, i) => {
        const name = `Partner ${String(i).padStart(2, '0')}`;
        // Stores of one onboarding share created_at, so they list by name: North before South.
        return onboardPartner(partnerUrl, name, [`${name} North`, `${name} South`]);
      }),
    );

    const memberUrl = `${memberService.url}/graphql`;
    await eventually(
      async () => {
        const status = await gql<{ partnerFeedStatus: { factsApplied: number } }>(
          memberUrl,
          '{ partnerFeedStatus { factsApplied } }',
        );
        return (status.data?.partnerFeedStatus.factsApplied ?? 0) >= PARTNERS;
      },
      20_000,
      'every partner to reach the member replica',
    );
    members = await Promise.all(
      Array.from({ length: MEMBERS }, async (_, i) => {
        const name = `Member ${i}`;
        const enrolled = await enrolMember(memberUrl, name);
        // One, two or three partners each, so the batched link query must split its rows correctly.
        const partnerIds = partners.slice(i, i + 1 + (i % 3)).map((partner) => partner.id);
        for (const partnerId of partnerIds) await linkPartner(memberUrl, enrolled.id, partnerId);
        return { ...enrolled, name, partnerIds };
      }),
    );

    await seedSettlementCycles(
      settlementDatabaseUrl,
      cycleIds,
      partners.map((partner) => partner.id),
    );
  });

  afterAll(async () => {
    await settlementService?.stop();
    await memberService?.stop();
    await partnerService?.stop();
  });

  describe('partner-merchant', () => {
    const selection = '... on Partner { id name stores { id name } }';

    it.each([PARTNERS, FEW])(
      'resolves %i Partner references with their stores in two SELECTs: partners, then stores',
      async (count) => {
        const wanted = partners.slice(0, count);
        const { result, reads } = await partnerLog.readsDuring(() =>
          entities<OnboardedPartner>(
            partnerService,
            selection,
            partnerRefs(wanted.map((p) => p.id)),
          ),
        );

        expect(result).toEqual(wanted);
        expect(result.every((partner) => partner.stores.length === 2)).toBe(true);
        expect(reads, reads.join('\n')).toEqual([
          expect.stringMatching(/FROM "partner"/),
          expect.stringMatching(/FROM "store"/),
        ]);
      },
    );

    it('resolves 25 Store references, and their partners, in two SELECTs', async () => {
      const stores = partners.flatMap((partner) =>
        partner.stores.map((store) => ({
          ...store,
          partner: { id: partner.id, name: partner.name },
        })),
      );
      const wanted = stores.slice(0, PARTNERS);
      const { result, reads } = await partnerLog.readsDuring(() =>
        entities(
          partnerService,
          '... on Store { id name partner { id name } }',
          wanted.map((store) => ({ __typename: 'Store', id: store.id })),
        ),
      );

      expect(result).toEqual(wanted);
      expect(reads, reads.join('\n')).toEqual([
        expect.stringMatching(/FROM "store"/),
        expect.stringMatching(/FROM "partner"/),
      ]);
    });
  });

  describe('member', () => {
    const selection = '... on Member { id cardNumber linkedPartners { id } }';
    type ResolvedMember = { id: string; cardNumber: string; linkedPartners: { id: string }[] };

    it.each([MEMBERS, FEW])(
      'resolves %i Member references with their linked partners in two SELECTs: members, then links',
      async (count) => {
        const wanted = members.slice(0, count);
        const { result, reads } = await memberLog.readsDuring(() =>
          entities<ResolvedMember>(memberService, selection, memberRefs(wanted.map((m) => m.id))),
        );

        expect(
          result.map((member) => ({
            id: member.id,
            cardNumber: member.cardNumber,
            partnerIds: sorted(member.linkedPartners.map((p) => p.id)),
          })),
        ).toEqual(
          wanted.map((member) => ({
            id: member.id,
            cardNumber: member.cardNumber,
            partnerIds: sorted(member.partnerIds),
          })),
        );
        expect(reads, reads.join('\n')).toEqual([
          expect.stringMatching(/FROM "member"/),
          expect.stringMatching(/FROM "member_partner_link"/),
        ]);
      },
    );

    it("checks a partner's consent for every member in the same two SELECTs", async () => {
      const partner = partners[3];
      if (!partner) throw new Error('the partners were not onboarded');
      const token = tokenFor({
        role: 'partner',
        sub: `client:${partner.id}`,
        partnerId: partner.id,
      });
      const { result, reads } = await memberLog.readsDuring(() =>
        entities<ResolvedMember | null>(
          memberService,
          '... on Member { id name linkedPartners { id } }',
          memberRefs(members.map((m) => m.id)),
          token,
        ),
      );

      // A partner sees the members who linked it, and of their links only its own; the rest are null.
      const expected = members.map((member) =>
        member.partnerIds.includes(partner.id)
          ? { id: member.id, name: member.name, linkedPartners: [{ id: partner.id }] }
          : null,
      );
      expect(expected.filter(Boolean).length).toBeGreaterThan(0);
      expect(result).toEqual(expected);
      expect(reads, reads.join('\n')).toEqual([
        expect.stringMatching(/FROM "member"/),
        expect.stringMatching(/FROM "member_partner_link"/),
      ]);
    });
  });

  describe('member wallets', () => {
    type Balances = { available: string; pending: string; held: string; lifetimeEarned: string };
    const walletSelection = 'wallet { available pending held lifetimeEarned }';
    /** Member id → the balances its writes add up to. */
    const expected = new Map<string, Balances>();
    /** One SELECT for the ledger time, then one for the wallet rows with their open holds and live lots. */
    const walletReads = [/ledger_now\(\)/, /FROM wallet w[\s\S]*FROM hold[\s\S]*JOIN lot/].map(
      (pattern) => expect.stringMatching(pattern),
    );

    beforeAll(async () => {
      // Member i: i + 1 pending points from a purchase at partner i; even i also 100 + i goodwill
      // points available, of which every fourth member has 10 on hold. Every wallet differs.
      const memberUrl = `${memberService.url}/graphql`;
      await Promise.all(
        members.map(async (member, i) => {
          const partner = partners[i % PARTNERS]!;
          const partnerToken = tokenFor({
            role: 'partner',
            sub: `client:${partner.id}`,
            partnerId: partner.id,
          });
          const earned = await earn(
            memberUrl,
            partnerToken,
            earnInput({
              memberId: member.id,
              storeId: partner.stores[0]!.id,
              total: `${(i + 1) * 100}`,
            }),
          );
          expect(earned.errors).toBeUndefined();
          const goodwill = i % 2 === 0 ? 100 + i : 0;
          const held = i % 4 === 0 ? 10 : 0;
          if (goodwill > 0) {
            const credited = await gql(
              memberUrl,
              `mutation A($input: AdjustPointsInput!) { adjustPoints(input: $input) { transactionId } }`,
              {
                input: {
                  idempotencyKey: randomUUID(),
                  memberId: member.id,
                  direction: 'CREDIT',
                  points: `${goodwill}`,
                  reason: 'GOODWILL',
                  note: 'dataloader test',
                },
              },
            );
            expect(credited.errors).toBeUndefined();
          }
          if (held > 0) {
            const holding = await hold(memberUrl, partnerToken, {
              idempotencyKey: randomUUID(),
              memberId: member.id,
              storeId: partner.stores[0]!.id,
              points: `${held}`,
            });
            expect(holding.errors).toBeUndefined();
          }
          expected.set(member.id, {
            available: `${goodwill - held}`,
            pending: `${i + 1}`,
            held: `${held}`,
            lifetimeEarned: `${i + 1}`,
          });
        }),
      );
    });

    it.each([MEMBERS, FEW])(
      "lists %i members with their wallets in three SELECTs: members, then the wallets' ledger time, then their rows, holds and lots",
      async (count) => {
        type Listed = { members: { edges: { node: { id: string; wallet: Balances } }[] } };
        const { result, reads } = await memberLog.readsDuring(() =>
          gql<Listed>(
            `${memberService.url}/graphql`,
            `query List($first: Int!) { members(first: $first) { edges { node { id ${walletSelection} } } } }`,
            { first: count },
          ),
        );

        expect(result.errors).toBeUndefined();
        const listed = result.data?.members.edges.map((edge) => edge.node) ?? [];
        expect(listed).toHaveLength(count);
        expect(listed).toEqual(
          listed.map((member) => ({ id: member.id, wallet: expected.get(member.id) })),
        );
        expect(reads, reads.join('\n')).toEqual([
          expect.stringMatching(/FROM "member"/),
          ...walletReads,
        ]);
      },
    );

    it.each([MEMBERS, FEW])(
      'resolves the wallets of %i Member references in the same two SELECTs after the members',
      async (count) => {
        const wanted = members.slice(0, count);
        const { result, reads } = await memberLog.readsDuring(() =>
          entities<{ id: string; wallet: Balances }>(
            memberService,
            `... on Member { id ${walletSelection} }`,
            memberRefs(wanted.map((m) => m.id)),
          ),
        );

        expect(result).toEqual(
          wanted.map((member) => ({ id: member.id, wallet: expected.get(member.id) })),
        );
        expect(reads, reads.join('\n')).toEqual([
          expect.stringMatching(/FROM "member"/),
          ...walletReads,
        ]);
      },
    );
  });

  describe('settlement', () => {
    const selection = '... on Partner { id settlementCycles { edges { cursor node { id } } } }';
    type ResolvedPartner = {
      id: string;
      settlementCycles: { edges: { cursor: string; node: { id: string } }[] };
    };

    it.each([PARTNERS, FEW])(
      'resolves the settlement cycles of %i Partner references in one SELECT',
      async (count) => {
        const wanted = partners.slice(0, count);
        const { result, reads } = await settlementLog.readsDuring(() =>
          entities<ResolvedPartner>(
            settlementService,
            selection,
            partnerRefs(wanted.map((p) => p.id)),
          ),
        );

        // Partner i has a statement in the (i mod 3) oldest cycles; they list newest first.
        expect(
          result.map((partner) => ({
            id: partner.id,
            cycles: partner.settlementCycles.edges.map((edge) => edge.node.id),
          })),
        ).toEqual(
          wanted.map((partner, i) => ({
            id: partner.id,
            cycles: cycleIds.slice(CYCLES - (i % CYCLES)),
          })),
        );
        expect(
          result
            .flatMap((partner) => partner.settlementCycles.edges)
            .every((edge) => edge.cursor.length > 0),
        ).toBe(true);
        expect(reads, reads.join('\n')).toEqual([expect.stringMatching(/FROM partner_statement/)]);
      },
    );

    it('resolves SettlementCycle references, repeated and unknown ones among them, in one SELECT', async () => {
      const unknown = randomUUID();
      const refs = [...cycleIds, cycleIds[0]!, unknown].map((id) => ({
        __typename: 'SettlementCycle',
        id,
      }));
      const { result, reads } = await settlementLog.readsDuring(async () => {
        const response = await gql<{ _entities: ({ id: string; status: string } | null)[] }>(
          `${settlementService.url}/graphql`,
          'query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on SettlementCycle { id status } } }',
          { representations: refs },
          operatorToken(),
        );
        expect(response.errors).toBeUndefined();
        return response.data?._entities ?? [];
      });

      expect(result).toEqual([
        ...cycleIds.map((id) => ({ id, status: 'CLOSED' })),
        { id: cycleIds[0], status: 'CLOSED' },
        null,
      ]);
      expect(reads, reads.join('\n')).toEqual([expect.stringMatching(/FROM settlement_cycle/)]);
    });
  });
});

/**
 * Cycles are only ever cut by settlement itself, and no API closes one yet: write them, and
 * statements for the partners, straight into settlement's database. cycleIds run newest first;
 * partner i gets a statement in the (i mod CYCLES) oldest cycles.
 */
async function seedSettlementCycles(
  databaseUrl: string,
  cycleIds: readonly string[],
  partnerIds: readonly string[],
): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const [i, cycleId] of cycleIds.entries()) {
      const daysAgo = (i + 1) * 30;
      await client.query(
        `INSERT INTO settlement_cycle (id, status, from_position, cutoff_position, opened_at, closed_at)
         VALUES ($1, 'CLOSED', $2, $3, now() - make_interval(days => $4), now() - make_interval(days => $4 - 30))`,
        [cycleId, `${i}.0`, `${i + 1}.0`, daysAgo],
      );
    }
    for (const [i, partnerId] of partnerIds.entries()) {
      for (const cycleId of cycleIds.slice(CYCLES - (i % CYCLES))) {
        await client.query('INSERT INTO partner_statement (cycle_id, partner_id) VALUES ($1, $2)', [
          cycleId,
          partnerId,
        ]);
      }
    }
  } finally {
    await client.end();
  }
}
