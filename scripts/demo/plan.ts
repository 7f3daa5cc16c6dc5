import { emailDomains, emailLocalPart, firstNames, lastNames, type PartnerSpec } from './catalog';
import { Rng } from './rng';

/**
 * The whole demo decided up front from the seed, before any request: who the members are, which
 * partners they link, and each member's month as an ordered list of steps with their idempotency
 * keys. Nothing here depends on an API answer, so the same seed sends the same requests again —
 * and a rerun is a replay. Burn amounts come from a conservative simulation of each wallet.
 */

export interface PlanPartner {
  spec: PartnerSpec;
  pointsPerCurrencyUnit: number;
  returnWindowDays: number;
  stores: readonly { kind: 'PHYSICAL' | 'ONLINE' }[];
}

export interface Line {
  sku: string;
  category: string;
  amount: number;
}

/** `partner` and `store` are indices into the partners and their stores. */
export type Step =
  | {
      kind: 'earn';
      key: string;
      partner: number;
      store: number;
      receiptId: string;
      occurredAt: string;
      total: number;
      lines: Line[];
    }
  | {
      kind: 'refundPurchase';
      key: string;
      partner: number;
      store: number;
      receiptId: string;
      amount: number | null;
    }
  | { kind: 'burn'; key: string; partner: number; store: number; points: number; reference: string }
  | {
      kind: 'hold';
      key: string;
      partner: number;
      store: number;
      points: number;
      then: { kind: 'capture'; key: string; points: number | null } | { kind: 'void'; key: string };
    }
  | { kind: 'refundBurn'; key: string; partner: number; burnKey: string; points: number | null }
  | { kind: 'adjust'; key: string; points: number; note: string };

export interface PlannedMember {
  index: number;
  name: string;
  email: string;
  /** Partners the member links, in order; the first is where they signed up. */
  partners: number[];
  steps: Step[];
}

const DAY_MS = 86_400_000;
const MONTH_MS = 30 * DAY_MS;
const HOUR_MS = 3_600_000;

type Intent =
  | {
      at: number;
      kind: 'purchase';
      partner: number;
      store: number;
      lines: Line[];
      receiptId: string;
      refund: { at: number; partial: boolean; sameStore: boolean } | null;
    }
  | { at: number; kind: 'refund'; receiptId: string }
  | { at: number; kind: 'spend'; partner: number; hold: boolean; overspend: boolean };

interface SimPurchase {
  partner: number;
  store: number;
  points: number;
  total: number;
  lines: Line[];
  pending: boolean;
  partial: boolean;
  sameStore: boolean;
}

export function planCoalition(options: {
  seed: number;
  anchor: Date;
  partners: readonly PlanPartner[];
  memberCount: number;
}): PlannedMember[] {
  const rng = new Rng(options.seed);
  const seedTag = options.seed.toString(16).toUpperCase().padStart(8, '0');
  const emails = new Set<string>();
  const members: PlannedMember[] = [];
  for (let index = 0; index < options.memberCount; index++) {
    const first = rng.pick(firstNames);
    const last = rng.pick(lastNames);
    let email: string;
    do {
      const suffix = rng.chance(0.55) ? String(rng.int(1, 99)).padStart(2, '0') : '';
      email = `${emailLocalPart(first, last)}${suffix}@${rng.pick(emailDomains)}`;
    } while (emails.has(email));
    emails.add(email);
    const linkCount = Math.min(
      options.partners.length,
      rng.chance(0.35) ? 1 : rng.chance(0.6) ? 2 : 3,
    );
    const partners = rng.sample(
      options.partners.map((_, i) => i),
      linkCount,
    );
    const member: PlannedMember = { index, name: `${first} ${last}`, email, partners, steps: [] };
    member.steps = planMonth(
      rng,
      member,
      options.partners,
      options.anchor.getTime(),
      `demo-${options.seed}-m${index}`,
      `${seedTag}-${String(index).padStart(3, '0')}`,
    );
    members.push(member);
  }
  addGoodwill(rng, members, options.seed, seedTag);
  return members;
}

