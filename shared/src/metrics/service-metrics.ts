import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LabelGuard } from './label-guard';

/** What a periodic job tells about itself (shared/src/service/periodic-job.ts). */
export interface JobStats {
  job: string;
  runs: number;
  failures: number;
  secondsTotal: number;
  /** Unix seconds of the last round that succeeded; 0 before the first. */
  lastSuccessAt: number;
}

/** What a feed consumer tells about itself (shared/src/feed/consumer.ts). */
export interface ConsumerStats {
  consumer: string;
  applied: number;
  /** Facts the producer had beyond the consumer's last page (a lower bound past the producer's cap). */
  lag: number;
  healthy: boolean;
}

export interface ObservedJob {
  jobStats(): JobStats;
}

export interface ObservedConsumer {
  consumerStats(): ConsumerStats;
}

/** A connection pool as pg's Pool reports it. */
export interface PoolState {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** Latency buckets in seconds: an earn is a few ms, a settlement close can take seconds. */
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One service's metrics, in a registry of its own (tests run several services in one process, and
 * each must answer /metrics for itself). Every series carries `service`. Named `coalition_*`, with
 * Node's own process metrics beside them; docs/operations.md lists them all.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly operations = new LabelGuard(200);
  private readonly jobs: ObservedJob[] = [];
  private readonly consumers: ObservedConsumer[] = [];
  private pool: (() => PoolState | undefined) | undefined;
  private outbox: (() => Promise<number>) | undefined;

  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly graphqlRequests: Counter<'operation' | 'type' | 'outcome'>;
  readonly graphqlDuration: Histogram<'operation' | 'type' | 'outcome'>;
  readonly graphqlErrors: Counter<'code'>;
  readonly dbAcquireWait: Histogram;
  readonly subgraphFetchDuration: Histogram<'subgraph' | 'outcome'>;
  readonly rateLimited: Counter<'kind'>;

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'coalition_http_requests_total',
      help: 'HTTP requests answered, by route and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'coalition_http_request_duration_seconds',
      help: 'Time from a request arriving to its answer being sent, by route.',
      labelNames: ['method', 'route'],
      buckets: latencyBuckets,
      registers,
    });
    this.graphqlRequests = new Counter({
      name: 'coalition_graphql_requests_total',
      help: 'GraphQL operations, by operation name, type and outcome (ok, error, rejected).',
      labelNames: ['operation', 'type', 'outcome'],
      registers,
    });
    this.graphqlDuration = new Histogram({
      name: 'coalition_graphql_request_duration_seconds',
      help: 'GraphQL operation latency, by operation name, type and outcome.',
      labelNames: ['operation', 'type', 'outcome'],
      buckets: latencyBuckets,
      registers,
    });
    this.graphqlErrors = new Counter({
      name: 'coalition_graphql_errors_total',
      help: 'GraphQL errors answered, by error code (BAD_USER_INPUT, FORBIDDEN, INTERNAL_SERVER_ERROR…).',
      labelNames: ['code'],
      registers,
    });
    this.dbAcquireWait = new Histogram({
      name: 'coalition_db_pool_acquire_seconds',
      help: 'Time a query waited for a database connection from the pool.',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.subgraphFetchDuration = new Histogram({
      name: 'coalition_subgraph_fetch_duration_seconds',
      help: "The gateway's calls to subgraphs, by subgraph and outcome (ok, http_error, timeout, failed).",
      labelNames: ['subgraph', 'outcome'],
      buckets: latencyBuckets,
      registers,
    });
    this.rateLimited = new Counter({
      name: 'coalition_rate_limited_total',
      help: 'Requests refused by a rate limit or a token lockout, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.registerPoolGauges();
    this.registerOutboxGauge();
    this.registerJobMetrics();
    this.registerConsumerMetrics();
  }

  /** An operation name as a label value: bounded, so callers cannot grow the registry. */
  operationLabel(name: string | null | undefined): string {
    return this.operations.value(name);
  }

  watchPool(state: () => PoolState | undefined): void {
    this.pool = state;
  }

  /** Jobs and feed consumers among a service's background tasks report at every scrape. */
  watchBackground(tasks: readonly object[]): void {
    for (const task of tasks) {
      if ('jobStats' in task) this.jobs.push(task as ObservedJob);
      if ('consumerStats' in task) this.consumers.push(task as ObservedConsumer);
    }
  }

  /** The size of the outbox a producer serves as its feed, read from its database at scrape time. */
  watchOutbox(read: () => Promise<number>): void {
    this.outbox = read;
  }

  private registerPoolGauges(): void {
    const pool = () => this.pool?.();
    new Gauge({
      name: 'coalition_db_pool_connections',
      help: "Database connections in the service's pool: total, idle, and queries waiting for one.",
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const state = pool();
        if (!state) return;
        this.set({ state: 'total' }, state.totalCount);
        this.set({ state: 'idle' }, state.idleCount);
        this.set({ state: 'waiting' }, state.waitingCount);
      },
    });
  }

  private registerOutboxGauge(): void {
    const read = () => this.outbox?.();
    new Gauge({
      name: 'coalition_outbox_facts',
      help: "Facts the service's feed holds (its outbox's highest sequence number); consumers' lag counts against it.",
      registers: [this.registry],
      async collect() {
        const facts = await read();
        if (facts !== undefined) this.set(facts);
      },
    });
  }

  private registerJobMetrics(): void {
    const stats = () => this.jobs.map((job) => job.jobStats());
    const registers = [this.registry];
    new Counter({
      name: 'coalition_job_runs_total',
      help: 'Rounds of periodic jobs (expiry, schedules, reward retries), by job and outcome.',
      labelNames: ['job', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const job of stats()) {
          this.inc({ job: job.job, outcome: 'ok' }, job.runs - job.failures);
          this.inc({ job: job.job, outcome: 'failed' }, job.failures);
        }
      },
    });
    new Counter({
      name: 'coalition_job_seconds_total',
      help: 'Time spent in rounds of periodic jobs, by job.',
      labelNames: ['job'],
      registers,
      collect() {
        this.reset();
        for (const job of stats()) this.inc({ job: job.job }, job.secondsTotal);
      },
    });
    new Gauge({
      name: 'coalition_job_last_success_timestamp_seconds',
      help: 'When a periodic job last finished a round without error (Unix seconds; 0: never yet).',
      labelNames: ['job'],
      registers,
      collect() {
        for (const job of stats()) this.set({ job: job.job }, job.lastSuccessAt);
      },
    });
  }

  private registerConsumerMetrics(): void {
    const stats = () => this.consumers.map((consumer) => consumer.consumerStats());
    const registers = [this.registry];
    new Gauge({
      name: 'coalition_feed_consumer_lag_facts',
      help: "Facts in the producer's feed beyond what the consumer has applied, as of its last read.",
      labelNames: ['consumer'],
      registers,
      collect() {
        for (const consumer of stats()) this.set({ consumer: consumer.consumer }, consumer.lag);
      },
    });
    new Counter({
      name: 'coalition_feed_facts_applied_total',
      help: 'Facts a feed consumer applied since the service started.',
      labelNames: ['consumer'],
      registers,
      collect() {
        this.reset();
        for (const consumer of stats()) this.inc({ consumer: consumer.consumer }, consumer.applied);
      },
    });
    new Gauge({
      name: 'coalition_feed_consumer_up',
      help: "1 when a feed consumer's last round succeeded, 0 when it failed or stopped at a fact it cannot read.",
      labelNames: ['consumer'],
      registers,
      collect() {
        for (const consumer of stats())
          this.set({ consumer: consumer.consumer }, consumer.healthy ? 1 : 0);
      },
    });
  }
}
