import type { FeedConsumer } from '@coalition/shared/feed/consumer';
import { schemaPart } from '@coalition/shared/graphql/module';
import { createMembersLoaders } from './members.loaders';
import { membersResolvers } from './members.resolvers';
import type { MembersService } from './members.service';

const typeDefs = schemaPart(new URL('./members.graphql', import.meta.url));

/** Members, cards, tiers and consents: who a member is and which partners may see them. */
export function membersModule(members: MembersService, partnerFeed: FeedConsumer) {
  return {
    name: 'members',
    typeDefs,
    resolvers: membersResolvers(members, partnerFeed),
    createLoaders: () => createMembersLoaders(members),
  };
}
