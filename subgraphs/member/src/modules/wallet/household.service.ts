import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { requireRole } from '@coalition/shared/auth/authorize';
import type { Viewer } from '@coalition/shared/auth/jwt';
import { inTransaction } from '@coalition/shared/db/transaction';
import { badInput, forbidden, notFound } from '@coalition/shared/errors';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { pointsTransferred } from '@coalition/shared/feed/facts/member-feed';
import { parseInput } from '@coalition/shared/validation';
import type { Wire } from './idempotency';
import { account, writeTransaction } from './ledger';
import { consumeLots, createLot, linksWithIssuers } from './lots';
import { balancesAt, takeFromLots } from './points';
import { walletView, type LockedWallet, type WalletView } from './wallet-state';
import { insufficientPoints } from './wallet.errors';
import { householdInput, transferInput, type TransferInput } from './wallet.inputs';
import { writeWallet } from './wallet-write';

export interface Household {
  id: string;
  name: string;
  memberIds: string[];
}

export interface TransferResult {
  transactionId: string;
  points: bigint;
  from: WalletView;
  to: WalletView;
}

/** Households and the transfers between their members. */
export class HouseholdService {
  constructor(private readonly dataSource: DataSource) {}

  /** Operators group members into a household; a member belongs to at most one. */
  async create(viewer: Viewer, raw: unknown): Promise<Household> {
    requireRole(viewer, 'operator');
    const input = parseInput(householdInput, raw);
    const memberIds = input.memberIds;
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      const rows: { id: string; household_id: string | null }[] = await manager.query(
        'SELECT id, household_id FROM member WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE',
        [memberIds],
      );
      if (rows.length !== memberIds.length) throw notFound('Member');
      if (rows.some((row) => row.household_id !== null))
        throw badInput('A member already belongs to a household.', 'memberIds');
      const id = randomUUID();
      await manager.query('INSERT INTO household (id, name) VALUES ($1, $2)', [id, input.name]);
      await manager.query('UPDATE member SET household_id = $1 WHERE id = ANY($2::uuid[])', [
        id,
        memberIds,
      ]);
      return { id, name: input.name, memberIds };
    });
  }

  async householdOf(memberId: string): Promise<Household | null> {
    const rows: { id: string; name: string; member_ids: string[] }[] = await this.dataSource.query(
      `SELECT h.id, h.name, array_agg(m2.id ORDER BY m2.enrolled_at) AS member_ids
         FROM member m JOIN household h ON h.id = m.household_id JOIN member m2 ON m2.household_id = h.id
        WHERE m.id = $1 GROUP BY h.id, h.name`,
      [memberId],
    );
    const row = rows[0];
    return row ? { id: row.id, name: row.name, memberIds: row.member_ids } : null;
  }

  /**
   * Moves available points to another member of the same household. The points keep their issuer
   * and expiry: the sender's lots are consumed oldest expiry first and the receiver gets lots with
   * the same issuer and expiry, so settlement still knows who owes for every point.
   */
  async transfer(viewer: Viewer, raw: unknown): Promise<Wire<TransferResult>> {
    const { idempotencyKey, ...input } = parseInput(transferInput, raw);
    if (!(
      viewer.role === 'operator' ||
      (viewer.role === 'member' && viewer.memberId === input.fromMemberId)
    ))
      throw forbidden('Only the member themself or an operator moves their points.');
    const household = await this.householdOf(input.fromMemberId);
    if (!household?.memberIds.includes(input.toMemberId))
      throw forbidden('Points move only between members of one household.');
    return writeWallet(this.dataSource, {
      viewer,
      memberId: input.fromMemberId,
      alsoLock: input.toMemberId,
      idempotencyKey,
      operation: 'transfer',
      request: input,
      work: (manager, from, to) => this.move(manager, from, to!, household.id, input),
    });
  }

  private async move(
    manager: EntityManager,
    from: LockedWallet,
    to: LockedWallet,
    householdId: string,
    input: Omit<TransferInput, 'idempotencyKey'>,
  ): Promise<TransferResult> {
    // The giver's lots and holds as the lock read them: nothing has been written since.
    const lots = from.lots;
    const balances = balancesAt(from.now, lots, from.held);
    const takes =
      balances.available >= input.points ? takeFromLots(from.now, lots, input.points) : undefined;
    if (!takes) throw insufficientPoints(balances.available);
    const transit = `household:${householdId}:transfers`;
    const details = { fromMemberId: from.memberId, toMemberId: to.memberId, householdId };
    const outId = await writeTransaction(manager, {
      memberId: from.memberId,
      kind: 'TRANSFER',
      points: input.points,
      details,
      at: from.now,
      postings: [
        { account: account.member(from.memberId), points: -input.points },
        { account: transit, points: input.points },
      ],
    });
    const inId = await writeTransaction(manager, {
      memberId: to.memberId,
      kind: 'TRANSFER',
      points: input.points,
      reversesId: null,
      details: { ...details, outTransactionId: outId },
      at: from.now,
      postings: [
        { account: transit, points: -input.points },
        { account: account.member(to.memberId), points: input.points },
      ],
    });
    await consumeLots(manager, outId, takes);
    const links = linksWithIssuers(takes, lots);
    const expiryOf = new Map(lots.map((lot) => [lot.id, lot.expiresAt]));
    let debtLeft = to.debt;
    const received = [];
    for (const link of links) {
      // A receiver's debt is repaid first, as with any credit; the rest arrives as lots.
      const repay = BigInt(link.points) < debtLeft ? BigInt(link.points) : debtLeft;
      debtLeft -= repay;
      const give = BigInt(link.points) - repay;
      if (give === 0n) continue;
      const lotId = await createLot(manager, {
        memberId: to.memberId,
        transactionId: inId,
        issuerPartnerId: link.issuerPartnerId,
        points: give,
        availableAt: from.now,
        expiresAt: expiryOf.get(link.lotId)!,
        createdAt: from.now,
        restoredFromLotId: link.lotId,
      });
      received.push({
        lotId,
        fromLotId: link.lotId,
        issuerPartnerId: link.issuerPartnerId,
        points: give.toString(),
      });
    }
    await manager.query(
      'UPDATE wallet SET balance = balance - $2, updated_at = $3 WHERE member_id = $1',
      [from.memberId, input.points.toString(), from.now],
    );
    await manager.query(
      'UPDATE wallet SET balance = balance + $2, debt = debt - $3, updated_at = $4 WHERE member_id = $1',
      [to.memberId, input.points.toString(), (to.debt - debtLeft).toString(), from.now],
    );
    await appendFacts(manager, [
      pointsTransferred.build({
        transactionId: outId,
        inTransactionId: inId,
        fromMemberId: from.memberId,
        toMemberId: to.memberId,
        points: input.points.toString(),
        links,
        received,
        debtRepaid: (to.debt - debtLeft).toString(),
        at: from.now.toISOString(),
      }),
    ]);
    return {
      transactionId: outId,
      points: input.points,
      from: await walletView(manager, from.memberId, from.now),
      to: await walletView(manager, to.memberId, from.now),
    };
  }
}
