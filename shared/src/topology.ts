/**
 * The services of the network, their default ports (npm start) and where their code lives.
 * Subgraph names are the names the supergraph knows them by.
 */
export const subgraphs = [
  { name: 'member', dir: 'subgraphs/member', defaultPort: 4001, urlSetting: 'MEMBER_URL' },
  {
    name: 'partner-merchant',
    dir: 'subgraphs/partner-merchant',
    defaultPort: 4002,
    urlSetting: 'PARTNER_MERCHANT_URL',
  },
  {
    name: 'settlement',
    dir: 'subgraphs/settlement',
    defaultPort: 4003,
    urlSetting: 'SETTLEMENT_URL',
  },
] as const;

export type SubgraphName = (typeof subgraphs)[number]['name'];

export const gatewayDefaultPort = 4000;
export const postgresDefaultPort = 54320;

/** The database each subgraph owns (one server by default, any URL per service in production). */
export const databaseNames: Record<SubgraphName, string> = {
  member: 'coalition_member',
  'partner-merchant': 'coalition_partner',
  settlement: 'coalition_settlement',
};

/** The gateway's own database: its rate-limit counters, shared by every gateway replica. */
export const gatewayDatabaseName = 'coalition_gateway';
