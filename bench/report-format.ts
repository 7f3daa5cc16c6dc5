import type { CpuUsage } from './cpu';
import type { LoadResult } from './load';
import type { PhaseResult } from './report-model';

/** How BENCHMARKS.md writes numbers, tables and verdicts. */
export const f0 = (n: number) => n.toFixed(0);
export const f1 = (n: number) => n.toFixed(1);
export const f2 = (n: number) => n.toFixed(2);
export const f3 = (n: number) => n.toFixed(3);
export const pct = (n: number) => `${(n * 100).toFixed(0)}%`;
export const errorsOf = (r: LoadResult) => Object.values(r.errors).reduce((a, b) => a + b, 0);
export const table = (head: string[], rows: string[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
export const yes = (met: boolean) => (met ? '**met**' : '**not met**');
/** Share of the machine's CPU capacity that other processes used in a window. */
export const othersShare = (cpu: CpuUsage) =>
  cpu.wallMs > 0 ? cpu.other / (cpu.wallMs * cpu.cores) : 0;
/** Above this, a phase is marked as disturbed by other work. */
export const DISTURBED = 0.1;
export const mark = (p: PhaseResult) =>
  p.cpu && othersShare(p.cpu) > DISTURBED
    ? `, ⚠ others used ${pct(othersShare(p.cpu))} of the machine`
    : '';
