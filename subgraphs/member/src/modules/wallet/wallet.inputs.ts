import { z } from 'zod';
import { limits } from '@coalition/shared/limits';
import { currencyCode, text, uuid } from '@coalition/shared/validation';
import { normalizeCardNumber, isValidCardNumber } from '../members/card-number';

/** Integers on the wire are strings (Points, MinorUnits); the scalars hand resolvers bigints. */
const positive = (field: string, max: bigint) =>
  z
    .bigint()
    .refine((v) => v > 0n, `${field} must be positive`)
    .refine((v) => v <= max, `${field} must be at most ${max}`);

const idempotencyKey = z
  .string()
  .trim()
  .min(1, 'idempotencyKey must not be empty')
  .max(limits.idempotencyKeyLengthMax);

const cardNumber = z
  .string()
  .transform(normalizeCardNumber)
  .refine(isValidCardNumber, 'is not a valid coalition card number (check digit)');

/** Who the operation is for: exactly one of memberId and cardNumber. */
const memberRef = {
  memberId: uuid.nullish(),
  cardNumber: cardNumber.nullish(),
};
const oneMember = (v: { memberId?: string | null; cardNumber?: string | null }) =>
  (v.memberId == null) !== (v.cardNumber == null);
const oneMemberMessage = {
  message: 'give exactly one of memberId and cardNumber',
  path: ['memberId'],
};

export const earnInput = z
  .object({
    idempotencyKey,
    ...memberRef,
    storeId: uuid,
    receiptId: text('receiptId', limits.receiptIdLengthMax),
    occurredAt: z
      .date()
      .refine((d) => d.getTime() <= Date.now() + limits.clockSkewMs, 'must not be in the future')
      .refine(
        (d) => d.getTime() >= Date.now() - limits.purchaseAgeDaysMax * 86_400_000,
        `must be within the last ${limits.purchaseAgeDaysMax} days`,
      ),
    total: positive('total', limits.purchaseMinorUnitsMax),
    currency: currencyCode,
    lines: z
      .array(
        z.object({
          sku: text('sku', 100),
          category: text('category', 100),
          amount: positive('amount', limits.purchaseMinorUnitsMax),
        }),
      )
      .min(1, 'must have at least one line')
      .max(limits.purchaseLinesMax),
  })
  .refine(oneMember, oneMemberMessage)
  .refine((v) => v.lines.reduce((sum, line) => sum + line.amount, 0n) === v.total, {
    message: 'must add up to the total',
    path: ['lines'],
  });
export type EarnInput = z.infer<typeof earnInput>;

export const holdInput = z
  .object({
    idempotencyKey,
    ...memberRef,
    storeId: uuid,
    points: positive('points', limits.burnPointsMax),
    timeoutSeconds: z.number().int().min(1).max(limits.holdTimeoutSecondsMax).nullish(),
  })
  .refine(oneMember, oneMemberMessage);
export type HoldInput = z.infer<typeof holdInput>;

export const captureInput = z.object({
  idempotencyKey,
  holdId: uuid,
  points: positive('points', limits.burnPointsMax).nullish(),
});
export type CaptureInput = z.infer<typeof captureInput>;

export const voidInput = z.object({ idempotencyKey, holdId: uuid });
export type VoidInput = z.infer<typeof voidInput>;

export const burnInput = z
  .object({
    idempotencyKey,
    ...memberRef,
    storeId: uuid,
    points: positive('points', limits.burnPointsMax),
    reference: text('reference', 200).nullish(),
  })
  .refine(oneMember, oneMemberMessage);
export type BurnInput = z.infer<typeof burnInput>;

export const refundPurchaseInput = z.object({
  idempotencyKey,
  storeId: uuid,
  receiptId: text('receiptId', limits.receiptIdLengthMax),
  amount: positive('amount', limits.purchaseMinorUnitsMax).nullish(),
});
export type RefundPurchaseInput = z.infer<typeof refundPurchaseInput>;

export const refundBurnInput = z.object({
  idempotencyKey,
  transactionId: uuid,
  points: positive('points', limits.burnPointsMax).nullish(),
});
export type RefundBurnInput = z.infer<typeof refundBurnInput>;

export const adjustInput = z.object({
  idempotencyKey,
  memberId: uuid,
  direction: z.enum(['CREDIT', 'DEBIT']),
  points: positive('points', limits.burnPointsMax),
  reason: z.enum(['GOODWILL', 'CORRECTION']),
  note: text('note', 1000, true),
});
export type AdjustInput = z.infer<typeof adjustInput>;

export const transferInput = z
  .object({
    idempotencyKey,
    fromMemberId: uuid,
    toMemberId: uuid,
    points: positive('points', limits.burnPointsMax),
  })
  .refine((v) => v.fromMemberId !== v.toMemberId, {
    message: 'must be another member',
    path: ['toMemberId'],
  });
export type TransferInput = z.infer<typeof transferInput>;

export const householdInput = z.object({
  name: text('name'),
  memberIds: z
    .array(uuid)
    .min(2, 'a household has at least 2 members')
    .max(
      limits.householdMembersMax,
      `a household has at most ${limits.householdMembersMax} members`,
    )
    // Postgres reads a uuid in either case: the same member in two spellings is still one member.
    .refine(
      (ids) => new Set(ids.map((id) => id.toLowerCase())).size === ids.length,
      'must list each member once',
    ),
});
