import { DataSource, type EntityManager } from 'typeorm';
import { assert } from '@coalition/shared/errors';
import { WalletErrorCode } from '../wallet/wallet.errors';
import { checksL6toL9 } from './hold-lot.checks';
import {
  checksL1toL5,
  type AuditCheck,
  type AuditParameters,
  type InvariantId,
} from './ledger-audit.checks';

export type { InvariantId } from './ledger-audit.checks';

/**
 * The ledger audit (docs/ledger.md, L1–L9) against a live member database: `npm run audit` runs it and
 * the suites run it after every scenario. Read-only; each check is one set-based statement.
 */

export const invariantTitles: Record<InvariantId, string> = {
  L1: 'transactions balance',
  L2: 'cached balances equal their postings',
  L3: 'no available balance below zero',
  L4: 'history is append-only',
  L5: 'one idempotency key, one effect; a receipt earns once',
  L6: 'a hold resolves at most once',
  L7: 'lots conserve, consumed oldest expiry first',
  L8: 'issuer attribution',
  L9: 'expiry is exact',
};

export const auditChecks: readonly AuditCheck[] = [...checksL1toL5, ...checksL6toL9];

const sampleSizeMax = 100;

export interface AuditOptions {
  /** When the last completed expiry run started. Without it, L9's "no expired lot holds points" is skipped. */
  expiryRunAt?: Date;
  /** Sample ids kept per violated check (default 10). */
  sampleSize?: number;
}

export interface Violation {
  invariant: InvariantId;
  check: string;
  /** For a human: what should hold, how often it does not, and the first example. */
  message: string;
  count: number;
  /** Up to sampleSize ids of violating rows (transaction, lot, hold, member, partner…), sorted. */
  sampleIds: string[];
  /** What is wrong with each sample, in the same order. */
  sampleDetails: string[];
}

export interface CheckOutcome {
  invariant: InvariantId;
  check: string;
  description: string;
  violations: number;
  /** Why it did not run; null when it ran. */
  skipped: string | null;
  durationMs: number;
}

export interface AuditReport {
  ok: boolean;
  /** The database time the audit read the ledger at. */
  asOf: Date;
  checks: CheckOutcome[];
  violations: Violation[];
}

/**
 * Audits the ledger. Given a DataSource, every check reads one REPEATABLE READ, READ ONLY snapshot,
 * so the report is consistent while the network keeps writing. Given an EntityManager, it runs in
 * the caller's transaction (and sees its uncommitted changes: the corruption tests rely on that).
 */
export async function auditLedger(
  source: EntityManager | DataSource,
  options: AuditOptions = {},
): Promise<AuditReport> {
  if (source instanceof DataSource) {
    return source.transaction('REPEATABLE READ', async (manager) => {
      await manager.query('SET TRANSACTION READ ONLY');
      return runChecks(manager, options);
    });
  }
  return runChecks(source, options);
}

async function runChecks(manager: EntityManager, options: AuditOptions): Promise<AuditReport> {
  const sampleSize = options.sampleSize ?? 10;
  assert(
    Number.isInteger(sampleSize) && sampleSize >= 1 && sampleSize <= sampleSizeMax,
    `sampleSize must be an integer in 1..${sampleSizeMax}`,
  );
  const clock: { now: Date }[] = await manager.query('SELECT ledger_now() AS now');
  const asOf = clock[0]?.now;
  assert(asOf instanceof Date, 'the database returned its clock');
  const parameters: AuditParameters = {
    asOf,
    expiryRunAt: options.expiryRunAt ?? null,
    outcomeCodes: Object.values(WalletErrorCode),
  };
  const checks: CheckOutcome[] = [];
  const violations: Violation[] = [];
  for (const check of auditChecks) {
    const skipped = check.skippedBecause?.(parameters);
    if (skipped) {
      checks.push({
        invariant: check.invariant,
        check: check.name,
        description: check.description,
        violations: 0,
        skipped,
        durationMs: 0,
      });
      continue;
    }
    const startedAt = performance.now();
    const found = await runCheck(manager, check, parameters, sampleSize);
    const durationMs = Math.round(performance.now() - startedAt);
    checks.push({
      invariant: check.invariant,
      check: check.name,
      description: check.description,
      violations: found?.count ?? 0,
      skipped: null,
      durationMs,
    });
    if (found) violations.push(found);
  }
  return { ok: violations.length === 0, asOf, checks, violations };
}

interface CheckRow {
  count: string;
  samples: { id: string | null; detail: string | null }[];
}

async function runCheck(
  manager: EntityManager,
  check: AuditCheck,
  parameters: AuditParameters,
  sampleSize: number,
): Promise<Violation | undefined> {
  const rows: CheckRow[] = await manager.query(
    `WITH violation AS MATERIALIZED (${check.sql})
     SELECT (SELECT count(*) FROM violation)::text AS count,
            coalesce((SELECT json_agg(json_build_object('id', id, 'detail', detail) ORDER BY id)
                        FROM (SELECT id, detail FROM violation ORDER BY id LIMIT ${sampleSize}) s), '[]'::json) AS samples`,
    check.params?.(parameters) ?? [],
  );
  const row = rows[0];
  assert(row, `audit check ${check.name} returned its count`);
  const count = Number(row.count);
  assert(count >= row.samples.length, `audit check ${check.name}: more samples than violations`);
  if (count === 0) return undefined;
  const sampleIds = row.samples.map((s) => s.id ?? '(null)');
  const sampleDetails = row.samples.map((s) => s.detail ?? '');
  const example = sampleDetails[0] ? `, e.g. ${sampleIds[0]}: ${sampleDetails[0]}` : '';
  return {
    invariant: check.invariant,
    check: check.name,
    message: `${check.description} — ${count} violation${count === 1 ? '' : 's'}${example}`,
    count,
    sampleIds,
    sampleDetails,
  };
}

/** The invariants a report found violated, sorted and without repeats. */
export const violatedInvariants = (report: AuditReport): InvariantId[] =>
  [...new Set(report.violations.map((v) => v.invariant))].sort();

/** A report as `npm run audit` prints it: one line per invariant, then each violation with its samples. */
export function formatReport(report: AuditReport): string {
  const lines = [`Ledger audit as of ${report.asOf.toISOString()}`];
  for (const invariant of Object.keys(invariantTitles) as InvariantId[]) {
    const checks = report.checks.filter((c) => c.invariant === invariant);
    const found = report.violations.filter((v) => v.invariant === invariant);
    const skipped = checks.filter((c) => c.skipped);
    const note =
      skipped.length > 0
        ? ` (skipped ${skipped.map((c) => `${c.check}: ${c.skipped}`).join('; ')})`
        : '';
    lines.push(
      `  ${invariant} ${found.length === 0 ? 'OK  ' : 'FAIL'} ${invariantTitles[invariant]}${note}`,
    );
    for (const violation of found) {
      lines.push(`       ${violation.check}: ${violation.message}`);
      violation.sampleIds.forEach((id, i) =>
        lines.push(`         ${id}  ${violation.sampleDetails[i] ?? ''}`),
      );
    }
  }
  const total = report.violations.reduce((sum, v) => sum + v.count, 0);
  lines.push(
    report.ok
      ? 'Clean: every invariant holds.'
      : `${total} violation${total === 1 ? '' : 's'} of ${violatedInvariants(report).join(', ')}.`,
  );
  return lines.join('\n');
}
