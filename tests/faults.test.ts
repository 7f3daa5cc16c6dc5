import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * `npm run faults` (bench/faults.ts) in small: two services killed and one immediate Postgres stop
 * under load, and its checks must pass. The full run (20 kills, 3 stops) is recorded in
 * BENCHMARKS.md; this keeps the script working.
 */
describe('npm run faults', () => {
  it('loses and doubles nothing acknowledged through kills and a Postgres crash', async () => {
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'bench/faults.ts'],
        {
          env: { ...process.env, FAULT_KILLS: '2', FAULT_PG_STOPS: '1', FAULT_CONCURRENCY: '4' },
          timeout: 280_000,
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error.code as number | undefined) ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/2 SIGKILLs .*, 1 immediate Postgres stops/);
    expect(stdout).toContain('| every acknowledged operation in the ledger exactly once | yes |');
    expect(stdout).toContain('| ledger audit clean | yes |');
    expect(stdout).toContain("| settlement's intake matches the member feed | yes |");
    expect(stdout).toMatch(/\| load \| 4 clients, [1-9]\d* operations acknowledged/);
  }, 300_000);
});
