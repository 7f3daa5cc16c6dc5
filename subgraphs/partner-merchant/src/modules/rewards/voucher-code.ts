import { randomBytes } from 'node:crypto';

/** RFC 4648 base32: upper-case letters and the digits 2–7, none of them easily misread for another. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const VOUCHER_CODE_LENGTH = 12;
export const voucherCodePattern = /^[A-Z2-7]{12}$/;

/** 60 random bits as 12 base32 characters; `bytes` is for tests (at least 8 of them). */
export function voucherCode(bytes: Uint8Array = randomBytes(8)): string {
  let bits = 0n;
  for (const byte of bytes.subarray(0, 8)) bits = (bits << 8n) | BigInt(byte);
  let code = '';
  for (let i = 0; i < VOUCHER_CODE_LENGTH; i++) {
    code += ALPHABET[Number(bits & 31n)];
    bits >>= 5n;
  }
  return code;
}
