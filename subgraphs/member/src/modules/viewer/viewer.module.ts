import { schemaPart } from '@coalition/shared/graphql/module';
import { viewerResolvers } from './viewer.resolvers';

const typeDefs = schemaPart(new URL('./viewer.graphql', import.meta.url));

/** Who a token is (`viewer`): read from the verified token alone, the member from this service. */
export function viewerModule() {
  return { name: 'viewer', typeDefs, resolvers: viewerResolvers() };
}
