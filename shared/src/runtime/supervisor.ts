import { limits } from '../limits';
import { spawnService, type ServiceProcess } from './service-process';

export interface SupervisorEvents {
  /** The service exited without being asked to; it starts again after `delayMs`. */
  onExit?: (service: string, how: string, delayMs: number) => void;
  onRestarted?: (service: ServiceProcess) => void;
  /** A restart attempt failed; another follows after a longer delay. */
  onRestartFailed?: (service: string, error: Error) => void;
}

/**
 * Keeps services running the way docker-compose's `restart: unless-stopped` does: a service that
 * exits (a crash, a SIGKILL, a SIGTERM it was not sent by us) starts again on the same port after a
 * backoff that doubles up to a ceiling and resets once it has stayed up a while. The others keep
 * running meanwhile, so earn and burn go on while partner-merchant or settlement is down (the
 * wallet needs neither), as the design promises.
 */
export class Supervisor {
  private stopping = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly services: readonly ServiceProcess[],
    private readonly events: SupervisorEvents = {},
  ) {
    for (const service of services) this.watch(service, 0);
  }

  /** Stops watching, then stops every service, last started first. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const service of [...this.services].reverse()) await service.stop();
  }

  private watch(service: ServiceProcess, failures: number): void {
    const startedAt = Date.now();
    service.child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const stayedUp = Date.now() - startedAt >= limits.serviceRestartResetMs;
      const attempt = stayedUp ? 0 : failures;
      const delayMs = Math.min(
        limits.serviceRestartBackoffMaxMs,
        limits.serviceRestartBackoffMs * 2 ** attempt,
      );
      this.events.onExit?.(service.name, signal ? `signal ${signal}` : `code ${code}`, delayMs);
      this.later(delayMs, () => this.restart(service, attempt + 1));
    });
  }

  private async restart(service: ServiceProcess, failures: number): Promise<void> {
    if (this.stopping) return;
    const options = {
      ...service.options,
      env: { ...service.options.env, PORT: String(service.port) },
    };
    try {
      const fresh = await spawnService(options);
      if (this.stopping) {
        await fresh.stop();
        return;
      }
      service.child = fresh.child;
      this.watch(service, failures);
      this.events.onRestarted?.(service);
    } catch (error) {
      this.events.onRestartFailed?.(service.name, error as Error);
      const delayMs = Math.min(
        limits.serviceRestartBackoffMaxMs,
        limits.serviceRestartBackoffMs * 2 ** failures,
      );
      this.later(delayMs, () => this.restart(service, failures + 1));
    }
  }

  private later(delayMs: number, work: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void work();
    }, delayMs);
    this.timers.add(timer);
  }
}
