/**
 * Load shapes: closed loop (N clients, each sends its next request when the last one answered) for
 * throughput, and open loop (requests start on a fixed schedule whatever the answers do) for
 * latency at a given rate. Latencies in ms; percentiles from the sorted samples (hdr-histogram-js
 * is not a dependency, and a few hundred thousand doubles sort in milliseconds).
 */

/** Why an operation failed: its error code and, for the report, the message. */
export interface Failure {
  code: string;
  message?: string;
}

/** One operation (one request, or a hold + capture pair): undefined on success. */
export type Operation = () => Promise<Failure | undefined>;

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LoadResult {
  /** Operations that finished inside the measured window (open loop: that were scheduled inside it). */
  completed: number;
  succeeded: number;
  /** Failures inside the window, by code. */
  errors: Record<string, number>;
  /** Failures during warm-up, by code (not in the numbers, still reported). */
  warmupErrors: Record<string, number>;
  /** First message seen per error code, to say what went wrong. */
  errorSamples: Record<string, string>;
  windowMs: number;
  /** Successful operations per second over the window. */
  throughput: number;
  latency: Percentiles;
  /** Open loop only: the rate asked for, the rate started, and the most requests in flight at once. */
  targetRate?: number;
  startedRate?: number;
  inFlightMax?: number;
  /** The slowest successful operations: when they started (s after the window opened) and how long they took. */
  slowest: { atS: number; ms: number }[];
}

export function percentiles(samples: Float64Array | number[]): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) =>
    sorted.length === 0
      ? 0
      : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? 0 : sum / sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p95: at(0.95),
    p99: at(0.99),
    p999: at(0.999),
    max: sorted.length === 0 ? 0 : sorted[sorted.length - 1]!,
  };
}

class Tally {
  readonly latencies: number[] = [];
  readonly startedAt: number[] = [];
  completed = 0;
  succeeded = 0;
  readonly errors: Record<string, number> = {};
  readonly warmupErrors: Record<string, number> = {};
  readonly errorSamples: Record<string, string> = {};

  record(
    inWindow: boolean,
    code: string | undefined,
    latencyMs: number,
    message?: string,
    startedAt = 0,
  ): void {
    if (code !== undefined) {
      const bucket = inWindow ? this.errors : this.warmupErrors;
      bucket[code] = (bucket[code] ?? 0) + 1;
      this.errorSamples[code] ??= message ?? code;
    }
    if (!inWindow) return;
    this.completed += 1;
    if (code === undefined) {
      this.succeeded += 1;
      this.latencies.push(latencyMs);
      this.startedAt.push(startedAt);
    }
  }

  result(windowMs: number, windowOpen = 0): LoadResult {
    const order = this.latencies
      .map((_, i) => i)
      .sort((a, b) => this.latencies[b]! - this.latencies[a]!)
      .slice(0, 10);
    return {
      completed: this.completed,
      succeeded: this.succeeded,
      errors: this.errors,
      warmupErrors: this.warmupErrors,
      errorSamples: this.errorSamples,
      windowMs,
      throughput: (this.succeeded * 1000) / windowMs,
      latency: percentiles(this.latencies),
      slowest: order.map((i) => ({
        atS: (this.startedAt[i]! - windowOpen) / 1000,
        ms: this.latencies[i]!,
      })),
    };
  }
}

const now = () => performance.now();

/** Runs an operation, turning a thrown error into its code (e.g. a refused connection). */
async function attempt(operation: Operation): Promise<{ code?: string; message?: string }> {
  try {
    return (await operation()) ?? {};
  } catch (error) {
    const e = error as { code?: unknown; name?: string; message?: string };
    return { code: typeof e.code === 'string' ? e.code : (e.name ?? 'Error'), message: e.message };
  }
}

export interface ClosedLoopOptions {
  clients: number;
  warmupMs: number;
  durationMs: number;
  operation: Operation;
  /** Called when the measured window opens and closes (CPU accounting, pg_stat_statements). */
  onWindow?: (edge: 'open' | 'close') => void | Promise<void>;
}

/**
 * `clients` loops, each waiting for its answer before sending again. Operations that finish inside
 * the window count (throughput = completions per second of window, the way the CPU and database
 * counters over the same window are read); the ones in flight when it closes finish uncounted.
 */
export async function closedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const tally = new Tally();
  const start = now();
  const windowOpen = start + options.warmupMs;
  const windowClose = windowOpen + options.durationMs;
  let opened = false;
  const openTimer = setTimeout(() => {
    opened = true;
    void options.onWindow?.('open');
  }, options.warmupMs);
  const client = async () => {
    while (now() < windowClose) {
      const sentAt = now();
      const { code, message } = await attempt(options.operation);
      const doneAt = now();
      tally.record(
        doneAt >= windowOpen && doneAt <= windowClose,
        code,
        doneAt - sentAt,
        message,
        sentAt,
      );
    }
  };
  const closing = new Promise<void>((resolve) =>
    setTimeout(resolve, options.warmupMs + options.durationMs),
  );
  const clients = Promise.all(Array.from({ length: options.clients }, client));
  await closing;
  if (!opened) {
    clearTimeout(openTimer);
    await options.onWindow?.('open');
  }
  await options.onWindow?.('close');
  await clients;
  return tally.result(options.durationMs, windowOpen);
}

export interface OpenLoopOptions {
  ratePerSecond: number;
  warmupMs: number;
  durationMs: number;
  operation: Operation;
  onWindow?: (edge: 'open' | 'close') => void | Promise<void>;
}

/**
 * Starts requests on a fixed schedule (request i at start + i / rate), never waiting for answers.
 * Latency counts from the scheduled start, so a stall that delays later requests is charged to
 * them too (no coordinated omission).
 */
export async function openLoop(options: OpenLoopOptions): Promise<LoadResult> {
  const tally = new Tally();
  const intervalMs = 1000 / options.ratePerSecond;
  const start = now();
  const windowOpen = start + options.warmupMs;
  const windowClose = windowOpen + options.durationMs;
  let index = 0;
  let inFlight = 0;
  let inFlightMax = 0;
  let startedInWindow = 0;
  const pending = new Set<Promise<void>>();
  const launch = (scheduledAt: number) => {
    inFlight += 1;
    inFlightMax = Math.max(inFlightMax, inFlight);
    if (scheduledAt >= windowOpen) startedInWindow += 1;
    const done = attempt(options.operation).then(({ code, message }) => {
      inFlight -= 1;
      const doneAt = now();
      tally.record(
        scheduledAt >= windowOpen && scheduledAt < windowClose,
        code,
        doneAt - scheduledAt,
        message,
        scheduledAt,
      );
    });
    pending.add(done);
    void done.then(() => pending.delete(done));
  };
  let opened = false;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      if (!opened && t >= windowOpen) {
        opened = true;
        void options.onWindow?.('open');
      }
      for (
        let due = start + index * intervalMs;
        due <= t && due < windowClose;
        due = start + index * intervalMs
      ) {
        launch(due);
        index += 1;
      }
      if (start + index * intervalMs >= windowClose) return resolve();
      // setImmediate would spin a core the services need; a 1 ms timer is as fine as the schedule needs.
      setTimeout(tick, Math.max(0, Math.min(1, start + index * intervalMs - now())));
    };
    tick();
  });
  await options.onWindow?.('close');
  await Promise.all(pending);
  const result = tally.result(options.durationMs, windowOpen);
  return {
    ...result,
    targetRate: options.ratePerSecond,
    startedRate: (startedInWindow * 1000) / options.durationMs,
    inFlightMax,
  };
}
