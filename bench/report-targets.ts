import type { BenchReport, PhaseResult } from './report-model';
import { errorsOf, f0, f1, mark, pct, yes } from './report-format';

/** The targets against this run, one row each, with the federation's floor for scale. */
export function targetRows(report: BenchReport): string[][] {
  const { phases } = report;
  const group = (g: PhaseResult['group']) => phases.filter((p) => p.group === g);
  const spread = group('earn-spread');
  const hot = group('earn-hot');
  const peak = spread.reduce<PhaseResult | undefined>(
    (best, p) => (!best || p.result.throughput > best.result.throughput ? p : best),
    undefined,
  );
  const open = phases.find((p) => p.id === 'earn-open-half');
  const targetRows: string[][] = [];
  if (peak && report.pgbench) {
    const ratio = peak.result.throughput / report.pgbench.tps;
    targetRows.push([
      'earn through the gateway ≥ 50% of pgbench TPC-B TPS',
      `${f0(peak.result.throughput)} earn/s (${peak.clients} clients${mark(peak)}) / ${f0(report.pgbench.tps)} tps = **${pct(ratio)}**`,
      yes(ratio >= 0.5),
    ]);
  } else if (peak) {
    targetRows.push([
      'earn through the gateway ≥ 50% of pgbench TPC-B TPS',
      `${f0(peak.result.throughput)} earn/s; no pgbench, no ratio`,
      'not measured',
    ]);
  }
  const floorRead = group('floor').find((p) => p.id.startsWith('floor-member-read'));
  if (floorRead && report.pgbench) {
    const ratio = floorRead.result.throughput / report.pgbench.tps;
    targetRows.push([
      '… for scale, not a target: the cheapest request through the federation (one member by id, one SELECT)',
      `${f0(floorRead.result.throughput)} req/s (${floorRead.clients} clients${mark(floorRead)}) / ${f0(report.pgbench.tps)} tps = **${pct(ratio)}**`,
      'the ceiling of any earn here',
    ]);
  }
  for (const h of hot) {
    const s = spread.find((p) => p.clients === h.clients);
    if (!s) continue;
    const ratio = h.result.throughput / s.result.throughput;
    targetRows.push([
      `one hot partner ≥ 90% of spread over ${report.setup.partners} (${h.clients} clients)`,
      `${f0(h.result.throughput)}${mark(h)} / ${f0(s.result.throughput)}${mark(s)} earn/s = **${pct(ratio)}**`,
      yes(ratio >= 0.9),
    ]);
  }
  if (open) {
    targetRows.push([
      'p99 earn latency at half of peak ≤ 25 ms',
      `**${f1(open.result.latency.p99)} ms** at ${f0(open.rate ?? 0)} earn/s${mark(open)} (p50 ${f1(open.result.latency.p50)}, p95 ${f1(open.result.latency.p95)})`,
      yes(open.result.latency.p99 <= 25),
    ]);
  }
  const measured = phases.filter((p) => p.group !== 'profile');
  const totalErrors = measured.reduce((sum, p) => sum + errorsOf(p.result), 0);
  targetRows.push([
    'no errors',
    `${totalErrors} errors in the measured windows`,
    yes(totalErrors === 0),
  ]);
  return targetRows;
}
