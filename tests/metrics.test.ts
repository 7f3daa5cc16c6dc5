import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceApp, listen, type Listening } from '../shared/src/http/service-app';
import { createLogger } from '../shared/src/logger';
import { ServiceMetrics } from '../shared/src/metrics/service-metrics';
import { enrolMember, linkPartner, onboardPartner } from './support/coalition';
import { codesOf, eventually, gql, tokenFor } from './support/graphql';
import { startTestNetwork, type TestNetwork } from './support/network';
import { earn, earnInput } from './support/wallet';

/**
 * Prometheus metrics at /metrics on the gateway and every subgraph, read the way Prometheus reads
 * them, after real traffic through the gateway: operations by name and outcome, errors by code,
 * subgraph calls, the database pool, periodic jobs, the outbox and feed consumers' lag.
 */

let network: TestNetwork;

/** A scrape, as series name{labels} → value. */
async function scrape(baseUrl: string, token?: string): Promise<Map<string, number>> {
  const response = await fetch(`${baseUrl}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const series = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

/** The value of the one series with this name whose labels include all of `labels`. */
function valueOf(
  series: Map<string, number>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const [key, value] of series) {
    if (!key.startsWith(`${name}{`) && key !== name) continue;
    if (wanted.every((pair) => key.includes(pair))) return value;
  }
  return undefined;
}

beforeAll(async () => {
  network = await startTestNetwork('metrics', { EXPIRY_INTERVAL_MS: '200' });
  const url = network.graphqlUrl;
  const partner = await onboardPartner(url, 'Metrics Market');
  const member = await enrolMember(url, 'Metric Member');
  await linkPartner(url, member.id, partner.id);
  const till = tokenFor({ role: 'partner', sub: 'partner:metrics', partnerId: partner.id });
  const storeId = partner.stores[0]!.id;
  await gql(
    url,
    'mutation EarnForMetrics($input: EarnPointsInput!) { earnPoints(input: $input) { pointsEarned } }',
    { input: earnInput({ memberId: member.id, storeId, total: '1200' }) },
    till,
  );
  const refused = await earn(url, till, {
    ...earnInput({ memberId: member.id, storeId, total: '1200' }),
    total: '-5',
  });
  expect(codesOf(refused)).toContain('BAD_USER_INPUT');
});

afterAll(async () => {
  await network?.stop();
});

describe('metrics at /metrics', () => {
  it('the gateway counts operations by name and outcome, errors by code, and times subgraph calls', async () => {
    const series = await scrape(network.gateway.url);
    expect(
      valueOf(series, 'coalition_graphql_requests_total', {
        operation: 'EarnForMetrics',
        type: 'mutation',
        outcome: 'ok',
        service: 'gateway',
      }),
    ).toBe(1);
    expect(
      valueOf(series, 'coalition_graphql_requests_total', { operation: 'E', outcome: 'rejected' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(series, 'coalition_graphql_errors_total', { code: 'BAD_USER_INPUT' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(series, 'coalition_graphql_request_duration_seconds_count', {
        operation: 'EarnForMetrics',
      }),
    ).toBe(1);
    expect(
      valueOf(series, 'coalition_subgraph_fetch_duration_seconds_count', {
        subgraph: 'member',
        outcome: 'ok',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(series, 'coalition_http_requests_total', { route: '/graphql', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(valueOf(series, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('the member service reports its operations, its pool, its expiry job and its outbox', async () => {
    const member = network.services.member.url;
    const series = await eventually(async () => {
      const scraped = await scrape(member);
      return (valueOf(scraped, 'coalition_job_runs_total', { job: 'expiry', outcome: 'ok' }) ?? 0) >
        0
        ? scraped
        : undefined;
    }, 15_000);
    expect(
      // The gateway names its call after the client's operation: <operation>__<subgraph>__<step>.
      valueOf(series, 'coalition_graphql_requests_total', {
        operation: 'EarnForMetrics__member__0',
        outcome: 'ok',
        service: 'member',
      }),
    ).toBe(1);
    expect(valueOf(series, 'coalition_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    expect(valueOf(series, 'coalition_db_pool_acquire_seconds_count')).toBeGreaterThan(0);
    expect(
      valueOf(series, 'coalition_job_last_success_timestamp_seconds', { job: 'expiry' }),
    ).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(valueOf(series, 'coalition_outbox_facts')).toBeGreaterThanOrEqual(1);
  });

  it('settlement reports how many facts its consumers applied and how far behind they are', async () => {
    const settlement = network.services.settlement.url;
    const series = await eventually(async () => {
      const scraped = await scrape(settlement);
      return (valueOf(scraped, 'coalition_feed_facts_applied_total', {
        consumer: 'member-feed',
      }) ?? 0) > 0
        ? scraped
        : undefined;
    }, 15_000);
    expect(valueOf(series, 'coalition_feed_consumer_up', { consumer: 'member-feed' })).toBe(1);
    expect(valueOf(series, 'coalition_feed_consumer_up', { consumer: 'partner-feed' })).toBe(1);
    expect(
      valueOf(series, 'coalition_feed_consumer_lag_facts', { consumer: 'member-feed' }),
    ).toBeGreaterThanOrEqual(0);
  });
});

describe('who may read /metrics', () => {
  let served: Listening[] = [];
  const serve = async (access: { token?: string; production: boolean }) => {
    const metrics = new ServiceMetrics('guarded');
    const app = createServiceApp(createLogger('guarded', 'silent'), async () => true, {
      metrics,
      access,
    });
    const listening = await listen(app, '127.0.0.1', 0);
    served.push(listening);
    return `http://127.0.0.1:${listening.port}`;
  };

  afterAll(async () => {
    await Promise.all(served.map((listening) => listening.close()));
    served = [];
  });

  it('with METRICS_TOKEN set, only a scraper sending it', async () => {
    const token = 'a-metrics-token-of-some-length';
    const base = await serve({ token, production: true });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${base}/metrics`, {
      headers: { authorization: 'Bearer a-metrics-token-of-some-lengtX' },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(token);
    const series = await scrape(base, token);
    expect(valueOf(series, 'process_cpu_seconds_total', { service: 'guarded' })).toBeDefined();
  });

  it('in production without METRICS_TOKEN, nobody, with a message that names the setting', async () => {
    const base = await serve({ production: true });
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'METRICS_TOKEN',
    );
  });
});
