import { expect } from 'vitest';
import { eventually, operatorToken } from './graphql';

export interface PartnerFact {
  type: string;
  key: string;
  payload: Record<string, unknown>;
}

/** Every fact on the partner feed so far, read as the member service reads it (operators may too). */
export async function partnerFeed(partnerServiceUrl: string): Promise<PartnerFact[]> {
  const facts: PartnerFact[] = [];
  let after = '0.0';
  for (;;) {
    const response = await fetch(`${partnerServiceUrl}/feed?after=${after}&limit=500`, {
      headers: { authorization: `Bearer ${operatorToken()}` },
    });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { facts: PartnerFact[]; next: string };
    facts.push(...page.facts);
    if (page.facts.length === 0) return facts;
    after = page.next;
  }
}

/** The facts the feed serves that match, once there are at least `count` of them. */
export async function factsWhere(
  partnerServiceUrl: string,
  what: string,
  match: (fact: PartnerFact) => boolean,
  count = 1,
): Promise<PartnerFact[]> {
  return eventually(
    async () => {
      const found = (await partnerFeed(partnerServiceUrl)).filter(match);
      return found.length >= count ? found : undefined;
    },
    15_000,
    `${count} ${what} fact(s)`,
  );
}
