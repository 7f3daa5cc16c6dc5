/**
 * Keeps the observability profile true to the code, without Docker: Prometheus scrapes every
 * service of the topology with the token the services are given, every PromQL expression in the
 * dashboard and the alerts parses, names only metrics the services export, and every metric the
 * services export is on the dashboard.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { repoRoot } from '../gateway/src/compose';
import { ServiceMetrics } from '../shared/src/metrics/service-metrics';
import { gatewayDefaultPort, subgraphs } from '../shared/src/topology';

const readYaml = (path: string): unknown =>
  parse(readFileSync(join(repoRoot, path), 'utf8'), { merge: true });

const compose = z
  .object({
    services: z.record(
      z.string(),
      z
        .object({
          environment: z.record(z.string(), z.unknown()).optional(),
          volumes: z.array(z.string()).optional(),
          profiles: z.array(z.string()).optional(),
          ports: z.array(z.string()).optional(),
        })
        .loose(),
    ),
  })
  .loose()
  .parse(readYaml('docker-compose.yml'));

const prometheus = z
  .object({
    rule_files: z.array(z.string()),
    scrape_configs: z.array(
      z.object({
        job_name: z.string(),
        metrics_path: z.string(),
        authorization: z.object({ type: z.literal('Bearer'), credentials: z.string() }),
        static_configs: z.array(z.object({ targets: z.array(z.string()) })),
      }),
    ),
  })
  .parse(readYaml('docker/prometheus/prometheus.yml'));

const alerts = z
  .object({
    groups: z.array(
      z.object({
        name: z.string(),
        rules: z.array(z.object({ alert: z.string(), expr: z.string() }).loose()),
      }),
    ),
  })
  .parse(readYaml('docker/prometheus/alerts.yml'));

const dashboard = z
  .object({
    uid: z.string(),
    panels: z.array(
      z
        .object({
          type: z.string(),
          title: z.string(),
          datasource: z.object({ uid: z.string() }).optional(),
          targets: z.array(z.object({ expr: z.string() })).optional(),
        })
        .loose(),
    ),
  })
  .parse(
    JSON.parse(readFileSync(join(repoRoot, 'docker/grafana/dashboards/coalition.json'), 'utf8')),
  );

const datasources = z
  .object({ datasources: z.array(z.object({ uid: z.string(), url: z.string() }).loose()) })
  .parse(readYaml('docker/grafana/provisioning/datasources/prometheus.yml'));

const dashboardProviders = z
  .object({ providers: z.array(z.object({ options: z.object({ path: z.string() }) }).loose()) })
  .parse(readYaml('docker/grafana/provisioning/dashboards/coalition.yml'));

const appServices = [
  ...subgraphs.map((subgraph) => ({ name: subgraph.name, port: subgraph.defaultPort })),
  { name: 'gateway', port: gatewayDefaultPort },
];

/** Every series name a service can export: its families, and a histogram's _bucket, _sum and _count. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = new ServiceMetrics('names');
  const names = new Set<string>();
  for (const family of await metrics.registry.getMetricsAsJSON()) {
    names.add(family.name);
    if (String(family.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${family.name}${suffix}`);
  }
  return names;
}

/** The metric names a PromQL expression selects; throws where it does not parse. */
function selectedMetrics(expr: string): string[] {
  const names: string[] = [];
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector')
        names.push(expr.slice(node.from, node.to));
    },
  });
  if (errors.length > 0) throw new Error(`PromQL does not parse at ${errors[0]}: ${expr}`);
  return names;
}

const dashboardExprs = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({ where: panel.title, expr: target.expr })),
);
const alertExprs = alerts.groups.flatMap((group) =>
  group.rules.map((rule) => ({ where: rule.alert, expr: rule.expr })),
);

describe('Prometheus in the observability profile', () => {
  it('scrapes /metrics on the gateway and every subgraph, by compose service name and port', () => {
    const [job] = prometheus.scrape_configs;
    expect(prometheus.scrape_configs).toHaveLength(1);
    expect(job!.metrics_path).toBe('/metrics');
    const targets = job!.static_configs.flatMap((config) => config.targets).sort();
    expect(targets).toEqual(appServices.map(({ name, port }) => `${name}:${port}`).sort());
    for (const { name } of appServices) expect(compose.services[name], name).toBeDefined();
  });

  it('sends the METRICS_TOKEN every service is given', () => {
    const credentials = prometheus.scrape_configs[0]!.authorization.credentials;
    for (const { name } of appServices)
      expect(compose.services[name]!.environment?.METRICS_TOKEN, name).toBe(credentials);
    expect(credentials.length).toBeGreaterThanOrEqual(16);
  });

  it('loads the alert rules it mounts, and every alert expression parses and names exported metrics', async () => {
    const mounts = compose.services.prometheus!.volumes ?? [];
    for (const file of prometheus.rule_files)
      expect(
        mounts.some((mount) => mount.endsWith(`:${file}:ro`)),
        file,
      ).toBe(true);
    const exported = await exportedNames();
    expect(alertExprs.length).toBeGreaterThan(0);
    for (const { where, expr } of alertExprs)
      for (const name of selectedMetrics(expr))
        expect(exported, `${where}: ${name}`).toContain(name);
  });

  it('runs only with its profile, published on loopback', () => {
    for (const name of ['prometheus', 'grafana']) {
      expect(compose.services[name]!.profiles).toEqual(['observability']);
      for (const port of compose.services[name]!.ports ?? [])
        expect(port).toMatch(/^127\.0\.0\.1:/);
    }
  });
});

describe('the Grafana dashboard', () => {
  it('reads the provisioned Prometheus data source, at the compose service', () => {
    const [source] = datasources.datasources;
    expect(source!.url).toBe('http://prometheus:9090');
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row'))
      expect(panel.datasource?.uid, panel.title).toBe(source!.uid);
  });

  it('is provisioned from the directory compose mounts it in', () => {
    const path = dashboardProviders.providers[0]!.options.path;
    const mounts = compose.services.grafana!.volumes ?? [];
    expect(mounts).toContain(`./docker/grafana/dashboards:${path}:ro`);
  });

  it('has PromQL that parses and selects only metrics the services export', async () => {
    const exported = await exportedNames();
    expect(dashboardExprs.length).toBeGreaterThan(10);
    for (const { where, expr } of dashboardExprs)
      for (const name of selectedMetrics(expr))
        expect(exported, `${where}: ${name}`).toContain(name);
  });

  it('shows every coalition_ metric the services export', async () => {
    const shown = new Set(dashboardExprs.flatMap(({ expr }) => selectedMetrics(expr)));
    const families = (await new ServiceMetrics('names').registry.getMetricsAsJSON())
      .map((family) => family.name)
      .filter((name) => name.startsWith('coalition_'));
    for (const family of families)
      expect(
        [...shown].some((name) => name === family || name.startsWith(`${family}_`)),
        family,
      ).toBe(true);
  });

  it('catches PromQL that does not parse', () => {
    expect(() => selectedMetrics('sum by (service (rate(')).toThrow(/does not parse/);
  });
});
