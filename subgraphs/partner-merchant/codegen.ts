/**
 * How `npm run codegen` types this subgraph's resolvers: a resolver of a GraphQL type named here
 * receives, as its parent, the service-layer type given (`path#Type`, the path as
 * src/generated/graphql.ts imports it), and must return it where the schema returns that type.
 */
export const mappers: Record<string, string> = {
  Partner: '../modules/partners/partner.entity#Partner',
  Store: '../modules/partners/store.entity#Store',
  PartnerStatusChange: '../modules/partner-status/partner-status.service#PartnerStatusChange',
  ApiClient: '../modules/api-clients/api-client.entity#ApiClient',
  EarnRuleVersion: '../modules/earn-rules/earn-rule-versions.repository#EarnRuleVersionRecord',
  Reward: '../modules/rewards/reward.repository#Reward',
  RewardOrder: '../modules/rewards/reward-order.repository#RewardOrder',
  Offer: '../modules/offers/offers.repository#OfferRecord',
  WebOrigin: '../modules/web-origins/web-origins.service#WebOrigin',
};
