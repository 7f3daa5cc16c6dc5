/**
 * Keeps a label's values few. A label value is a time series for as long as the process lives, and
 * operation names come from callers: a client sending a new name on every request would otherwise
 * grow the registry without bound. Names outside the pattern, and new names past the cap, count as
 * `other`.
 */
export class LabelGuard {
  private readonly seen = new Set<string>();

  constructor(
    private readonly cap: number,
    private readonly pattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
  ) {}

  value(raw: string | null | undefined, missing = 'anonymous'): string {
    if (raw === null || raw === undefined || raw === '') return missing;
    if (!this.pattern.test(raw)) return 'other';
    if (this.seen.has(raw)) return raw;
    if (this.seen.size >= this.cap) return 'other';
    this.seen.add(raw);
    return raw;
  }
}
