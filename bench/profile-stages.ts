import type { Stage } from './profile';

/** The stages whose inclusive CPU time the report shows, per service. */
export function stagesOf(service: string): Stage[] {
  const common: Stage[] = [
    { name: 'token check (verifyToken)', functionName: 'verifyToken' },
    { name: '… of it, PEM → key object (createPublicKey)', functionName: 'createPublicKey' },
    { name: 'request body JSON (body-parser)', group: 'body-parser' },
    { name: 'GraphQL parse', functionName: 'parse', group: 'graphql' },
    { name: 'GraphQL validate', functionName: 'validate', group: 'graphql' },
    { name: 'logging (pino)', group: 'pino' },
    { name: 'garbage collection', group: 'V8: garbage' },
    { name: 'express (routing, middleware, response)', group: 'express' },
  ];
  if (service === 'gateway') {
    return [
      ...common,
      { name: 'query planning (@apollo/query-planner)', group: '@apollo/query-planner' },
      { name: 'plan execution (@apollo/gateway)', group: '@apollo/gateway' },
      { name: 'subgraph call (undici)', group: 'undici' },
    ];
  }
  return [
    ...common,
    { name: 'GraphQL execution (graphql-js)', group: 'graphql' },
    {
      name: 'wallet code (subgraphs/member/src/modules/wallet)',
      group: 'subgraphs/member/src/modules/wallet',
    },
    { name: 'input validation (zod)', group: 'zod' },
    { name: 'idempotency request hash', functionName: 'requestHash' },
    { name: 'TypeORM', group: 'typeorm' },
    { name: 'Postgres driver (pg, pg-protocol, pg-pool)', group: 'pg' },
  ];
}
