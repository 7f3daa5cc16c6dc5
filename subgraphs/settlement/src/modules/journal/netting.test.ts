import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  directInstructions,
  hubInstructions,
  OPERATOR,
  type NetPosition,
  type PaymentInstruction,
} from './netting';

/**
 * Random obligation graphs: parties owe each other amounts in one or two currencies; each
 * party's net is what it is owed less what it owes, so the nets of a currency sum to zero by
 * construction (docs/ledger.md, L11), and the payment rules are checked against them.
 */
const parties = ['operator', 'p-a', 'p-b', 'p-c', 'p-d', 'p-e', 'p-f', 'p-g'];
const obligation = fc.record({
  debtor: fc.constantFrom(...parties),
  creditor: fc.constantFrom(...parties),
  currency: fc.constantFrom('EUR', 'GBP'),
  amount: fc.bigInt({ min: 1n, max: 10n ** 12n }),
});
const graphs = fc.array(obligation, { maxLength: 60 });

function netsOf(
  obligations: readonly { debtor: string; creditor: string; currency: string; amount: bigint }[],
): NetPosition[] {
  const nets = new Map<string, NetPosition>();
  const add = (party: string, currency: string, amount: bigint) => {
    const key = `${currency}|${party}`;
    const position = nets.get(key) ?? { party, currency, net: 0n };
    position.net += amount;
    nets.set(key, position);
  };
  for (const o of obligations) {
    add(o.debtor, o.currency, -o.amount);
    add(o.creditor, o.currency, o.amount);
  }
  return [...nets.values()];
}

/** Applies the payments to the nets: every party must end at exactly zero. */
function settle(
  positions: readonly NetPosition[],
  instructions: readonly PaymentInstruction[],
): Map<string, bigint> {
  const left = new Map(positions.map((p) => [`${p.currency}|${p.party}`, p.net]));
  for (const i of instructions) {
    left.set(`${i.currency}|${i.payer}`, (left.get(`${i.currency}|${i.payer}`) ?? 0n) + i.amount);
    left.set(`${i.currency}|${i.payee}`, (left.get(`${i.currency}|${i.payee}`) ?? 0n) - i.amount);
  }
  return left;
}

const positiveSum = (positions: readonly NetPosition[], currency: string) =>
  positions.filter((p) => p.currency === currency && p.net > 0n).reduce((s, p) => s + p.net, 0n);

describe('net positions of a random obligation graph', () => {
  it('sum to zero per currency', () => {
    fc.assert(
      fc.property(graphs, (obligations) => {
        for (const currency of ['EUR', 'GBP']) {
          expect(
            netsOf(obligations)
              .filter((p) => p.currency === currency)
              .reduce((s, p) => s + p.net, 0n),
          ).toBe(0n);
        }
      }),
    );
  });
});

describe('the hub model', () => {
  it('emits one instruction per partner with a non-zero net, to or from the operator, and settles everyone', () => {
    fc.assert(
      fc.property(graphs, (obligations) => {
        const positions = netsOf(obligations);
        const instructions = hubInstructions(positions);
        const nonZeroPartners = positions.filter((p) => p.party !== OPERATOR && p.net !== 0n);
        expect(instructions).toHaveLength(nonZeroPartners.length);
        for (const i of instructions) {
          expect(i.amount).toBeGreaterThan(0n);
          expect([i.payer, i.payee]).toContain(OPERATOR);
          expect(i.payer).not.toBe(i.payee);
        }
        for (const rest of settle(positions, instructions).values()) expect(rest).toBe(0n);
      }),
    );
  });
});

describe('the direct model', () => {
  it('emits at most N − 1 payments per currency, moving exactly the sum of positive nets, and settles everyone', () => {
    fc.assert(
      fc.property(graphs, (obligations) => {
        const positions = netsOf(obligations);
        const instructions = directInstructions(positions);
        for (const currency of ['EUR', 'GBP']) {
          const nonZero = positions.filter((p) => p.currency === currency && p.net !== 0n).length;
          const payments = instructions.filter((i) => i.currency === currency);
          expect(payments.length).toBeLessThanOrEqual(Math.max(nonZero - 1, 0));
          expect(payments.reduce((s, i) => s + i.amount, 0n)).toBe(
            positiveSum(positions, currency),
          );
        }
        for (const i of instructions) expect(i.amount).toBeGreaterThan(0n);
        for (const rest of settle(positions, instructions).values()) expect(rest).toBe(0n);
      }),
    );
  });

  it('is deterministic: the same nets in any order give the same payments', () => {
    fc.assert(
      fc.property(graphs, fc.integer(), (obligations, seed) => {
        const positions = netsOf(obligations);
        const shuffled = [...positions].sort(
          (a, b) =>
            ((a.party.charCodeAt(2) * 31 + seed) % 7) - ((b.party.charCodeAt(2) * 31 + seed) % 7),
        );
        expect(directInstructions(shuffled)).toEqual(directInstructions(positions));
        expect(hubInstructions(shuffled)).toEqual(hubInstructions(positions));
      }),
    );
  });

  it('refuses positions that do not sum to zero', () => {
    expect(() => directInstructions([{ party: 'p-a', currency: 'EUR', net: 5n }])).toThrow(
      /sum to 5/,
    );
  });
});
