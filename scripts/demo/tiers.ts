import type { DemoContext } from './setup';

/**
 * The demo's tier ladder (docs/tiers.md): qualifying points over the calendar year, thresholds a
 * month of the demo's purchases spreads its members across. Defined once: a later run finds the
 * ladder in force and keeps it.
 */
const LADDER = {
  metric: 'QUALIFYING_POINTS',
  period: 'CALENDAR_YEAR',
  timeZone: 'Europe/Berlin',
  currency: 'EUR',
  graceDays: 30,
  tiers: [
    { code: 'SILVER', name: 'Silver', threshold: '150' },
    { code: 'GOLD', name: 'Gold', threshold: '400' },
    { code: 'PLATINUM', name: 'Platinum', threshold: '900' },
  ],
};

export async function ensureTierLadder(
  ctx: DemoContext,
): Promise<{ version: number; created: boolean }> {
  const found = await ctx.api.gql<{ tierLadder: { version: number } | null }>(
    ctx.operatorToken,
    'tierLadder',
    '{ tierLadder { version } }',
  );
  if (found.tierLadder) return { version: found.tierLadder.version, created: false };
  const defined = await ctx.api.gql<{ defineTierLadder: { version: number } }>(
    ctx.operatorToken,
    'defineTierLadder',
    'mutation D($input: TierLadderInput!) { defineTierLadder(input: $input) { version } }',
    { input: LADDER },
  );
  return { version: defined.defineTierLadder.version, created: true };
}

/** "none 40, SILVER 30, GOLD 20, PLATINUM 10": members by the tier they hold, lowest first. */
export function tierLine(tiers: readonly (string | null)[]): string {
  const order = ['none', ...LADDER.tiers.map((t) => t.code)];
  const counts = new Map<string, number>();
  for (const tier of tiers) counts.set(tier ?? 'none', (counts.get(tier ?? 'none') ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([tier, n]) => `${tier} ${n}`)
    .join(', ');
}
