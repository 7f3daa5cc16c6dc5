import { describe, expect, it } from 'vitest';
import {
  afterTakes,
  balancesAt,
  clawbackForRefund,
  debtRepaidByRelease,
  excusedByExpiry,
  expiringWithin,
  takeForClawback,
  takeFromLots,
  type LotState,
} from './points';

const at = (iso: string) => new Date(iso);
const lot = (
  id: string,
  remaining: bigint,
  availableAt: string,
  expiresAt: string,
  createdAt = '2026-01-01T00:00:00Z',
): LotState => ({
  id,
  remaining,
  availableAt: at(availableAt),
  expiresAt: at(expiresAt),
  createdAt: at(createdAt),
});

describe('balances', () => {
  const now = at('2026-06-01T12:00:00Z');
  it('splits lots into available and pending by ledger time, leaves out expired ones, and counts holds against available', () => {
    const lots = [
      lot('matured', 100n, '2026-05-01T00:00:00Z', '2027-05-01T00:00:00Z'),
      lot('pending', 40n, '2026-06-10T00:00:00Z', '2027-06-10T00:00:00Z'),
      lot('expired', 7n, '2024-05-01T00:00:00Z', '2026-06-01T12:00:00Z'),
    ];
    expect(balancesAt(now, lots, 30n)).toEqual({ available: 70n, pending: 40n, held: 30n });
  });

  it('treats a lot maturing exactly now as available', () => {
    expect(
      balancesAt(now, [lot('a', 5n, '2026-06-01T12:00:00Z', '2027-01-01T00:00:00Z')], 0n).available,
    ).toBe(5n);
  });
});

