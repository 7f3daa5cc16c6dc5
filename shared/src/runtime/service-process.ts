import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { limits } from '../limits';

/** Message a service sends its parent, over IPC, once it listens. */
export interface ReadyMessage {
  type: 'ready';
  service: string;
  port: number;
}

/**
 * Child side: tell a supervising parent (npm start, tests) that we listen, and on which port. The
 * channel stays open so the child hears when the parent is gone ('disconnect'), but it does not
 * keep the child alive on its own.
 */
export function announceReady(service: string, port: number): void {
  const message: ReadyMessage = { type: 'ready', service, port };
  process.send?.(message);
  process.channel?.unref();
}

export interface ServiceProcess {
  name: string;
  port: number;
  url: string;
  /** The running process; a supervisor that restarts the service replaces it. */
  child: ChildProcess;
  /** How it was started, so a supervisor can start it again the same way, on the same port. */
  options: SpawnOptions;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  entry: string;
  env: Record<string, string>;
  /** 'inherit' shows the service's logs; 'ignore' keeps a test run quiet; a function receives them. */
  output?: 'inherit' | 'ignore' | ((line: string) => void);
  readyTimeoutMs?: number;
  /**
   * A process group of its own, so Ctrl-C in a terminal reaches only the supervisor, which stops
   * the services in order (the gateway first, a feed's producer after its consumers).
   */
  ownProcessGroup?: boolean;
}

/** Starts a TypeScript service in its own Node process (through tsx) and waits for it to listen. */
export async function spawnService(options: SpawnOptions): Promise<ServiceProcess> {
  const output = options.output ?? 'inherit';
  // Unless the terminal shows it, what the service printed last is kept for a failed start.
  const stdio = output === 'inherit' ? 'inherit' : 'pipe';
  const child = spawn(process.execPath, ['--import', 'tsx', options.entry], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', stdio, stdio, 'ipc'],
    detached: options.ownProcessGroup ?? false,
  });
  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        if (typeof output === 'function') output(line);
        recent.push(line);
        if (recent.length > RECENT_LINES) recent.shift();
      }
    });
  }
  const port = await waitForReady(
    child,
    options.name,
    options.readyTimeoutMs ?? limits.serviceReadyTimeoutMs,
  ).catch((error: Error) => {
    // Say why: a start that fails names its cause in the service's last lines, not only its exit code.
    const said = recent.length > 0 ? `; its last lines:\n${recent.join('\n')}` : '';
    throw new Error(`${error.message}${said}`, { cause: error });
  });
  recent.length = 0;
  // The channel stays open (the child stops when it closes, i.e. when this process is gone) but
  // does not keep this process alive.
  child.channel?.unref();
  const service: ServiceProcess = {
    name: options.name,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    options,
    stop: (signal = 'SIGTERM') => stopProcess(service.child, signal),
  };
  return service;
}

/** Lines of a service's output kept for the error of a start that fails. */
const RECENT_LINES = 20;

function waitForReady(child: ChildProcess, name: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not become ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (message: ReadyMessage) => {
      if (message?.type !== 'ready') return;
      clearTimeout(timer);
      resolve(message.port);
    });
    // 'close', not 'exit': by then the last lines it printed have been read.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
}

export async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), limits.shutdownGraceMs);
  await exited;
  clearTimeout(timer);
}
