import { spawn, type ChildProcess } from 'node:child_process';

/** `npm start` run as a user runs it, in its own process group, with its output kept. */
export interface NpmStart {
  child: ChildProcess;
  output: string[];
  /** The gateway's base URL, as npm start printed it. */
  gatewayUrl: string;
}

/**
 * Starts `npm start` on a data directory and a PostgreSQL port of the caller's, services on free
 * ports, and waits for it to print the gateway's URL.
 */
export async function npmStart(dataDir: string, postgresPort: number): Promise<NpmStart> {
  const child = spawn('npm', ['start'], {
    env: {
      ...process.env,
      COALITION_DATA_DIR: dataDir,
      POSTGRES_PORT: String(postgresPort),
      COALITION_PORTS: 'ephemeral',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  const gatewayUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start printed no gateway URL in 90 s:\n${output.join('')}`)),
      90_000,
    );
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const match = /Gateway\s+(http:\/\/\S+)\/graphql/.exec(output.join(''));
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output.join('')}`));
    });
  });
  return { child, output, gatewayUrl };
}

/**
 * Ctrl-C in a terminal: SIGINT to the whole process group. Resolves with everything npm start
 * printed once it says it has stopped (services and PostgreSQL), or after 30 s.
 */
export async function ctrlC(started: NpmStart): Promise<string> {
  process.kill(-started.child.pid!, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (!started.output.join('').includes('Stopped.') && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  return started.output.join('');
}
