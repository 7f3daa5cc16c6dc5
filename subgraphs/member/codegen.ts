/**
 * How `npm run codegen` types this subgraph's resolvers: a resolver of a GraphQL type named here
 * receives, as its parent, the service-layer type given (`path#Type`, the path as
 * src/generated/graphql.ts imports it), and must return it where the schema returns that type.
 */

/** A wallet operation's result as its idempotency key recorded it: bigints and dates as strings. */
const recorded = (file: string, type: string) =>
  `import('../modules/wallet/idempotency').Wire<import('../modules/wallet/${file}').${type}>`;

export const mappers: Record<string, string> = {
  Member: '../modules/members/member.entity#Member',
  Partner: '@coalition/shared/graphql/entity-ref#EntityRef',
  Store: '@coalition/shared/graphql/entity-ref#EntityRef',
  MemberOffer: '../modules/offers/offers.service#MemberOffer',
  PartnerTransaction: '../modules/partner-views/partner-views.service#PartnerTransactionEntry',
  Wallet: '../modules/wallet/wallet-state#WalletView',
  Transaction: '../modules/wallet/history.service#HistoryEntry',
  Lot: '../modules/wallet/history.service#LotEntry',
  Household: '../modules/wallet/household.service#Household',
  TierLadder: '../modules/tiers/tier-ladder#TierLadder',
  TierStatus: '../modules/tiers/tier-status.service#TierStatusView',
  TierReviewReport: '../modules/tiers/tier-review.service#TierReviewReport',
  EarnResult: recorded('earn.service', 'EarnResult'),
  Hold: recorded('burn.service', 'Hold'),
  BurnResult: recorded('burn.service', 'BurnResult'),
  RefundResult: recorded('refund.service', 'RefundResult'),
  AdjustmentResult: recorded('adjustment.service', 'AdjustmentResult'),
  TransferResult: recorded('household.service', 'TransferResult'),
};
