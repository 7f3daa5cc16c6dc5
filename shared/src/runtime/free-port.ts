import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A free port for a server whose port must be known before it listens: Postgres (it cannot listen
 * on port 0 and report back), or the member service, whose port the partner service is told.
 *
 * It is chosen below the kernel's ephemeral range. A port from `listen(0)` comes from that range,
 * and between choosing it and the server listening on it (initdb alone takes seconds) any other
 * `listen(0)` on the machine, from this process or another, may be handed the same port: that race
 * was CI's "Unknown Error: undefined". Below the range only explicit choices like this one compete;
 * `startEmbeddedPostgres` retries such a collision with another port.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralPortRange();
  const low = 20_000;
  const high = Math.max(low + 1_000, ephemeralLow);
  for (let attempt = 0; attempt < 1_000; attempt += 1) {
    const port = randomInt(low, high);
    if (await canListen(port)) return port;
  }
  throw new Error(`No free port between ${low} and ${high}`);
}

function ephemeralPortRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high) return [low, high];
  } catch {
    // Not Linux: the IANA dynamic range, which macOS and Windows use.
  }
  return [49_152, 65_535];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
