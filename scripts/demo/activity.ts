import { ApiError } from './api';
import type { Step } from './plan';
import type { DemoContext, LivePartner } from './setup';
import type { Tally } from './tally';

/**
 * Plays one member's month: each step a POS call with the partner's own token (the operator's for
 * a goodwill adjustment), in order, since later steps use earlier answers (a hold's id, a burn's
 * transaction). Business outcomes the API may answer with are counted; anything else throws.
 */

type Operation = Step['kind'] | 'capture' | 'void';

/** Answers a random month can get, and which leave the request's effect in place. */
const expectedCodes: Record<Operation, readonly string[]> = {
  earn: ['DUPLICATE_RECEIPT', 'PARTNER_NOT_ACCEPTING'],
  burn: ['INSUFFICIENT_POINTS', 'PARTNER_NOT_ACCEPTING'],
  hold: ['INSUFFICIENT_POINTS', 'PARTNER_NOT_ACCEPTING'],
  capture: ['INSUFFICIENT_POINTS', 'HOLD_EXPIRED', 'HOLD_NOT_OPEN', 'CAPTURE_EXCEEDS_HOLD'],
  void: ['HOLD_EXPIRED', 'HOLD_NOT_OPEN'],
  refundPurchase: ['REFUND_EXCEEDS_ORIGINAL'],
  refundBurn: ['REFUND_EXCEEDS_ORIGINAL'],
  adjust: [],
};

/** Recorded by an earlier run with the same seed: replayed under its idempotency key. */
const REPLAY_SLACK_MS = 2_000;

const earnMutation =
  'mutation Earn($input: EarnPointsInput!) { earnPoints(input: $input) { transactionId wallet { asOf } } }';
const holdMutation =
  'mutation Hold($input: HoldPointsInput!) { holdPoints(input: $input) { id createdAt } }';
const captureMutation =
  'mutation Capture($input: CapturePointsInput!) { capturePoints(input: $input) { transactionId wallet { asOf } } }';
const voidMutation =
  'mutation Void($input: VoidHoldInput!) { voidHold(input: $input) { id resolvedAt } }';
const burnMutation =
  'mutation Burn($input: BurnPointsInput!) { burnPoints(input: $input) { transactionId wallet { asOf } } }';
const refundPurchaseMutation =
  'mutation RefundPurchase($input: RefundPurchaseInput!) { refundPurchase(input: $input) { transactionId wallet { asOf } } }';
const refundBurnMutation =
  'mutation RefundBurn($input: RefundBurnInput!) { refundBurn(input: $input) { transactionId wallet { asOf } } }';
const adjustMutation =
  'mutation Adjust($input: AdjustPointsInput!) { adjustPoints(input: $input) { transactionId wallet { asOf } } }';

