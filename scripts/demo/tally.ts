import type { ApiError } from './api';

/** Counts of what happened, the business outcomes the API answered with, and the unexpected failures. */
export class Tally {
  private readonly counts = new Map<string, number>();
  private readonly outcomes = new Map<string, number>();
  readonly unexpected: ApiError[] = [];

  add(what: string, n = 1): void {
    this.counts.set(what, this.get(what) + n);
  }

  get(what: string): number {
    return this.counts.get(what) ?? 0;
  }

  /** An answer the demo expects now and then (INSUFFICIENT_POINTS for a too-large burn, …). */
  outcome(operation: string, code: string): void {
    const key = `${operation} ${code}`;
    this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
  }

  outcomeCount(code: string): number {
    let total = 0;
    for (const [key, n] of this.outcomes) if (key.endsWith(` ${code}`)) total += n;
    return total;
  }

  outcomeLines(): string[] {
    return [...this.outcomes]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, n]) => `${key} ×${n}`);
  }

  fail(error: ApiError): void {
    this.unexpected.push(error);
  }

  get failed(): boolean {
    return this.unexpected.length > 0;
  }
}
