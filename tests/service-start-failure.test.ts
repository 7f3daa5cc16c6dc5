import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnService } from '../shared/src/runtime/service-process';
import { keysDir } from './support/databases';

/**
 * A service that cannot start says why: the error of a failed start carries the service's last
 * lines, whether its output goes to a test's log or nowhere, not only its exit code.
 */
describe('a service that fails to start', () => {
  it.each(['ignore', () => undefined] as const)(
    'is reported with the lines it printed (output: %s)',
    async (output) => {
      const started = spawnService({
        name: 'member',
        entry: resolve('subgraphs/member/src/main.ts'),
        output,
        env: { JWT_KEYS_DIR: keysDir(), PORT: '0', DATABASE_URL: 'not-a-database-url' },
      });
      await expect(started).rejects.toThrow(
        /member exited before it was ready \(code 78, signal null\); its last lines:\n[\s\S]*DATABASE_URL=/,
      );
    },
  );
});
