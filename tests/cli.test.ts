import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keysDir } from './support/databases';
import { freePort } from './support/free-port';

/** The commands as a user runs them: `npm run -s <name> -- args`, in a process of their own. */
function npmRun(name: string, args: string[], env: Record<string, string | undefined> = {}) {
  const run = spawnSync('npm', ['run', '-s', name, '--', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const nowhere = mkdtempSync(join(tmpdir(), 'no-network-'));
// Nothing listens on `closed`; COALITION_DATA_DIR points at an empty directory (no network.json).
let closed = 0;
const unreachableNetwork = () => ({
  COALITION_DATA_DIR: nowhere,
  JWT_KEYS_DIR: undefined as string | undefined,
  GATEWAY_URL: `http://127.0.0.1:${closed}`,
  POSTGRES_PORT: String(closed),
  DATABASE_URL_MEMBER: undefined as string | undefined,
});
beforeAll(async () => {
  closed = await freePort();
});

describe('the command line', () => {
  it.each([
    ['token', 'npm run -s token -- --role'],
    ['settle', 'npm run settle -- <command>'],
    ['demo', 'npm run demo'],
    ['audit', 'npm run audit'],
    ['expire', 'npm run expire'],
  ])('npm run %s -- --help prints its help and exits 0', (name, usage) => {
    const run = npmRun(name, ['--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(usage);
    expect(run.stdout).toMatch(/Exit codes:/);
  });

  it('names the gateway it cannot reach, and where that address came from', () => {
    const run = npmRun('settle', ['nets'], { ...unreachableNetwork(), JWT_KEYS_DIR: keysDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `Cannot reach the gateway http://127.0.0.1:${closed} (GATEWAY_URL)`,
    );
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('accepts GATEWAY_URL with or without /graphql: one gateway, one form', () => {
    const run = npmRun('settle', ['nets'], {
      ...unreachableNetwork(),
      JWT_KEYS_DIR: keysDir(),
      GATEWAY_URL: `http://127.0.0.1:${closed}/graphql`,
    });
    expect(run.stderr).toContain(
      `Cannot reach the gateway http://127.0.0.1:${closed} (GATEWAY_URL)`,
    );
  });

  it.each(['audit', 'expire'])(
    'npm run %s names the member database it cannot reach, without its password',
    (name) => {
      const run = npmRun(name, [], unreachableNetwork());
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`postgres://postgres:***@127.0.0.1:${closed}/coalition_member`);
      expect(run.stderr).toContain('npm start');
      expect(run.stderr).not.toMatch(/^\s+at /m);
    },
  );

  it('looks for the signing key where COALITION_DATA_DIR says, and says so when there is none', () => {
    const run = npmRun('token', ['--role', 'operator'], unreachableNetwork());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(join(nowhere, 'keys'));
  });

  it('refuses bad usage with the reason and the help', () => {
    const run = npmRun('token', ['--role', 'wizard'], { JWT_KEYS_DIR: keysDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown role "wizard"');
    expect(run.stderr).toContain('--role ROLE');
  });
});