function planMonth(
  rng: Rng,
  member: PlannedMember,
  partners: readonly PlanPartner[],
  anchor: number,
  keyPrefix: string,
  receiptTag: string,
): Step[] {
  const intents: Intent[] = [];
  let receipts = 0;
  for (const p of member.partners) {
    const partner = partners[p]!;
    const visits = Math.max(1, rng.int(...partner.spec.visitsPerMonth));
    for (let v = 0; v < visits; v++) {
      const at = anchor - rng.int(10 * 60_000, MONTH_MS);
      const store = rng.int(0, partner.stores.length - 1);
      const receiptId = `${partner.spec.code}${store + 1}-${receiptTag}-${String(++receipts).padStart(2, '0')}`;
      const refund = rng.chance(partner.spec.refundRate)
        ? {
            at: Math.min(at + rng.int(HOUR_MS, 10 * DAY_MS), anchor - 1_000),
            partial: rng.chance(0.6),
            sameStore: rng.chance(0.7),
          }
        : null;
      intents.push({
        at,
        kind: 'purchase',
        partner: p,
        store,
        lines: basket(rng, partner.spec),
        receiptId,
        refund,
      });
      if (refund) intents.push({ at: refund.at, kind: 'refund', receiptId });
    }
  }
  const spends = rng.chance(0.65) ? rng.int(1, 2) : 0;
  for (let s = 0; s < spends; s++) {
    intents.push({
      at: anchor - rng.int(0, 20 * DAY_MS),
      kind: 'spend',
      partner: rng.pick(member.partners),
      hold: rng.chance(0.45),
      overspend: rng.chance(0.06),
    });
  }
  intents.sort((a, b) => a.at - b.at);
  return simulate(rng, intents, partners, anchor, keyPrefix);
}

/** Walks the month in order, keeping a cautious estimate of the wallet, and turns intents into steps. */
function simulate(
  rng: Rng,
  intents: readonly Intent[],
  partners: readonly PlanPartner[],
  anchor: number,
  keyPrefix: string,
): Step[] {
  const steps: Step[] = [];
  let n = 0;
  const key = (kind: string) => `${keyPrefix}-${++n}-${kind}`;
  const purchases = new Map<string, SimPurchase>();
  let available = 0;
  let pending = 0;
  let debt = 0;
  /** Takes points back as a refund would, assuming the worst for what stays spendable. */
  const clawBack = (points: number, ownPending: boolean) => {
    const buckets = ownPending
      ? (['pending', 'available'] as const)
      : (['available', 'pending'] as const);
    let rest = points;
    for (const bucket of buckets) {
      const take = Math.min(rest, bucket === 'pending' ? pending : available);
      if (bucket === 'pending') pending -= take;
      else available -= take;
      rest -= take;
    }
    debt += rest;
  };
  for (const intent of intents) {
    if (intent.kind === 'purchase') {
      const partner = partners[intent.partner]!;
      const total = intent.lines.reduce((sum, line) => sum + line.amount, 0);
      const points = Math.floor((total * partner.pointsPerCurrencyUnit) / 100);
      const repaid = Math.min(points, debt);
      debt -= repaid;
      const isPending = intent.at + partner.returnWindowDays * DAY_MS > anchor;
      if (isPending) pending += points - repaid;
      else available += points - repaid;
      purchases.set(intent.receiptId, {
        partner: intent.partner,
        store: intent.store,
        points,
        total,
        lines: intent.lines,
        pending: isPending,
        partial: intent.refund?.partial ?? false,
        sameStore: intent.refund?.sameStore ?? true,
      });
      steps.push({
        kind: 'earn',
        key: key('earn'),
        partner: intent.partner,
        store: intent.store,
        receiptId: intent.receiptId,
        occurredAt: new Date(intent.at).toISOString(),
        total,
        lines: intent.lines,
      });
    } else if (intent.kind === 'refund') {
      const purchase = purchases.get(intent.receiptId)!;
      // A partial refund returns one line (the last); a one-line receipt goes back whole.
      const line =
        purchase.partial && purchase.lines.length > 1
          ? purchase.lines[purchase.lines.length - 1]!
          : null;
      const points = line
        ? Math.ceil((purchase.points * line.amount) / purchase.total)
        : purchase.points;
      clawBack(points, purchase.pending);
      const stores = partners[purchase.partner]!.stores.length;
      const store = purchase.sameStore ? purchase.store : rng.int(0, stores - 1);
      steps.push({
        kind: 'refundPurchase',
        key: key('refund'),
        partner: purchase.partner,
        store,
        receiptId: intent.receiptId,
        amount: line ? line.amount : null,
      });
    } else {
      const partner = partners[intent.partner]!;
      const store = storeFor(rng, partner, intent.hold ? 'PHYSICAL' : 'ONLINE');
      const fraction = 0.2 + 0.6 * rng.next();
      let points: number;
      if (intent.overspend) {
        points = roundUp(available + rng.int(20, 400), 10);
      } else {
        if (available < 60) continue;
        points = Math.max(10, Math.floor((available * fraction) / 10) * 10);
      }
      if (intent.hold) {
        const capture = rng.chance(0.7);
        const captured =
          capture && rng.chance(0.4)
            ? Math.max(10, Math.floor((points * (0.5 + 0.45 * rng.next())) / 10) * 10)
            : null;
        const holdKey = key('hold');
        const then = capture
          ? { kind: 'capture' as const, key: key('capture'), points: captured }
          : { kind: 'void' as const, key: key('void') };
        steps.push({ kind: 'hold', key: holdKey, partner: intent.partner, store, points, then });
        if (intent.overspend || !capture) continue;
        available -= captured ?? points;
        if (rng.chance(0.1))
          available += refundOf(rng, steps, key, intent.partner, then.key, captured ?? points);
      } else {
        const burnKey = key('burn');
        steps.push({
          kind: 'burn',
          key: burnKey,
          partner: intent.partner,
          store,
          points,
          reference: `ORDER-${burnKey.slice(5).toUpperCase()}`,
        });
        if (intent.overspend) continue;
        available -= points;
        if (rng.chance(0.15))
          available += refundOf(rng, steps, key, intent.partner, burnKey, points);
      }
    }
  }
  return steps;
}

