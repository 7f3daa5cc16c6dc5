import { DataSource } from 'typeorm';
import { expect } from 'vitest';
import {
  auditLedger,
  formatReport,
  type AuditOptions,
  type AuditReport,
} from '../../subgraphs/member/src/modules/audit/ledger-audit';

/** A small connection to a member database, for audits and for reading the ledger in assertions. */
export async function connectMemberDatabase(memberDatabaseUrl: string): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'postgres',
    url: memberDatabaseUrl,
    parseInt8: false,
    poolSize: 2,
    applicationName: 'test-audit',
  });
  return dataSource.initialize();
}

/** Runs the ledger audit (docs/ledger.md, L1–L9) against a member database. */
export async function auditMemberDatabase(
  memberDatabaseUrl: string,
  options: AuditOptions = {},
): Promise<AuditReport> {
  const dataSource = await connectMemberDatabase(memberDatabaseUrl);
  try {
    return await auditLedger(dataSource, options);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Fails the test, printing every violation with its samples, unless the ledger passes the audit.
 * Suites call it after each scenario with `network.databaseUrls.member`.
 */
export async function expectLedgerClean(
  memberDatabaseUrl: string,
  options: AuditOptions = {},
): Promise<AuditReport> {
  const report = await auditMemberDatabase(memberDatabaseUrl, options);
  expect(report.ok, formatReport(report)).toBe(true);
  return report;
}
