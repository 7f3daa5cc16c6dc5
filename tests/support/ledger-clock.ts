import type { Database } from './sql';

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * The member database's ledger clock, frozen by a suite (migration 1764108000000-ledger-clock):
 * `ledger_now()` reads `ledger_clock.frozen_at` while its one row exists. Every wallet time — lock
 * time, lot maturity and expiry, hold timeouts, the expiry run — is ledger time, so a suite that
 * freezes it hits a boundary to the millisecond without waiting.
 *
 * Time only moves forward here: the wallet reads ledger time under each member's lock and relies on
 * it never going back (a link older than its lot, a hold resolved before it was placed), so going
 * back is refused as the suite's own mistake.
 */
export interface LedgerClock {
  /** The frozen instant; undefined while the clock runs. */
  readonly now: Date | undefined;
  /** Freezes ledger time at `at` (not before the instant it is frozen at now). */
  freezeAt(at: Date): Promise<Date>;
  /** Moves the frozen clock on by `ms` (at least 0). */
  advance(ms: number): Promise<Date>;
  /** Lets ledger time run with the database clock again. */
  thaw(): Promise<void>;
}

export function ledgerClock(memberDb: Database): LedgerClock {
  let frozenAt: Date | undefined;
  const clock: LedgerClock = {
    get now() {
      return frozenAt;
    },
    async freezeAt(at) {
      if (!Number.isFinite(at.getTime())) throw new RangeError('freezeAt wants a valid instant');
      if (frozenAt && at < frozenAt)
        throw new RangeError(
          `ledger time does not go back: frozen at ${frozenAt.toISOString()}, asked for ${at.toISOString()}`,
        );
      const rows = await memberDb.rows<{ frozen_at: Date }>(
        `INSERT INTO ledger_clock (singleton, frozen_at) VALUES (true, $1)
         ON CONFLICT (singleton) DO UPDATE SET frozen_at = EXCLUDED.frozen_at RETURNING frozen_at`,
        [at],
      );
      const stored = rows[0]?.frozen_at;
      if (stored?.getTime() !== at.getTime())
        throw new Error(`the ledger clock stored ${stored?.toISOString()} for ${at.toISOString()}`);
      frozenAt = new Date(at.getTime());
      return frozenAt;
    },
    async advance(ms) {
      if (!frozenAt) throw new Error('advance needs a frozen clock: freezeAt first');
      if (!(ms >= 0)) throw new RangeError('the ledger clock only moves forward');
      return clock.freezeAt(new Date(frozenAt.getTime() + ms));
    },
    async thaw() {
      await memberDb.rows('DELETE FROM ledger_clock');
      frozenAt = undefined;
    },
  };
  return clock;
}
