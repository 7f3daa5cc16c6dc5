import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, parse } from 'graphql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../gateway/src/compose';
import type { RunningService } from '../shared/src/service/subgraph-service';
import { subgraphs, type SubgraphName } from '../shared/src/topology';
import { loadMemberConfig } from '../subgraphs/member/src/config';
import { startMemberService } from '../subgraphs/member/src/server';
import { loadPartnerConfig } from '../subgraphs/partner-merchant/src/config';
import { startPartnerService } from '../subgraphs/partner-merchant/src/server';
import { loadSettlementConfig } from '../subgraphs/settlement/src/config';
import { startSettlementService } from '../subgraphs/settlement/src/server';
import { freshDatabaseUrl, subgraphEnv } from './support/databases';
import { gql } from './support/graphql';

const SERVICE_SDL = '{ _service { sdl } }';

/** What a subgraph built from its committed schema.graphql answers to `_service { sdl }`. */
async function committedSdl(name: SubgraphName): Promise<string> {
  const subgraph = subgraphs.find((candidate) => candidate.name === name);
  if (!subgraph) throw new Error(`unknown subgraph ${name}`);
  const typeDefs = parse(readFileSync(join(repoRoot, subgraph.dir, 'schema.graphql'), 'utf8'));
  const result = await graphql({ schema: buildSubgraphSchema({ typeDefs }), source: SERVICE_SDL });
  const sdl = (result.data as { _service: { sdl: string } } | null | undefined)?._service.sdl;
  if (!sdl) throw new Error(`${name}: the committed schema gives no SDL`);
  return sdl;
}

/**
 * The supergraph is composed from each subgraph's schema.graphql, while a running service serves
 * the schema its modules hand the shell. They must be the same schema, in the same order: a
 * module left out of the server's list, or listed out of order, fails here.
 */
describe('each subgraph serves exactly the schema.graphql the supergraph is composed from', () => {
  const running = new Map<SubgraphName, RunningService>();

  beforeAll(async () => {
    const partner = await startPartnerService(
      loadPartnerConfig(subgraphEnv(freshDatabaseUrl('served_schema_partner'))),
    );
    running.set('partner-merchant', partner);
    const member = await startMemberService(
      loadMemberConfig(
        subgraphEnv(freshDatabaseUrl('served_schema_member'), {
          PARTNER_FEED_URL: `${partner.url}/feed`,
        }),
      ),
    );
    running.set('member', member);
    const settlement = await startSettlementService(
      loadSettlementConfig(
        subgraphEnv(freshDatabaseUrl('served_schema_settlement'), {
          MEMBER_FEED_URL: `${member.url}/feed`,
          PARTNER_FEED_URL: `${partner.url}/feed`,
        }),
      ),
    );
    running.set('settlement', settlement);
  });

  afterAll(async () => {
    for (const name of ['settlement', 'member', 'partner-merchant'] as const)
      await running.get(name)?.stop();
  });

  it.each(subgraphs.map((subgraph) => subgraph.name))('%s', async (name) => {
    const service = running.get(name);
    if (!service) throw new Error(`${name} did not start`);
    const served = await gql<{ _service: { sdl: string } }>(`${service.url}/graphql`, SERVICE_SDL);
    expect(served.errors).toBeUndefined();
    expect(served.data?._service.sdl).toBe(await committedSdl(name));
  });
});
