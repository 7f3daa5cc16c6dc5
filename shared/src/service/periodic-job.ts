import type { Logger } from '../logger';
import type { JobStats, ObservedJob } from '../metrics/service-metrics';

/**
 * Runs a task every `intervalMs` inside a service (the wallet's expiry run, say), never two at
 * once; a failed round is logged and the next one tries again. Stopping waits for a running round.
 */
export class PeriodicJob implements ObservedJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly stats: JobStats;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly task: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {
    this.stats = { job: name, runs: 0, failures: 0, secondsTotal: 0, lastSuccessAt: 0 };
  }

  /** Rounds run and failed, and time spent, for the service's metrics. */
  jobStats(): JobStats {
    return { ...this.stats };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const startedAt = process.hrtime.bigint();
      this.running = this.task()
        .then(() => {
          this.stats.lastSuccessAt = Date.now() / 1000;
        })
        .catch((error: unknown) => {
          this.stats.failures += 1;
          this.logger.warn({ job: this.name, err: error }, 'periodic job failed');
        })
        .finally(() => {
          this.stats.runs += 1;
          this.stats.secondsTotal += Number(process.hrtime.bigint() - startedAt) / 1e9;
          this.running = undefined;
          this.schedule();
        });
    }, this.intervalMs);
  }
}
