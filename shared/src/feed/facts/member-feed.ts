import { z } from 'zod';
import { currencyCode } from '../../validation';
import { defineFact, defineFeed } from './catalogue';
import { carriedLot, id, instant, lotLink, wholeNumber } from './fields';

/**
 * The member feed: what the member service (members and the wallet) announces, in commit order.
 * Settlement takes every points fact into its intake; each fact's comment says what it records.
 */

const member = { key: (payload: { memberId: string }) => payload.memberId };

/** What every points fact of one member records: its ledger transaction, the points, and when. */
const movement = { transactionId: id, memberId: id, points: wholeNumber, at: instant };

export const memberEnrolled = defineFact({
  name: 'member.enrolled',
  version: 1,
  ...member,
  schema: z.object({ memberId: id, enrolledAt: instant }),
});

/** A member's consent for a partner (its app may act for them), given or taken back once. */
const consent = {
  version: 1,
  ...member,
  schema: z.object({ memberId: id, partnerId: id }),
} as const;

export const memberPartnerLinked = defineFact({ name: 'member.partner-linked', ...consent });

export const memberPartnerUnlinked = defineFact({ name: 'member.partner-unlinked', ...consent });

/**
 * The change's audit trail: the tiers before and after (null: none), who changed it, and why: set
 * by hand (MANUAL), climbed by an earn (UPGRADE), lowered at a period's review (DOWNGRADE), an
 * operator's override given or ended (OVERRIDE, OVERRIDE_ENDED), with the ladder version in force.
 * No points move: settlement ignores it.
 */
export const memberTierChanged = defineFact({
  name: 'member.tier-changed',
  version: 1,
  ...member,
  schema: z.object({
    memberId: id,
    from: z.string().nullable(),
    to: z.string().nullable(),
    changedBy: z.string().min(1),
    reason: z.enum(['MANUAL', 'UPGRADE', 'DOWNGRADE', 'OVERRIDE', 'OVERRIDE_ENDED']),
    ladderVersion: z.number().int().positive().nullable(),
  }),
  // Before ladders, every tier was set by hand.
  olderFacts: (payload) => ({ reason: 'MANUAL', ladderVersion: null, ...payload }),
});

const earnComponent = z.object({
  kind: z.enum(['BASE', 'CATEGORY', 'MULTIPLIER', 'FIRST_PURCHASE', 'STAMP_CARD', 'OFFER', 'TIER']),
  ruleId: z.string().nullable(),
  points: wholeNumber,
  partnerPoints: wholeNumber,
  operatorPoints: wholeNumber,
});

const purchase = z.object({
  total: wholeNumber,
  currency: currencyCode,
  occurredAt: instant,
  lines: z.array(z.object({ sku: z.string(), category: z.string(), amount: wholeNumber })),
});

/**
 * A purchase earned points. `points` = `partnerPoints` (the partner funds them and pays their
 * issuance) + `operatorPoints` (tier bonuses, the operator's share of promotions). `lots` are the
 * lots the earn created, one per funder (points that repaid a debt make no lot); `lotId`,
 * `lotPoints` and `issuerPartnerId` name the partner's lot as facts did before operator funding.
 */
export const pointsEarned = defineFact({
  name: 'points.earned',
  version: 1,
  ...member,
  schema: z.object({
    ...movement,
    partnerId: id,
    storeId: id,
    receiptId: z.string().min(1),
    partnerPoints: wholeNumber,
    operatorPoints: wholeNumber,
    debtRepaid: wholeNumber,
    operatorDebtRepaid: wholeNumber,
    /** The partner's rules version the earn applied; null before rules were versioned. */
    rulesVersion: z.number().int().positive().nullable(),
    components: z.array(earnComponent),
    lotId: id.nullable(),
    lotPoints: wholeNumber,
    issuerPartnerId: id,
    lots: z.array(lotLink),
    availableAt: instant.nullable(),
    expiresAt: instant.nullable(),
    purchase,
  }),
  olderFacts: (payload) => {
    // Before debts, the lot held every point; before operator funding, the partner funded them all
    // in one lot, named by lotId; before versioned rules, none was recorded.
    const lotPoints = payload.lotPoints ?? payload.points;
    const oneLot =
      typeof payload.lotId === 'string' && lotPoints !== '0'
        ? [
            {
              lotId: payload.lotId,
              issuerPartnerId: payload.issuerPartnerId ?? payload.partnerId,
              points: lotPoints,
            },
          ]
        : [];
    return {
      lotId: null,
      partnerPoints: payload.points,
      operatorPoints: '0',
      debtRepaid: '0',
      operatorDebtRepaid: '0',
      rulesVersion: null,
      components: [],
      lotPoints,
      issuerPartnerId: payload.partnerId,
      lots: oneLot,
      ...payload,
    };
  },
});

