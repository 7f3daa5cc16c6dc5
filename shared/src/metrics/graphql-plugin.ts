import type { ApolloServerPlugin } from '@apollo/server';
import type { ServiceMetrics } from './service-metrics';

/** Codes of errors that are a bug or an outage here, not the caller's doing. */
const failureCodes = new Set(['INTERNAL_SERVER_ERROR', 'DOWNSTREAM_SERVICE_ERROR', 'UNKNOWN']);

/** ok: no errors; rejected: only errors the caller caused (bad input, no access); error: anything else. */
function outcomeOf(codes: readonly string[]): 'ok' | 'rejected' | 'error' {
  if (codes.length === 0) return 'ok';
  return codes.some((code) => failureCodes.has(code)) ? 'error' : 'rejected';
}

/**
 * Counts and times every GraphQL operation by name, type and outcome, and every error by code.
 * The same plugin runs in the gateway and in each subgraph, so a slow operation can be followed
 * from the gateway's figure to the subgraph's.
 */
export function graphqlMetricsPlugin<C extends object>(
  metrics: ServiceMetrics,
): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      const startedAt = process.hrtime.bigint();
      return {
        async willSendResponse({ operationName, operation, response }) {
          const errors =
            response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = errors.map((error) => String(error.extensions?.code ?? 'UNKNOWN'));
          for (const code of codes) metrics.graphqlErrors.inc({ code });
          const labels = {
            operation: metrics.operationLabel(operationName),
            type: operation?.operation ?? 'unparsed',
            outcome: outcomeOf(codes),
          };
          metrics.graphqlRequests.inc(labels);
          metrics.graphqlDuration.observe(
            labels,
            Number(process.hrtime.bigint() - startedAt) / 1e9,
          );
        },
      };
    },
  };
}
