import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { reapedChildrenCpuMs } from './cpu';

/** pgbench's built-in TPC-B-like script on the benchmark's Postgres: the baseline earn is compared with. */

export const PGBENCH = process.env.PGBENCH ?? '/usr/bin/pgbench';

export interface PgbenchResult {
  version: string;
  scale: number;
  clients: number;
  threads: number;
  durationS: number;
  tps: number;
  latencyAvgMs?: number;
  transactions?: number;
  failed?: number;
  initSeconds: number;
  /** pgbench's own CPU (the client), ms. */
  clientCpuMs: number;
  output: string;
}

export function pgbenchAvailable(): boolean {
  return existsSync(PGBENCH);
}

export const pgbenchInstallHint =
  `pgbench was not found at ${PGBENCH}. It ships with PostgreSQL's client tools; on Debian/Ubuntu: ` +
  '`apt-get install -y postgresql-client` (or `apt-get install -y postgresql-15`), or set PGBENCH=/path/to/pgbench. ' +
  'The run goes on without the baseline and without the earn / pgbench ratio.';

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PGBENCH, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(
            new Error(`pgbench ${args.join(' ')} exited with ${code}:\n${output.slice(-2000)}`),
          ),
    );
  });
}

export interface PgbenchOptions {
  port: number;
  user: string;
  password: string;
  database: string;
  scale: number;
  clients: number;
  threads: number;
  durationS: number;
  /** Called right before and after the timed run (CPU accounting). */
  onRun?: (edge: 'start' | 'end') => void;
}

export async function runPgbench(options: PgbenchOptions): Promise<PgbenchResult> {
  const env = { ...process.env, PGPASSWORD: options.password };
  const connection = ['-h', '127.0.0.1', '-p', String(options.port), '-U', options.user];
  const version = execFileSync(PGBENCH, ['--version'], { encoding: 'utf8' }).trim();
  const initStart = performance.now();
  await run(['-i', '-s', String(options.scale), '-q', ...connection, options.database], env);
  const initSeconds = (performance.now() - initStart) / 1000;
  const cpuBefore = reapedChildrenCpuMs();
  options.onRun?.('start');
  const output = await run(
    [
      '-c',
      String(options.clients),
      '-j',
      String(options.threads),
      '-T',
      String(options.durationS),
      ...connection,
      options.database,
    ],
    env,
  );
  options.onRun?.('end');
  const clientCpuMs = reapedChildrenCpuMs() - cpuBefore;
  const number = (pattern: RegExp) => {
    const match = pattern.exec(output);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  };
  const tps =
    number(/tps = ([\d.]+) \(without initial connection time\)/) ?? number(/tps = ([\d.]+)/);
  if (tps === undefined) throw new Error(`could not read tps from pgbench's output:\n${output}`);
  return {
    version,
    scale: options.scale,
    clients: options.clients,
    threads: options.threads,
    durationS: options.durationS,
    tps,
    latencyAvgMs: number(/latency average = ([\d.]+) ms/),
    transactions: number(/number of transactions actually processed: (\d+)/),
    failed: number(/number of failed transactions: (\d+)/),
    initSeconds,
    clientCpuMs,
    output,
  };
}
