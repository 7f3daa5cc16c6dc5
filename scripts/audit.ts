/**
 * npm run audit [-- --expiry-run-at <ISO time>]
 * Checks the ledger invariants (docs/ledger.md, L1–L9) against the member database: DATABASE_URL_MEMBER,
 * else DATABASE_URL, else npm start's (embedded Postgres on 54320). Read-only.
 * Exit codes: 0 clean, 1 a violation, 2 the database cannot be reached or is not a member database.
 */
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import {
  auditLedger,
  formatReport,
  type AuditReport,
} from '../subgraphs/member/src/modules/audit/ledger-audit';

const defaultUrl = 'postgres://postgres:postgres@127.0.0.1:54320/coalition_member';
const connectTimeoutMs = 5_000;
const usage = 'usage: npm run audit [-- --expiry-run-at <ISO time>]';

/** The URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

function expiryRunAtFrom(argv: string[]): Date | undefined {
  const { values } = parseArgs({ args: argv, options: { 'expiry-run-at': { type: 'string' } } });
  const raw = values['expiry-run-at'];
  if (raw === undefined) return undefined;
  const at = new Date(raw);
  if (Number.isNaN(at.getTime())) throw new Error(`--expiry-run-at "${raw}" is not a time`);
  return at;
}

async function audit(url: string, expiryRunAt: Date | undefined): Promise<AuditReport | string> {
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    parseInt8: false,
    poolSize: 1,
    connectTimeoutMS: connectTimeoutMs,
    applicationName: 'coalition-audit',
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    return `cannot connect: ${(error as Error).message}`;
  }
  try {
    const tables: { present: boolean }[] = await dataSource.query(
      "SELECT to_regclass('ledger_transaction') IS NOT NULL AS present",
    );
    if (!tables[0]?.present) return 'no wallet ledger here (is this the migrated member database?)';
    return await auditLedger(dataSource, expiryRunAt ? { expiryRunAt } : {});
  } finally {
    await dataSource.destroy();
  }
}

async function main(): Promise<number> {
  let expiryRunAt: Date | undefined;
  try {
    expiryRunAt = expiryRunAtFrom(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  const url = process.env.DATABASE_URL_MEMBER || process.env.DATABASE_URL || defaultUrl;
  console.log(`Auditing ${redacted(url)}`);
  const result = await audit(url, expiryRunAt);
  if (typeof result === 'string') {
    console.error(`Cannot audit ${redacted(url)}: ${result}`);
    return 2;
  }
  console.log(formatReport(result));
  return result.ok ? 0 : 1;
}

process.exitCode = await main();
