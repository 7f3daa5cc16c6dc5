/**
 * How `npm run codegen` types this subgraph's resolvers: a resolver of a GraphQL type named here
 * receives, as its parent, the service-layer type given (`path#Type`, the path as
 * src/generated/graphql.ts imports it), and must return it where the schema returns that type.
 */
export const mappers: Record<string, string> = {
  Partner: '@coalition/shared/graphql/entity-ref#EntityRef',
  SettlementCycle: '../modules/cycles/settlement-cycle.entity#SettlementCycle',
  Statement: '../modules/cycles/queries/statements.service#Statement',
  StatementLine: '../modules/cycles/queries/statements.service#StatementLine',
  JournalEntry: '../modules/cycles/queries/statements.service#JournalEntry',
  ContractVersion: '../modules/contracts/contracts.service#ContractVersion',
  Dispute: '../modules/disputes/disputes.service#Dispute',
};