/**
 * Points burned at a partner (a till's burn or capture, or a reward order: no store), taken from
 * the lots in `links`, oldest expiry first: what tells settlement whose points were spent where.
 */
export const pointsBurned = defineFact({
  name: 'points.burned',
  version: 1,
  ...member,
  schema: z.object({
    ...movement,
    partnerId: id,
    storeId: id.nullable(),
    holdId: id.nullable(),
    links: z.array(lotLink),
  }),
});

/**
 * A purchase refunded: `points` clawed back from the lots in `links`, the rest of them recorded as
 * the member's debt (`debtRecorded`); `issuancePoints` of them were the partner's (it gets their
 * issuance back); `pointsExcused` had expired and are not clawed back.
 */
export const purchaseRefunded = defineFact({
  name: 'purchase.refunded',
  version: 1,
  ...member,
  schema: z.object({
    ...movement,
    partnerId: id,
    storeId: id,
    reversesId: id,
    refundedAmount: wholeNumber,
    issuancePoints: wholeNumber,
    debtRecorded: wholeNumber,
    pointsExcused: wholeNumber,
    links: z.array(lotLink),
  }),
  // Before operator funding the partner had funded every point; before excusal nothing was excused.
  olderFacts: (payload) => ({
    issuancePoints: payload.points,
    pointsExcused: '0',
    links: [],
    ...payload,
  }),
});

/** A burn refunded: its points back to the member (a debt repaid first), in `restored` lots that keep each spent lot's issuer and expiry. */
export const burnRefunded = defineFact({
  name: 'burn.refunded',
  version: 1,
  ...member,
  schema: z.object({
    ...movement,
    partnerId: id,
    reversesId: id,
    debtRepaid: wholeNumber,
    restored: z.array(carriedLot),
  }),
  olderFacts: (payload) => ({ restored: [], ...payload }),
});

/** Lots past their expiry emptied: breakage of each issuer (operator-funded lots have none). */
export const pointsExpired = defineFact({
  name: 'points.expired',
  version: 1,
  ...member,
  schema: z.object({ ...movement, links: z.array(lotLink) }),
});

const adjustment = { ...movement, reason: z.string(), links: z.array(lotLink) };

/** An operator's adjustment: a credit (a new operator-funded lot, after any debt) or a debit (from the lots, the rest as debt). */
export const pointsAdjusted = defineFact({
  name: 'points.adjusted',
  version: 1,
  ...member,
  schema: z.discriminatedUnion('direction', [
    z.object({
      ...adjustment,
      direction: z.literal('CREDIT'),
      lotId: id.nullable(),
      debtRepaid: wholeNumber,
    }),
    z.object({
      ...adjustment,
      direction: z.literal('DEBIT'),
      debtRecorded: wholeNumber,
    }),
  ]),
  olderFacts: (payload) =>
    payload.direction === 'CREDIT'
      ? { lotId: null, debtRepaid: '0', links: [], ...payload }
      : { links: [], ...payload },
});

/** Points moved between household members: out of the giver's lots (`links`), into new lots of the receiver (`received`) after any debt of theirs. */
export const pointsTransferred = defineFact({
  name: 'points.transferred',
  version: 1,
  key: (payload: { fromMemberId: string }) => payload.fromMemberId,
  schema: z.object({
    transactionId: id,
    inTransactionId: id,
    fromMemberId: id,
    toMemberId: id,
    points: wholeNumber,
    links: z.array(lotLink),
    received: z.array(carriedLot),
    debtRepaid: wholeNumber,
    at: instant,
  }),
  olderFacts: (payload) => ({ received: [], ...payload }),
});

/** Points a hold released, taken from the lots in `links` against the debt a purchase refund recorded. */
export const debtRepaid = defineFact({
  name: 'debt.repaid',
  version: 1,
  ...member,
  schema: z.object({
    ...movement,
    holdIds: z.array(id),
    cause: z.enum(['VOIDED', 'EXPIRED', 'CAPTURED']),
    released: wholeNumber,
    debtLeft: wholeNumber,
    links: z.array(lotLink),
  }),
  olderFacts: (payload) => ({ links: [], ...payload }),
});

export const memberFeed = defineFeed('member', [
  memberEnrolled,
  memberPartnerLinked,
  memberPartnerUnlinked,
  memberTierChanged,
  pointsEarned,
  pointsBurned,
  purchaseRefunded,
  burnRefunded,
  pointsExpired,
  pointsAdjusted,
  pointsTransferred,
  debtRepaid,
]);
