/**
 * npm run audit: checks the ledger invariants L1–L9 (docs/ledger.md) against the member database. Read-only.
 */
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import {
  auditLedger,
  formatReport,
  type AuditReport,
} from '../subgraphs/member/src/modules/audit/ledger-audit';
import { runCommand, UsageError } from './cli/command';
import { networkSettings, redacted } from './cli/network-settings';

const connectTimeoutMs = 5_000;
const help = `
npm run audit [-- --expiry-run-at <ISO time>]

Checks the ledger's invariants L1–L9 (docs/ledger.md) against the member database of the network
npm start runs (COALITION_DATA_DIR, POSTGRES_PORT), or DATABASE_URL_MEMBER. Read-only.

  --expiry-run-at TIME   when the last expiry run started: lots that expired before it must be empty (L9)
  -h, --help             this help

Exit codes: 0 clean, 1 a violation, 2 the database cannot be reached or is not a member database.
`;

function expiryRunAtFrom(argv: string[]): Date | undefined {
  const { values } = parseArgs({ args: argv, options: { 'expiry-run-at': { type: 'string' } } });
  const raw = values['expiry-run-at'];
  if (raw === undefined) return undefined;
  const at = new Date(raw);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--expiry-run-at "${raw}" is not a time`);
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

await runCommand(help, async (argv) => {
  const expiryRunAt = expiryRunAtFrom(argv);
  const url = networkSettings().databaseUrl('member');
  console.log(`Auditing ${redacted(url)}`);
  const result = await audit(url, expiryRunAt);
  if (typeof result === 'string') {
    console.error(`Cannot audit ${redacted(url)}: ${result}. Is \`npm start\` running?`);
    return 2;
  }
  console.log(formatReport(result));
  return result.ok ? 0 : 1;
});