/** The order came back: the burn's points are given back, all or half. Returns the points. */
function refundOf(
  rng: Rng,
  steps: Step[],
  key: (kind: string) => string,
  partner: number,
  burnKey: string,
  burned: number,
): number {
  const half = rng.chance(0.5) && burned >= 20 ? Math.floor(burned / 2) : null;
  steps.push({ kind: 'refundBurn', key: key('refund-burn'), partner, burnKey, points: half });
  return half ?? burned;
}

function storeFor(rng: Rng, partner: PlanPartner, preferred: 'PHYSICAL' | 'ONLINE'): number {
  const matching = partner.stores.flatMap((store, i) => (store.kind === preferred ? [i] : []));
  return matching.length > 0 ? rng.pick(matching) : rng.int(0, partner.stores.length - 1);
}

function basket(rng: Rng, spec: PartnerSpec): Line[] {
  const count = rng.int(...spec.linesPerReceipt);
  return Array.from({ length: count }, () => {
    const product = rng.pick(spec.products);
    // Prices end in 9 (2.49, 59.99): the way shelves price things.
    const amount = Math.floor(rng.int(...product.priceCents) / 10) * 10 + 9;
    return { sku: product.sku, category: product.category, amount };
  });
}

const roundUp = (value: number, step: number) => Math.ceil(value / step) * step;

/** Customer service credits two members for a bad experience, funded by the operator. */
function addGoodwill(rng: Rng, members: PlannedMember[], seed: number, seedTag: string): void {
  const reasons = [
    'parcel arrived nine days late',
    'charged twice at the till, card payment reversed',
    'points missing from a receipt the till could not scan',
  ];
  const chosen = rng.sample(members, Math.min(2, members.length));
  chosen.forEach((member, i) => {
    member.steps.push({
      kind: 'adjust',
      key: `demo-${seed}-m${member.index}-goodwill`,
      points: rng.pick([150, 250, 500]),
      note: `Goodwill: ${rng.pick(reasons)} (ticket CS-${seedTag}-${i + 1})`,
    });
  });
}
