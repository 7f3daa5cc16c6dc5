import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signToken, type Claims } from '../shared/src/auth/jwt';
import { loadSigningKey } from '../shared/src/auth/keys';
import { expectLedgerClean } from './support/audit';
import { enrolMember, linkPartner, onboardPartner } from './support/coalition';
import { freePort } from './support/free-port';
import { eventually, gql } from './support/graphql';
import { ctrlC, npmStart } from './support/npm-start-process';
import { openDatabase } from './support/sql';
import { earn, earnInput, walletOf } from './support/wallet';

/**
 * The runbook's backup of a network run by `npm start` (docs/operations.md, "The whole network
 * under npm start"), command for command: stop, tar the data directory's postgres and keys, unpack
 * the archive into a directory of its own, and start on it.
 */

// Under .data/ like the real thing: as root, PostgreSQL's own user must be able to reach it.
const dataDir = resolve('.data', `backup-test-${process.pid}`);
const restoredDir = resolve('.data', `backup-test-${process.pid}-restored`);
const archive = resolve('.data', `backup-test-${process.pid}.tgz`);

interface FeedStatus {
  position: string;
  factsApplied: number;
}

const memberDatabase = (postgresPort: number) =>
  `postgres://postgres:postgres@127.0.0.1:${postgresPort}/coalition_member`;

const tokenOf = (dir: string, claims: Claims) =>
  signToken(loadSigningKey(join(dir, 'keys')), claims);

/** Settlement's intake once it has taken in every fact the member service has written. */
async function settlementCaughtUp(
  graphql: string,
  operator: string,
  postgresPort: number,
): Promise<FeedStatus> {
  const memberDb = openDatabase(memberDatabase(postgresPort));
  try {
    const [row] = await memberDb.rows<{ facts: string }>('SELECT count(*) AS facts FROM outbox');
    return await eventually(
      async () => {
        const response = await gql<{ memberFeedStatus: FeedStatus }>(
          graphql,
          '{ memberFeedStatus { position factsApplied } }',
          {},
          operator,
        );
        const status = response.data?.memberFeedStatus;
        return status && status.factsApplied >= Number(row!.facts) ? status : undefined;
      },
      30_000,
      'settlement to take in every member fact',
    );
  } finally {
    await memberDb.close();
  }
}

afterAll(() => {
  for (const path of [dataDir, restoredDir, archive])
    rmSync(path, { recursive: true, force: true });
});

describe('a cold copy of the network under npm start (docs/operations.md)', () => {
  it('restores into a directory of its own: the data of the copy, a clean ledger, and feeds that go on', async () => {
    const postgresPort = await freePort();
    const original = await npmStart(dataDir, postgresPort);
    const operator = tokenOf(dataDir, { role: 'operator', sub: 'operator:backup-test' });
    let graphql = `${original.gatewayUrl}/graphql`;
    const partner = await onboardPartner(graphql, 'Backed Up Grocer', ['Till'], operator, {
      pointsPerCurrencyUnit: 1,
      returnWindowDays: 0,
    });
    const member = await enrolMember(graphql, 'Backed Up Member', operator);
    await linkPartner(graphql, member.id, partner.id, operator);
    const partnerToken = tokenOf(dataDir, {
      role: 'partner',
      sub: 'partner:backup-test',
      partnerId: partner.id,
    });
    const storeId = partner.stores[0]!.id;
    const before = await earn(
      graphql,
      partnerToken,
      earnInput({ memberId: member.id, storeId, total: '4200', receiptId: 'R-BEFORE' }),
    );
    expect(before.data?.earnPoints.pointsEarned).toBe('42');
    const intake = await settlementCaughtUp(graphql, operator, postgresPort);
    expect(await ctrlC(original)).toContain('Stopped.');

    // The runbook's commands: the copy, then the restore into a directory of its own.
    execFileSync('tar', ['-C', dataDir, '-czf', archive, 'postgres', 'keys']);
    mkdirSync(restoredDir, { recursive: true });
    execFileSync('tar', ['-C', restoredDir, '-xzf', archive]);
    // The original is gone: the restored network has nothing but the archive.
    rmSync(dataDir, { recursive: true, force: true });

    const restored = await npmStart(restoredDir, postgresPort);
    try {
      graphql = `${restored.gatewayUrl}/graphql`;
      // The keys came back with the data: tokens signed before the copy still work.
      expect(await walletOf(graphql, operator, member.id)).toMatchObject({ available: '42' });
      await expectLedgerClean(memberDatabase(postgresPort));
      const status = await gql<{ memberFeedStatus: FeedStatus }>(
        graphql,
        '{ memberFeedStatus { position factsApplied } }',
        {},
        operator,
      );
      expect(status.data?.memberFeedStatus).toEqual(intake);

      // The feeds go on from where the copy left them.
      const after = await earn(
        graphql,
        partnerToken,
        earnInput({ memberId: member.id, storeId, total: '1000', receiptId: 'R-AFTER' }),
      );
      expect(after.data?.earnPoints.wallet.available).toBe('52');
      const moved = await settlementCaughtUp(graphql, operator, postgresPort);
      expect(moved.factsApplied).toBe(intake.factsApplied + 1);
      expect(moved.position).not.toBe(intake.position);
    } finally {
      expect(await ctrlC(restored)).toContain('Stopped.');
    }
  }, 300_000);
});
