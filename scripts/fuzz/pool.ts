/**
 * What the fuzzer has seen the network hand out: ids by kind (member, partner, store, hold,
 * transaction…), card numbers, receipt ids, client ids, idempotency keys. Generated calls draw
 * on it so that most of them name things that exist and reach the rules behind the first check.
 */
export class Pool {
  private readonly values = new Map<string, string[]>();
  private readonly seen = new Set<string>();
  /** The most values kept per kind: enough variety, and picks stay cheap. */
  private static readonly perKindMax = 200;

  add(kind: string, value: unknown): void {
    if (typeof value !== 'string' || value.length === 0) return;
    const key = `${kind}\u0000${value}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const list = this.values.get(kind) ?? [];
    if (list.length >= Pool.perKindMax) list[list.length % Pool.perKindMax] = value;
    else list.push(value);
    this.values.set(kind, list);
  }

  /** The caller's own things (its partner, its store, its member): picked more often than others. */
  private own: Readonly<Record<string, string>> = {};

  /** Says whose call is generated next. */
  callerOwns(own: Readonly<Record<string, string>>): void {
    this.own = own;
  }

  /** A value of that kind chosen by `index`, or undefined when none has been seen. */
  pick(kind: string, index: number): string | undefined {
    const own = this.own[kind];
    if (own !== undefined && index % 10 < 7) return own;
    const list = this.values.get(kind);
    if (!list || list.length === 0) return undefined;
    return list[index % list.length];
  }

  kinds(): string[] {
    return [...this.values.keys()];
  }
}

/** The kind of id an argument or input field names: `fromMemberId` → member, `storeIds` → store. */
export function idKindOf(name: string): string | undefined {
  const match = /^(?:from|to)?([A-Za-z]+?)Ids?$/.exec(name);
  if (!match?.[1]) return undefined;
  return match[1].charAt(0).toLowerCase() + match[1].slice(1);
}
