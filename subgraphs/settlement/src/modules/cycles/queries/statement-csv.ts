import { formatMicros } from '../../journal/money';
import type { Statement } from './statements.service';

const csvField = (value: string) =>
  /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;

/** What a statement's CSV shows beside ids: the cycles' numbers and the party's name. */
export interface StatementNames {
  cycleNumber: number | null;
  partyName: string;
  /** The number of each cycle a line reverses into (original_cycle). */
  cycleNumbers: ReadonlyMap<string, number | null>;
}

/** A statement as CSV: one row per line, then a TOTAL row per currency. */
export function statementCsv(statement: Statement, names: StatementNames): string {
  const cycle = String(names.cycleNumber ?? '');
  const rows = [
    [
      'cycle',
      'party',
      'party_name',
      'currency',
      'line',
      'kind',
      'original_cycle',
      'original_cycle_number',
      'entries',
      'points',
      'exact_amount_minor',
      'amount_minor',
    ],
  ];
  for (const l of statement.lines) {
    rows.push([
      cycle,
      statement.party,
      names.partyName,
      l.currency,
      String(l.lineNo),
      l.kind,
      l.originalCycleId ?? '',
      l.originalCycleId ? String(names.cycleNumbers.get(l.originalCycleId) ?? '') : '',
      String(l.entries),
      l.points.toString(),
      formatMicros(l.exactMicros),
      l.amount.toString(),
    ]);
  }
  for (const t of statement.totals) {
    rows.push([
      cycle,
      statement.party,
      names.partyName,
      t.currency,
      '',
      'TOTAL',
      '',
      '',
      String(t.entries),
      '',
      '',
      t.net.toString(),
    ]);
  }
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}
