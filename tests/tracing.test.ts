import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '../shared/src/tracing/tracing';
import { enrolMember, linkPartner, onboardPartner } from './support/coalition';
import { eventually, gql, tokenFor } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { earnInput } from './support/wallet';

/**
 * OpenTelemetry tracing over the whole network, exported over OTLP/HTTP to a collector stand-in
 * on loopback: one trace from the caller's `traceparent` through the gateway, its subgraph fetch,
 * the member service and its database statements.
 */

interface Span {
  service: string;
  traceId: string;
  spanId: string;
  /** Absent on a trace's root span. */
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

const SERVER = 2;
/** The database a span talks to (the semantic conventions' current name for it). */
const dbSystem = (span: Span) => span.attributes['db.system.name'];
const CLIENT = 3;

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: {
      spans: (Omit<Span, 'service' | 'attributes'> & { attributes?: OtlpAttribute[] })[];
    }[];
  }[];
}

const attributesOf = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(
    list.map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue]),
  );

/** Accepts OTLP/HTTP JSON exports at /v1/traces and keeps every span. */
async function startCollector(): Promise<{ url: string; spans: Span[]; server: Server }> {
  const spans: Span[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const exported = JSON.parse(body) as OtlpExport;
        for (const resource of exported.resourceSpans) {
          const service = String(attributesOf(resource.resource.attributes)['service.name']);
          for (const scope of resource.scopeSpans)
            for (const span of scope.spans)
              spans.push({ ...span, service, attributes: attributesOf(span.attributes) });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

let network: TestNetwork;
let collector: Awaited<ReturnType<typeof startCollector>>;
const traceId = randomBytes(16).toString('hex');
let memberId: string;
let storeId: string;
let till: string;

beforeAll(async () => {
  collector = await startCollector();
  network = await startTestNetwork('tracing', {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/v1/traces`,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  const partner = await onboardPartner(network.graphqlUrl, 'Traced Traders');
  const member = await enrolMember(network.graphqlUrl, 'Traced Member');
  await linkPartner(network.graphqlUrl, member.id, partner.id);
  memberId = member.id;
  storeId = partner.stores[0]!.id;
  till = tokenFor({ role: 'partner', sub: 'partner:traced', partnerId: partner.id });
});

afterAll(async () => {
  await network?.stop();
  collector?.server.close();
});

describe('tracing', () => {
  it("follows one earn from the caller's traceparent through the gateway, the member service and its statements", async () => {
    const earned = await gql(
      network.graphqlUrl,
      'mutation TracedEarn($input: EarnPointsInput!) { earnPoints(input: $input) { pointsEarned } }',
      { input: earnInput({ memberId, storeId, total: '800' }) },
      till,
      { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    );
    expect(earned.errors).toBeUndefined();

    // Each service exports in batches, the gateway's own server span last (it ends with the answer).
    const spans = await eventually(
      async () => {
        const found = collector.spans.filter((span) => span.traceId === traceId);
        const has = (service: string, test: (span: Span) => boolean) =>
          found.some((span) => span.service === service && test(span));
        return has('coalition-gateway', (s) => s.kind === SERVER) &&
          has('coalition-gateway', (s) => s.name === 'gateway.fetch') &&
          has('coalition-member', (s) => s.kind === SERVER) &&
          has('coalition-member', (s) => dbSystem(s) === 'postgresql')
          ? found
          : undefined;
      },
      15_000,
      'the spans of the traced earn',
    );

    const gatewayServer = spans.find((s) => s.service === 'coalition-gateway' && s.kind === SERVER);
    expect(gatewayServer, 'the gateway serves the request').toBeDefined();
    // Apollo Gateway's own span for the subgraph fetch, and the HTTP call under it.
    expect(spans.some((s) => s.service === 'coalition-gateway' && s.name === 'gateway.fetch')).toBe(
      true,
    );
    const fetches = spans.filter((s) => s.service === 'coalition-gateway' && s.kind === CLIENT);
    const memberServer = spans.find((s) => s.service === 'coalition-member' && s.kind === SERVER);
    expect(memberServer, 'the member service serves the fetch').toBeDefined();
    // The member service's span continues the gateway's call: the trace context crossed over HTTP.
    expect(fetches.map((s) => s.spanId)).toContain(memberServer!.parentSpanId);

    const statements = spans.filter(
      (s) => s.service === 'coalition-member' && dbSystem(s) === 'postgresql',
    );
    expect(statements.length).toBeGreaterThan(0);
    // The earn's own statements, each its own span, with the statement's text…
    expect(statements.some((s) => String(s.attributes['db.query.text']).includes('INSERT'))).toBe(
      true,
    );
    for (const statement of statements) {
      expect(statement.parentSpanId).toBe(memberServer!.spanId);
      // …never the values bound to it (members' data).
      expect(statement.attributes['db.postgresql.values']).toBeUndefined();
      expect(JSON.stringify(statement.attributes)).not.toContain(memberId);
    }
  });

  it('leaves feed polls, probes and metrics scrapes out', () => {
    const paths = collector.spans
      .filter((span) => span.kind === SERVER)
      .map((span) => String(span.attributes['url.path'] ?? span.attributes['http.target'] ?? ''));
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(path).not.toMatch(/^\/(feed|healthz|readyz|metrics)/);
  });

  it('is off unless OTEL_TRACES_EXPORTER=otlp, and refuses an exporter it does not know', () => {
    expect(startTracing('member', {})).toBeUndefined();
    expect(startTracing('member', { OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(() => startTracing('member', { OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(
      /OTEL_TRACES_EXPORTER/,
    );
  });
});
