import { createRequire } from 'node:module';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { z } from 'zod';
import { loadConfig } from '../config';

/**
 * Tracing is off unless OTEL_TRACES_EXPORTER=otlp. The exporter reads the standard OpenTelemetry
 * settings itself (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, headers,
 * timeout), and the provider the sampler (OTEL_TRACES_SAMPLER, default: follow the caller's
 * decision, else record).
 */
export const tracingSettings = {
  OTEL_TRACES_EXPORTER: z.enum(['none', 'otlp']).default('none'),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
};

/** Polls and probes arrive several times a second: tracing them would bury the requests. */
const untracedPaths = ['/feed', '/healthz', '/readyz', '/metrics'];
const untraced = (path: string | undefined) =>
  untracedPaths.some((quiet) => path === quiet || path?.startsWith(`${quiet}?`));

export interface Tracing {
  /** Sends the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

/**
 * Traces a service with OpenTelemetry: a span for each HTTP request it serves (continuing the
 * caller's W3C `traceparent`), each HTTP call it makes (the gateway's subgraph fetches, which carry
 * the trace on), and each database statement; Apollo Gateway adds its own spans for planning and
 * fetching. Must run before the service's code loads `pg`: a service's main.ts calls runMain, which
 * calls this, then imports the server.
 */
export function startTracing(
  service: string,
  env: Record<string, string | undefined> = process.env,
): Tracing | undefined {
  const settings = loadConfig(service, tracingSettings, env);
  if (settings.OTEL_TRACES_EXPORTER === 'none') return undefined;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: settings.OTEL_SERVICE_NAME ?? `coalition-${service}`,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // The W3C trace-context propagator, and context that follows async calls.
  provider.register();
  const disable = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => untraced(request.url),
      }),
      new UndiciInstrumentation({
        ignoreRequestHook: (request) => untraced(request.path),
      }),
      // Statement text only, never its parameters: those hold members' data.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    ],
  });
  // The HTTP instrumentation patches node:http when it is required; ES modules import it without
  // a require, so require it once here (the patch is on the shared module, seen by every import).
  createRequire(import.meta.url)('node:http');
  return {
    async shutdown() {
      disable();
      await provider.shutdown();
    },
  };
}
