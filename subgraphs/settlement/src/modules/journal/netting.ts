/**
 * Payment instructions from net positions, pure. A position is what a party receives (positive)
 * or pays (negative) in one currency; the positions of a currency sum to zero. The operator is a
 * party like the partners ("operator"), so the hub is simply the operator.
 */

export const OPERATOR = 'operator';

export interface NetPosition {
  party: string;
  currency: string;
  net: bigint;
}

export interface PaymentInstruction {
  currency: string;
  payer: string;
  payee: string;
  amount: bigint;
}

export type SettlementModel = 'HUB' | 'DIRECT';

function byCurrency(positions: readonly NetPosition[]): Map<string, NetPosition[]> {
  const groups = new Map<string, NetPosition[]>();
  for (const position of positions) {
    const group = groups.get(position.currency) ?? [];
    group.push(position);
    groups.set(position.currency, group);
  }
  for (const [currency, group] of groups) {
    const sum = group.reduce((total, p) => total + p.net, 0n);
    if (sum !== 0n) throw new RangeError(`the ${currency} positions sum to ${sum}, not zero`);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const byParty = (a: NetPosition, b: NetPosition) =>
  a.party < b.party ? -1 : a.party > b.party ? 1 : 0;

/** Through the operator: one payment per partner with a non-zero net, to or from the operator. */
export function hubInstructions(positions: readonly NetPosition[]): PaymentInstruction[] {
  const instructions: PaymentInstruction[] = [];
  for (const [currency, group] of byCurrency(positions)) {
    for (const p of [...group].sort(byParty)) {
      if (p.party === OPERATOR || p.net === 0n) continue;
      instructions.push(
        p.net < 0n
          ? { currency, payer: p.party, payee: OPERATOR, amount: -p.net }
          : { currency, payer: OPERATOR, payee: p.party, amount: p.net },
      );
    }
  }
  return instructions;
}

/**
 * Directly between parties (the operator included, for its own net): the largest debtor pays the
 * largest creditor until one of them is settled, then the next. Each payment settles at least one
 * party, and the last settles two, so N parties with a non-zero net need at most N − 1 payments,
 * moving exactly the sum of the positive nets. Ties break by party id, so the result is
 * deterministic (a rerun reproduces it).
 */
export function directInstructions(positions: readonly NetPosition[]): PaymentInstruction[] {
  const instructions: PaymentInstruction[] = [];
  const largestFirst = (a: { left: bigint; party: string }, b: { left: bigint; party: string }) =>
    a.left > b.left ? -1 : a.left < b.left ? 1 : a.party < b.party ? -1 : a.party > b.party ? 1 : 0;
  for (const [currency, group] of byCurrency(positions)) {
    const debtors = group
      .filter((p) => p.net < 0n)
      .map((p) => ({ party: p.party, left: -p.net }))
      .sort(largestFirst);
    const creditors = group
      .filter((p) => p.net > 0n)
      .map((p) => ({ party: p.party, left: p.net }))
      .sort(largestFirst);
    let d = 0;
    let c = 0;
    while (d < debtors.length && c < creditors.length) {
      const debtor = debtors[d]!;
      const creditor = creditors[c]!;
      const amount = debtor.left < creditor.left ? debtor.left : creditor.left;
      instructions.push({ currency, payer: debtor.party, payee: creditor.party, amount });
      debtor.left -= amount;
      creditor.left -= amount;
      if (debtor.left === 0n) d += 1;
      if (creditor.left === 0n) c += 1;
    }
  }
  return instructions;
}

export function paymentInstructions(
  model: SettlementModel,
  positions: readonly NetPosition[],
): PaymentInstruction[] {
  return model === 'HUB' ? hubInstructions(positions) : directInstructions(positions);
}