describe('taking points from lots', () => {
  const now = at('2026-06-01T12:00:00Z');
  const lots = [
    lot('late', 50n, '2026-01-01T00:00:00Z', '2027-12-01T00:00:00Z'),
    lot('early', 30n, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'),
    lot('pending', 500n, '2026-07-01T00:00:00Z', '2026-12-01T00:00:00Z'),
    lot('gone', 500n, '2025-01-01T00:00:00Z', '2026-06-01T11:59:59Z'),
  ];

  it('takes the oldest expiry first and splits a lot when it must', () => {
    expect(takeFromLots(now, lots, 45n)).toEqual([
      { lotId: 'early', points: 30n },
      { lotId: 'late', points: 15n },
    ]);
  });

  it('never touches pending or expired lots', () => {
    expect(takeFromLots(now, lots, 80n)).toEqual([
      { lotId: 'early', points: 30n },
      { lotId: 'late', points: 50n },
    ]);
    expect(takeFromLots(now, lots, 81n)).toBeUndefined();
  });

  it('breaks expiry ties by earn time, then id', () => {
    const tied = [
      lot('b', 1n, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', '2026-01-02T00:00:00Z'),
      lot('c', 1n, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
      lot('a', 1n, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', '2026-01-02T00:00:00Z'),
    ];
    expect(takeFromLots(now, tied, 3n)?.map((t) => t.lotId)).toEqual(['c', 'a', 'b']);
  });

  it('refuses to take nothing', () => {
    expect(() => takeFromLots(now, lots, 0n)).toThrow(RangeError);
  });
});

describe('clawback for a purchase refund', () => {
  it.each([
    [100n, 10000n, 0n, 10000n, 100n], // full refund: every point
    [100n, 10000n, 0n, 5000n, 50n], // half
    [10n, 300n, 0n, 100n, 3n], // a third of 10 points: 3.33 → 3, in the member's favour
    [10n, 300n, 100n, 100n, 3n], // the second third: floor(6.66) − 3 = 3
    [10n, 300n, 200n, 100n, 4n], // the last third takes the rest: 10 − 6
    [0n, 99n, 0n, 99n, 0n],
  ])(
    '%s points on a %s total, %s refunded before, %s now: claws back %s',
    (points, total, before, now, expected) => {
      expect(clawbackForRefund(points, total, before, now)).toBe(expected);
    },
  );

  it('takes back exactly the points earned over any split of a full refund', () => {
    for (let seed = 1; seed < 200; seed++) {
      const total = BigInt(100 + ((seed * 7919) % 10_000));
      const points = BigInt((seed * 31) % 997);
      let refunded = 0n;
      let clawed = 0n;
      while (refunded < total) {
        const part = BigInt(1 + ((seed * 104729 + Number(refunded)) % Number(total - refunded)));
        clawed += clawbackForRefund(points, total, refunded, part);
        refunded += part;
      }
      expect(clawed).toBe(points);
    }
  });

  it('refuses more than what is left of the purchase', () => {
    expect(() => clawbackForRefund(10n, 100n, 60n, 41n)).toThrow(RangeError);
    expect(() => clawbackForRefund(10n, 100n, 0n, 0n)).toThrow(RangeError);
  });
});

describe('lots a clawback takes from', () => {
  const now = at('2026-06-01T12:00:00Z');
  const lots = [
    lot('own', 5n, '2026-06-05T00:00:00Z', '2028-01-01T00:00:00Z'),
    lot('old-available', 20n, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'),
    lot('other-pending', 8n, '2026-06-09T00:00:00Z', '2028-02-01T00:00:00Z'),
    lot('expired', 50n, '2025-01-01T00:00:00Z', '2026-05-01T00:00:00Z'),
  ];

  it('takes the purchase’s own lot, then pending points, then available ones', () => {
    expect(takeForClawback(now, lots, ['own'], 20n, 0n)).toEqual({
      takes: [
        { lotId: 'own', points: 5n },
        { lotId: 'other-pending', points: 8n },
        { lotId: 'old-available', points: 7n },
      ],
      shortfall: 0n,
    });
  });

  it('records what the live lots cannot cover as a shortfall, never touching expired lots', () => {
    expect(takeForClawback(now, lots, ['own'], 40n, 0n).shortfall).toBe(7n);
  });

  it('takes every lot of the purchase first, oldest expiry first: a partner-funded and an operator-funded lot alike', () => {
    const twoOwn = [
      ...lots,
      lot('own-operator', 4n, '2026-06-05T00:00:00Z', '2027-12-01T00:00:00Z'),
    ];
    expect(takeForClawback(now, twoOwn, ['own', 'own-operator'], 12n, 0n)).toEqual({
      takes: [
        { lotId: 'own-operator', points: 4n },
        { lotId: 'own', points: 5n },
        { lotId: 'other-pending', points: 3n },
      ],
      shortfall: 0n,
    });
  });

  it('never takes points open holds reserve: what they cover becomes the shortfall', () => {
    // 20 matured, 15 held: 5 may go; pending points are not reserved and go in full.
    expect(takeForClawback(now, lots, ['own'], 40n, 15n)).toEqual({
      takes: [
        { lotId: 'own', points: 5n },
        { lotId: 'other-pending', points: 8n },
        { lotId: 'old-available', points: 5n },
      ],
      shortfall: 22n,
    });
    expect(takeForClawback(now, lots, ['own'], 40n, 20n).takes.map((t) => t.lotId)).toEqual([
      'own',
      'other-pending',
    ]);
    // Holds reserving more than the matured lots hold (a lot expired under one): nothing matured goes.
    expect(takeForClawback(now, lots, ['own'], 40n, 25n).shortfall).toBe(27n);
  });

  it('counts the purchase’s own matured lot against what holds leave free', () => {
    const matured = [
      lot('own', 30n, '2026-01-01T00:00:00Z', '2028-01-01T00:00:00Z'),
      lot('other', 10n, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'),
      lot('pending', 6n, '2026-07-01T00:00:00Z', '2028-01-01T00:00:00Z'),
    ];
    // 40 matured, 25 held: 15 may go, all from the purchase's own lot; then the pending 6.
    expect(takeForClawback(now, matured, ['own'], 30n, 25n)).toEqual({
      takes: [
        { lotId: 'own', points: 15n },
        { lotId: 'pending', points: 6n },
      ],
      shortfall: 9n,
    });
    const { takes } = takeForClawback(now, matured, ['own'], 30n, 25n);
    const left = afterTakes(matured, takes);
    expect(balancesAt(now, left, 25n)).toEqual({ available: 0n, pending: 0n, held: 25n });
  });

  it('takes the purchase’s own lot past its expiry without counting it as spendable', () => {
    const own = [
      lot('own', 10n, '2024-01-01T00:00:00Z', '2026-06-01T00:00:00Z'),
      lot('live', 10n, '2024-01-01T00:00:00Z', '2027-01-01T00:00:00Z'),
    ];
    expect(takeForClawback(now, own, ['own'], 15n, 10n)).toEqual({
      takes: [{ lotId: 'own', points: 10n }],
      shortfall: 5n,
    });
  });

  it('never leaves the available balance below zero, whatever holds reserve (property)', () => {
    for (let seed = 1; seed < 500; seed++) {
      const n = (k: number) => BigInt((seed * k) % 37);
      const some = [
        lot(
          'own',
          n(7),
          seed % 2 ? '2026-01-01T00:00:00Z' : '2026-07-01T00:00:00Z',
          '2028-01-01T00:00:00Z',
        ),
        lot('a', n(11), '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'),
        lot('b', n(13), '2026-01-01T00:00:00Z', '2027-03-01T00:00:00Z'),
        lot('p', n(17), '2026-08-01T00:00:00Z', '2028-01-01T00:00:00Z'),
      ].filter((l) => l.remaining > 0n);
      const held = (balancesAt(now, some, 0n).available * BigInt(seed % 5)) / 4n;
      const points = 1n + n(19) * 2n;
      const { takes, shortfall } = takeForClawback(now, some, ['own'], points, held);
      const taken = takes.reduce((sum, t) => sum + t.points, 0n);
      expect(taken + shortfall).toBe(points);
      expect(balancesAt(now, afterTakes(some, takes), held).available).toBeGreaterThanOrEqual(0n);
    }
  });
});

describe('debt repaid by points a hold released', () => {
  it.each([
    // debt, released, available after the release → repaid
    [0n, 50n, 50n, 0n],
    [30n, 50n, 50n, 30n],
    [80n, 50n, 50n, 50n],
    [80n, 50n, 20n, 20n], // part of the release expired under the hold
    [80n, 50n, -10n, 0n], // other holds still reserve more than is spendable
    [80n, 0n, 40n, 0n],
  ])('a debt of %s, %s released, %s available: %s repaid', (debt, released, available, repaid) => {
    expect(debtRepaidByRelease(debt, released, available)).toBe(repaid);
  });
});

describe('points expiring soon', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const expiringLot = (id: string, remaining: bigint, expiresAt: string) =>
    lot(id, remaining, '2026-01-01T00:00:00Z', expiresAt, '2025-01-01T00:00:00Z');

  it('groups points expiring after now and within the window by UTC day, soonest first', () => {
    const lots = [
      expiringLot('a', 10n, '2026-12-01T18:00:00Z'),
      expiringLot('b', 5n, '2026-12-01T08:00:00Z'),
      expiringLot('c', 7n, '2026-11-26T00:00:00Z'),
      expiringLot('d', 3n, '2026-11-25T12:00:00Z'), // expires exactly now: already gone
      expiringLot('e', 4n, '2026-12-25T12:00:00Z'), // exactly 30 days ahead: in
      expiringLot('f', 9n, '2026-12-25T12:00:00.001Z'), // 1 ms beyond: out
      expiringLot('g', 0n, '2026-11-30T00:00:00Z'), // spent
    ];
    expect(expiringWithin(now, lots, 30)).toEqual([
      { date: '2026-11-26', firstExpiresAt: new Date('2026-11-26T00:00:00Z'), points: 7n },
      { date: '2026-12-01', firstExpiresAt: new Date('2026-12-01T08:00:00Z'), points: 15n },
      { date: '2026-12-25', firstExpiresAt: new Date('2026-12-25T12:00:00Z'), points: 4n },
    ]);
  });
});

describe('a refund of points that already expired', () => {
  it.each([
    // clawback, expired from the purchase's lot, excused by earlier refunds → excused now
    [10n, 0n, 0n, 0n],
    [10n, 10n, 0n, 10n],
    [10n, 4n, 0n, 4n],
    [3n, 10n, 0n, 3n],
    [5n, 10n, 7n, 3n],
    [5n, 10n, 10n, 0n],
  ])(
    'a clawback of %s with %s expired and %s excused before excuses %s',
    (clawback, expired, before, excused) => {
      expect(excusedByExpiry(clawback, expired, before)).toBe(excused);
    },
  );

  it('takes the purchase’s own lot first even past its expiry, and no other expired lot', () => {
    const now = at('2026-06-01T00:00:00Z');
    const lots = [
      lot('own', 10n, '2024-01-01T00:00:00Z', '2026-06-01T00:00:00Z'),
      lot('other-expired', 10n, '2024-01-01T00:00:00Z', '2026-05-01T00:00:00Z'),
      lot('live', 10n, '2024-01-01T00:00:00Z', '2027-01-01T00:00:00Z'),
    ];
    expect(takeForClawback(now, lots, ['own'], 15n, 0n)).toEqual({
      takes: [
        { lotId: 'own', points: 10n },
        { lotId: 'live', points: 5n },
      ],
      shortfall: 0n,
    });
  });
});
