import { CoalitionError, ErrorCode } from '@coalition/shared/errors';

/**
 * Business outcomes of wallet operations a caller must handle. Each is recorded against the
 * operation's idempotency key, so a retry with the same key replays it (a new key is needed to
 * try again, e.g. after a top-up).
 */
export const WalletErrorCode = {
  INSUFFICIENT_POINTS: ErrorCode.INSUFFICIENT_POINTS,
  DUPLICATE_RECEIPT: ErrorCode.DUPLICATE_RECEIPT,
  HOLD_EXPIRED: ErrorCode.HOLD_EXPIRED,
  HOLD_NOT_OPEN: ErrorCode.HOLD_NOT_OPEN,
  CAPTURE_EXCEEDS_HOLD: ErrorCode.CAPTURE_EXCEEDS_HOLD,
  PARTNER_NOT_ACCEPTING: ErrorCode.PARTNER_NOT_ACCEPTING,
  REFUND_EXCEEDS_ORIGINAL: ErrorCode.REFUND_EXCEEDS_ORIGINAL,
} as const;
export type WalletErrorCode = (typeof WalletErrorCode)[keyof typeof WalletErrorCode];

export class WalletError extends CoalitionError {
  constructor(
    readonly walletCode: WalletErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(walletCode, message, details);
  }
}

export const insufficientPoints = (available: bigint) =>
  new WalletError(
    WalletErrorCode.INSUFFICIENT_POINTS,
    'The member does not have enough available points.',
    { available: available.toString() },
  );
