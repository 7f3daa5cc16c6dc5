import { describe, expect, it } from 'vitest';
import { isLive, offerStatusAt } from './offer-status';

const now = new Date('2026-12-10T12:00:00.000Z');
const at = (iso: string) => new Date(iso);

describe('what an offer tells a reader', () => {
  it.each([
    [
      'running',
      { status: 'ACTIVE', endsAt: at('2026-12-31T00:00:00.000Z'), endedAt: null },
      true,
      { status: 'ACTIVE', endedAt: null },
    ],
    [
      'ending this very instant: endsAt is exclusive',
      { status: 'ACTIVE', endsAt: now, endedAt: null },
      false,
      { status: 'ENDED', endedAt: now },
    ],
    [
      'past its endsAt, never ended',
      { status: 'ACTIVE', endsAt: at('2026-12-01T00:00:00.000Z'), endedAt: null },
      false,
      { status: 'ENDED', endedAt: at('2026-12-01T00:00:00.000Z') },
    ],
    [
      'ended early',
      {
        status: 'ENDED',
        endsAt: at('2026-12-31T00:00:00.000Z'),
        endedAt: at('2026-12-05T00:00:00.000Z'),
      },
      false,
      { status: 'ENDED', endedAt: at('2026-12-05T00:00:00.000Z') },
    ],
  ] as const)('%s', (_, offer, live, view) => {
    expect(isLive(offer, now)).toBe(live);
    expect(offerStatusAt(offer, now)).toEqual(view);
  });
});
