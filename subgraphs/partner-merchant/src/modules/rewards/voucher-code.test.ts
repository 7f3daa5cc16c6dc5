import { describe, expect, it } from 'vitest';
import { voucherCode, voucherCodePattern } from './voucher-code';

describe('voucher codes', () => {
  it('are 12 base32 characters', () => {
    for (let i = 0; i < 100; i++) expect(voucherCode()).toMatch(voucherCodePattern);
  });

  it('spell out their random bits: all zeros is all A, all ones is all 7', () => {
    expect(voucherCode(new Uint8Array(8))).toBe('AAAAAAAAAAAA');
    expect(voucherCode(new Uint8Array(8).fill(255))).toBe('777777777777');
  });

  it('differ from one order to the next', () => {
    const codes = new Set(Array.from({ length: 1000 }, () => voucherCode()));
    expect(codes.size).toBe(1000);
  });
});
