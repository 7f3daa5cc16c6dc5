/**
 * npm run expire: runs the wallet's expiry once, now, against the member database (the member
 * service also runs it every EXPIRY_INTERVAL_MS). Safe to run any time and as often as you like.
 */
import { createDataSource } from '../shared/src/db/data-source';
import { createLogger } from '../shared/src/logger';
import { ExpiryService } from '../subgraphs/member/src/modules/wallet/expiry.service';
import { runCommand, UsageError } from './cli/command';
import { networkSettings, redacted } from './cli/network-settings';

const help = `
npm run expire

Expires every point past its expiry now, in the member database of the network npm start runs
(COALITION_DATA_DIR, POSTGRES_PORT), or DATABASE_URL_MEMBER. Running it again changes nothing.

Exit codes: 0 done, 1 the expiry run failed, 2 the database cannot be reached.
`;

await runCommand(help, async (argv) => {
  if (argv.length > 0) throw new UsageError(`unexpected arguments: ${argv.join(' ')}`);
  const url = networkSettings().databaseUrl('member');
  const logger = createLogger('expire', process.env.LOG_LEVEL ?? 'warn');
  const dataSource = createDataSource({ url, entities: [], migrations: [], logger });
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new Error(
      `Cannot reach the member database at ${redacted(url)}: ${(error as Error).message}. Is \`npm start\` running?`,
      { cause: error },
    );
  }
  try {
    const report = await new ExpiryService(dataSource, logger).run();
    console.log(
      `Expired ${report.points} points in ${report.lots} lots of ${report.members} members.`,
    );
    return 0;
  } catch (error) {
    console.error(`Expiry failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await dataSource.destroy();
  }
});
