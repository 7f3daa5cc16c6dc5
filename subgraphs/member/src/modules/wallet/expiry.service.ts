import type { DataSource } from 'typeorm';
import { inTransaction } from '@coalition/shared/db/transaction';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { pointsExpired } from '@coalition/shared/feed/facts/member-feed';
import type { Logger } from '@coalition/shared/logger';
import { account, writeTransaction } from './ledger';
import { consumeLots, linksWithIssuers } from './lots';
import { lockWallet } from './wallet-state';

export interface ExpiryReport {
  members: number;
  lots: number;
  points: bigint;
}

const MEMBERS_PER_BATCH = 200;

/**
 * Expires every lot whose expiry has passed by ledger time: one EXPIRY transaction per member,
 * its points to the breakage account, a link per lot. Exact and idempotent (docs/ledger.md, L9): an
 * expired lot has nothing left, so a second run finds nothing; each member is handled under its
 * own lock, so a burn racing the run sees the lot either before or after, never half.
 */
export class ExpiryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
  ) {}

  async run(): Promise<ExpiryReport> {
    const report: ExpiryReport = { members: 0, lots: 0, points: 0n };
    for (;;) {
      const due: { member_id: string }[] = await this.dataSource.query(
        'SELECT DISTINCT member_id FROM lot WHERE remaining > 0 AND expires_at <= ledger_now() LIMIT $1',
        [MEMBERS_PER_BATCH],
      );
      if (due.length === 0) break;
      for (const { member_id } of due) {
        const expired = await this.expireMember(member_id);
        report.members += expired.lots > 0 ? 1 : 0;
        report.lots += expired.lots;
        report.points += expired.points;
      }
    }
    if (report.lots > 0)
      this.logger.info({ ...report, points: report.points.toString() }, 'expiry run');
    return report;
  }

  private expireMember(memberId: string): Promise<{ lots: number; points: bigint }> {
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      const wallet = await lockWallet(manager, memberId);
      const rows: { id: string; remaining: string; issuer_partner_id: string | null }[] =
        await manager.query(
          'SELECT id, remaining, issuer_partner_id FROM lot WHERE member_id = $1 AND remaining > 0 AND expires_at <= $2 ORDER BY expires_at, created_at, id',
          [memberId, wallet.now],
        );
      if (rows.length === 0) return { lots: 0, points: 0n };
      const takes = rows.map((row) => ({ lotId: row.id, points: BigInt(row.remaining) }));
      const points = takes.reduce((sum, take) => sum + take.points, 0n);
      const transactionId = await writeTransaction(manager, {
        memberId,
        kind: 'EXPIRY',
        points,
        at: wallet.now,
        postings: [
          { account: account.member(memberId), points: -points },
          { account: account.breakage, points },
        ],
      });
      await consumeLots(manager, transactionId, takes);
      await manager.query(
        'UPDATE wallet SET balance = balance - $2, updated_at = $3 WHERE member_id = $1',
        [memberId, points.toString(), wallet.now],
      );
      const links = linksWithIssuers(
        takes,
        rows.map((row) => ({ id: row.id, issuerPartnerId: row.issuer_partner_id })),
      );
      await appendFacts(manager, [
        pointsExpired.build({
          transactionId,
          memberId,
          points: points.toString(),
          links,
          at: wallet.now.toISOString(),
        }),
      ]);
      return { lots: rows.length, points };
    });
  }
}
