import { formatMicros } from '../../journal/money';
import type { Statement } from './statements.service';

const csvField = (value: string) =>
  /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;

/** A statement as CSV: one row per line, then a TOTAL row per currency. */
export function statementCsv(statement: Statement, cycleNumber: number | null): string {
  const rows = [
    [
      'cycle',
      'party',
      'currency',
      'line',
      'kind',
      'original_cycle',
      'entries',
      'points',
      'exact_amount_minor',
      'amount_minor',
    ],
  ];
  for (const l of statement.lines) {
    rows.push([
      String(cycleNumber ?? ''),
      statement.party,
      l.currency,
      String(l.lineNo),
      l.kind,
      l.originalCycleId ?? '',
      String(l.entries),
      l.points.toString(),
      formatMicros(l.exactMicros),
      l.amount.toString(),
    ]);
  }
  for (const t of statement.totals) {
    rows.push([
      String(cycleNumber ?? ''),
      statement.party,
      t.currency,
      '',
      'TOTAL',
      '',
      String(t.entries),
      '',
      '',
      t.net.toString(),
    ]);
  }
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}
