/**
 * npm run expire: runs the wallet's expiry once, now, against the member database (the member
 * service also runs it every EXPIRY_INTERVAL_MS). Safe to run any time and as often as you like.
 * DATABASE_URL_MEMBER (or DATABASE_URL) picks the database; the default is npm start's.
 */
import { createDataSource } from '../shared/src/db/data-source';
import { createLogger } from '../shared/src/logger';
import { ExpiryService } from '../subgraphs/member/src/modules/wallet/expiry.service';

const url =
  process.env.DATABASE_URL_MEMBER ??
  process.env.DATABASE_URL ??
  'postgres://postgres:postgres@127.0.0.1:54320/coalition_member';
const logger = createLogger('expire', process.env.LOG_LEVEL ?? 'warn');
const dataSource = createDataSource({ url, entities: [], migrations: [], logger });
try {
  await dataSource.initialize();
  const report = await new ExpiryService(dataSource, logger).run();
  console.log(
    `Expired ${report.points} points in ${report.lots} lots of ${report.members} members.`,
  );
} catch (error) {
  console.error(`Expiry failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  if (dataSource.isInitialized) await dataSource.destroy();
}
