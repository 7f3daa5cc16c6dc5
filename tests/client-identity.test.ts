import { readFileSync } from 'node:fs';
import { buildSchema, isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicSchemaPath } from '../gateway/src/compose';
import { createApiClient, enrolMember, onboardPartner } from './support/coalition';
import { gql } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';

/**
 * Client caches (Apollo Client's InMemoryCache, Relay's store) key an object by its type and `id`:
 * every entity a partner app or console caches has one, stable across queries, so a wallet read
 * after an earn updates the cached wallet instead of leaving a stale copy beside it.
 */

/** Entities of the public schema a client caches, each keyed by its `id`. */
const cached = [
  'Member',
  'Wallet',
  'Partner',
  'Store',
  'ApiClient',
  'EarnRuleVersion',
  'PartnerStatusChange',
  'Transaction',
  'Hold',
  'Household',
  'Offer',
  'Reward',
  'RewardOrder',
  'SettlementCycle',
  'Statement',
  'ContractVersion',
];

describe('ids for client caches', () => {
  it('every cached entity of the public schema has a non-null id', () => {
    const schema = buildSchema(readFileSync(publicSchemaPath, 'utf8'));
    for (const name of cached) {
      const type = schema.getType(name);
      expect(type && isObjectType(type), name).toBe(true);
      if (!type || !isObjectType(type)) continue;
      expect(String(type.getFields().id?.type), name).toBe('ID!');
    }
  });

  describe('through the gateway', () => {
    let network: TestNetwork;
    beforeAll(async () => {
      network = await startTestNetwork('identity');
    });
    afterAll(async () => {
      await network?.stop();
    });

    it('answers the same id for the same object, wherever it is reached from', async () => {
      const url = network.graphqlUrl;
      const partner = await onboardPartner(url, 'Identity Store');
      const member = await enrolMember(url, 'Identity Member');
      const { clientId } = await createApiClient(url, partner.id);
      const wallet = await gql<{
        wallet: { id: string; memberId: string };
        member: { wallet: { id: string } };
      }>(
        url,
        'query W($m: ID!) { wallet(memberId: $m) { id memberId } member(id: $m) { wallet { id } } }',
        {
          m: member.id,
        },
      );
      expect(wallet.errors).toBeUndefined();
      expect(wallet.data!.wallet.id).toBe(member.id);
      expect(wallet.data!.member.wallet.id).toBe(wallet.data!.wallet.id);

      const config = await gql<{
        partner: {
          apiClients: { edges: { node: { id: string; clientId: string } }[] };
          earnRuleVersions: { edges: { node: { id: string; version: number } }[] };
        };
      }>(
        url,
        'query P($p: ID!) { partner(id: $p) { apiClients { edges { node { id clientId } } } earnRuleVersions { edges { node { id version } } } } }',
        { p: partner.id },
      );
      expect(config.errors).toBeUndefined();
      expect(config.data!.partner.apiClients.edges.map((e) => e.node)).toEqual([
        { id: clientId, clientId },
      ]);
      const versions = config.data!.partner.earnRuleVersions.edges.map((e) => e.node);
      expect(versions).toEqual([{ id: `${partner.id}:1`, version: 1 }]);
    });
  });
});