export async function playMonth(
  ctx: DemoContext,
  tally: Tally,
  memberId: string,
  steps: readonly Step[],
  partners: readonly LivePartner[],
): Promise<void> {
  const receipts = new Set<string>();
  const burns = new Map<string, string>();
  const partnerOf = (index: number) => partners[index] ?? missing(`partner #${index}`);
  const storeOf = (partner: LivePartner, index: number) =>
    (
      partner.stores[index] ??
      partner.stores[index % partner.stores.length] ??
      missing(`store #${index}`)
    ).id;

  /** Sends one write; its answer, or the code of an expected business outcome (counted). */
  const attempt = async <T extends object>(
    operation: Operation,
    token: string,
    mutation: string,
    input: Record<string, unknown>,
    recordedAt: (data: T) => string | null,
  ): Promise<T | string> => {
    try {
      const data = await ctx.api.gql<T>(token, operation, mutation, { input });
      const at = recordedAt(data);
      tally.add(
        at !== null && Date.parse(at) < ctx.runStartedAt - REPLAY_SLACK_MS ? 'replayed' : 'written',
      );
      return data;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // The same key with a different request: an earlier run with this seed asked for something else. It changed nothing.
      if (!expectedCodes[operation].includes(error.code) && error.code !== 'IDEMPOTENCY_CONFLICT') {
        throw new ApiError(
          error.code,
          error.message,
          `${operation} ${String(input.idempotencyKey)}`,
        );
      }
      tally.outcome(operation, error.code);
      return error.code;
    }
  };
  const send = async <T extends object>(
    operation: Operation,
    token: string,
    mutation: string,
    input: Record<string, unknown>,
    recordedAt: (data: T) => string | null,
  ): Promise<T | null> => {
    const result = await attempt(operation, token, mutation, input, recordedAt);
    return typeof result === 'string' ? null : result;
  };

  for (const step of steps) {
    switch (step.kind) {
      case 'earn': {
        const partner = partnerOf(step.partner);
        const input = {
          idempotencyKey: step.key,
          memberId,
          storeId: storeOf(partner, step.store),
          receiptId: step.receiptId,
          occurredAt: step.occurredAt,
          total: String(step.total),
          currency: 'EUR',
          lines: step.lines.map((l) => ({ ...l, amount: String(l.amount) })),
        };
        type R = { earnPoints: { transactionId: string; wallet: { asOf: string } } };
        const result = await attempt<R>(
          'earn',
          partner.token,
          earnMutation,
          input,
          (d) => d.earnPoints.wallet.asOf,
        );
        if (typeof result !== 'string') tally.add('purchases');
        // The receipt is on the ledger: earned now, replayed, or earned earlier under another key.
        if (typeof result !== 'string' || result === 'DUPLICATE_RECEIPT')
          receipts.add(step.receiptId);
        break;
      }
      case 'refundPurchase': {
        if (!receipts.has(step.receiptId)) {
          tally.add('skipped');
          break;
        }
        const partner = partnerOf(step.partner);
        const input = {
          idempotencyKey: step.key,
          storeId: storeOf(partner, step.store),
          receiptId: step.receiptId,
          ...(step.amount === null ? {} : { amount: String(step.amount) }),
        };
        type R = { refundPurchase: { transactionId: string; wallet: { asOf: string } } };
        if (
          await send<R>(
            'refundPurchase',
            partner.token,
            refundPurchaseMutation,
            input,
            (d) => d.refundPurchase.wallet.asOf,
          )
        )
          tally.add('purchaseRefunds');
        break;
      }
      case 'burn': {
        const partner = partnerOf(step.partner);
        const input = {
          idempotencyKey: step.key,
          memberId,
          storeId: storeOf(partner, step.store),
          points: String(step.points),
          reference: step.reference,
        };
        type R = { burnPoints: { transactionId: string; wallet: { asOf: string } } };
        const done = await send<R>(
          'burn',
          partner.token,
          burnMutation,
          input,
          (d) => d.burnPoints.wallet.asOf,
        );
        if (done) {
          burns.set(step.key, done.burnPoints.transactionId);
          tally.add('burns');
        }
        break;
      }
      case 'hold': {
        const partner = partnerOf(step.partner);
        const input = {
          idempotencyKey: step.key,
          memberId,
          storeId: storeOf(partner, step.store),
          points: String(step.points),
          timeoutSeconds: 600,
        };
        type R = { holdPoints: { id: string; createdAt: string } };
        const held = await send<R>(
          'hold',
          partner.token,
          holdMutation,
          input,
          (d) => d.holdPoints.createdAt,
        );
        if (!held) break;
        tally.add('holds');
        const holdId = held.holdPoints.id;
        if (step.then.kind === 'capture') {
          const captureInput = {
            idempotencyKey: step.then.key,
            holdId,
            ...(step.then.points === null ? {} : { points: String(step.then.points) }),
          };
          type C = { capturePoints: { transactionId: string; wallet: { asOf: string } } };
          const captured = await send<C>(
            'capture',
            partner.token,
            captureMutation,
            captureInput,
            (d) => d.capturePoints.wallet.asOf,
          );
          if (captured) {
            burns.set(step.then.key, captured.capturePoints.transactionId);
            tally.add('captures');
          }
        } else {
          type V = { voidHold: { id: string; resolvedAt: string | null } };
          if (
            await send<V>(
              'void',
              partner.token,
              voidMutation,
              { idempotencyKey: step.then.key, holdId },
              (d) => d.voidHold.resolvedAt,
            )
          )
            tally.add('voids');
        }
        break;
      }
      case 'refundBurn': {
        const transactionId = burns.get(step.burnKey);
        if (!transactionId) {
          tally.add('skipped');
          break;
        }
        const partner = partnerOf(step.partner);
        const input = {
          idempotencyKey: step.key,
          transactionId,
          ...(step.points === null ? {} : { points: String(step.points) }),
        };
        type R = { refundBurn: { transactionId: string; wallet: { asOf: string } } };
        if (
          await send<R>(
            'refundBurn',
            partner.token,
            refundBurnMutation,
            input,
            (d) => d.refundBurn.wallet.asOf,
          )
        )
          tally.add('burnRefunds');
        break;
      }
      case 'adjust': {
        const input = {
          idempotencyKey: step.key,
          memberId,
          direction: 'CREDIT',
          points: String(step.points),
          reason: 'GOODWILL',
          note: step.note,
        };
        type R = { adjustPoints: { transactionId: string; wallet: { asOf: string } } };
        if (
          await send<R>(
            'adjust',
            ctx.operatorToken,
            adjustMutation,
            input,
            (d) => d.adjustPoints.wallet.asOf,
          )
        )
          tally.add('adjustments');
        break;
      }
    }
  }
}

function missing(what: string): never {
  throw new Error(`the plan refers to ${what}, which does not exist`);
}
