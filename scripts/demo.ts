/**
 * npm run demo: fills a running network with a small coalition through its public API.
 */
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { signToken } from '../shared/src/auth/jwt';
import { loadSigningKey, type SigningKey } from '../shared/src/auth/keys';
import { runCommand, UsageError } from './cli/command';
import { networkSettings } from './cli/network-settings';
import { playMonth } from './demo/activity';
import { Api, ApiError, forEachLimited, retryWhile } from './demo/api';
import { partnerSpecs } from './demo/catalog';
import { planCoalition, type PlannedMember } from './demo/plan';
import { printSummary } from './demo/report';
import { seedFrom } from './demo/rng';
import {
  ensureMember,
  ensurePartner,
  linkPartner,
  memberDirectory,
  partnerDirectory,
  type DemoContext,
  type LiveMember,
  type LivePartner,
} from './demo/setup';
import { loadState, saveState } from './demo/state';
import { Tally } from './demo/tally';
import { ensureTierLadder } from './demo/tiers';

const MEMBER_COUNT = 100;
/** Requests in flight at once (DEMO_CONCURRENCY, default 8). */
const CONCURRENCY = Math.max(1, Math.min(64, Number(process.env.DEMO_CONCURRENCY) || 8));
/** How long the partner feed may take to bring a new partner to the member service. */
const PARTNER_FEED_WAIT_MS = 30_000;
/** A run stops starting new work after this many unexpected failures. */
const FAILURES_MAX = 5;

const help = `
npm run demo

Fills the running network with a small coalition through its public API: four partners with their
stores and API credentials, ${MEMBER_COUNT} members who link one to three of them, a tier ladder (unless
one is in force) and a month of purchases, holds, burns, refunds and a goodwill credit, which
leaves members in different tiers. It finds the network as npm start left it (GATEWAY_URL,
COALITION_DATA_DIR, JWT_KEYS_DIR); running it again finds what it made and adds nothing twice.

  DEMO_SEED         replays a run: the same seed sends the same requests with the same idempotency keys
  DEMO_STATE_DIR    where demo-state.json lives (default: the data directory): credentials, members by e-mail
  DEMO_CONCURRENCY  requests in flight at once (default 8)

Exit codes: 0 done (business outcomes such as INSUFFICIENT_POINTS are counted, not failures),
1 an unexpected answer from the network, 2 a bad setting.
`;

const settings = networkSettings();
const gatewayUrl = settings.gatewayUrl;
const statePath = join(resolve(process.env.DEMO_STATE_DIR || settings.dataDir), 'demo-state.json');

const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function phase<T>(title: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  process.stdout.write(`${title}…`);
  const result = await work();
  console.log(` done in ${elapsed(started)}`);
  return result;
}

/** The month ends where the first run with this seed against this network put it, so replays match. */
function anchorFor(ctx: DemoContext, seed: number, partners: readonly LivePartner[]): Date {
  const fingerprint = createHash('sha256')
    .update(partners.map((p) => p.id).join(','))
    .digest('hex')
    .slice(0, 12);
  const key = `${seed}@${fingerprint}`;
  const saved = ctx.state.anchors[key];
  if (saved && !Number.isNaN(Date.parse(saved))) return new Date(saved);
  // Start of today (UTC): a rerun the same day without the state file still sends the same requests.
  const today = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
  ctx.state.anchors[key] = today.toISOString();
  return today;
}

async function run(seed: number, signingKey: SigningKey): Promise<number> {
  const startedAt = Date.now();
  const tally = new Tally();
  const ctx: DemoContext = {
    api: new Api(gatewayUrl),
    operatorToken: signToken(signingKey, { role: 'operator', sub: 'operator:demo' }, 3600),
    signingKey,
    state: loadState(statePath),
    runStartedAt: startedAt,
    memberTokens: new Map(),
  };
  const unexpected = (error: unknown) => {
    if (!(error instanceof ApiError)) throw error;
    tally.fail(error);
  };
  const tooMany = () => tally.unexpected.length >= FAILURES_MAX;
  try {
    const directory = partnerDirectory(ctx);
    const partners = await phase(
      'Partners: onboarding, API credentials, POST /oauth/token',
      async () => {
        const live: LivePartner[] = [];
        for (const spec of partnerSpecs) live.push(await ensurePartner(ctx, spec, directory));
        return live;
      },
    );
    const anchor = anchorFor(ctx, seed, partners);
    const plan = planCoalition({ seed, anchor, partners, memberCount: MEMBER_COUNT });
    console.log(
      `  ${partners.filter((p) => p.created).length} onboarded, ${partners.filter((p) => !p.created).length} already there; the month ends ${anchor.toISOString()}`,
    );

    const members: (LiveMember | undefined)[] = new Array(plan.length);
    const people = memberDirectory(ctx);
    await phase(`Members: ${plan.length} (found again or enrolled at a partner's till)`, () =>
      forEachLimited(
        plan,
        CONCURRENCY,
        async (planned) => {
          const enroller = partners[planned.partners[0] ?? 0];
          if (!enroller) throw new Error('a member without a partner to enrol at');
          members[planned.index] = await ensureMember(ctx, planned, enroller, people).catch(
            (error: unknown) => (unexpected(error), undefined),
          );
        },
        () => tally.failed,
      ),
    );
    saveState(statePath, ctx.state);
    if (tally.failed) return report(tally, startedAt);

    const wanted = plan.flatMap((planned) => {
      const member = members[planned.index];
      return member ? planned.partners.map((p) => ({ member, partner: partners[p]! })) : [];
    });
    const links = wanted.filter((l) => !l.member.linkedPartnerIds.includes(l.partner.id));
    await phase(
      `Links: ${links.length} of ${wanted.length} member–partner links to make (waiting for the partner feed)`,
      async () => {
        // The first link of each partner waits until the partner feed has brought it to the member service.
        const firsts = partners.flatMap((partner) =>
          links.filter((l) => l.partner === partner).slice(0, 1),
        );
        await Promise.all(
          firsts.map((l) =>
            retryWhile('NOT_FOUND', PARTNER_FEED_WAIT_MS, () =>
              linkPartner(ctx, l.member.id, l.partner),
            ).catch(unexpected),
          ),
        );
        if (tally.failed) return;
        await forEachLimited(
          links.filter((l) => !firsts.includes(l)),
          CONCURRENCY,
          (l) =>
            retryWhile('NOT_FOUND', PARTNER_FEED_WAIT_MS, () =>
              linkPartner(ctx, l.member.id, l.partner),
            ).catch(unexpected),
          () => tally.failed,
        );
      },
    );
    if (tally.failed) return report(tally, startedAt);

    await phase('Tiers: the coalition ladder (defined, or the one in force kept)', async () => {
      const ladder = await ensureTierLadder(ctx);
      process.stdout.write(` version ${ladder.version}${ladder.created ? ' defined' : ' kept'};`);
    });

    const steps = plan.reduce((n, m) => n + m.steps.length, 0);
    await phase(`Activity: ${steps} planned POS steps over 30 days`, () =>
      forEachLimited(
        plan,
        CONCURRENCY,
        async (planned: PlannedMember) => {
          const member = members[planned.index];
          if (member)
            await playMonth(ctx, tally, member.id, planned.steps, partners).catch(unexpected);
        },
        tooMany,
      ),
    );

    await printSummary(ctx, {
      gatewayUrl,
      keysDir: process.env.JWT_KEYS_DIR || null,
      seed,
      partners,
      members,
      plan,
      links: wanted.length,
      tally,
    }).catch(unexpected);
    return report(tally, startedAt, ctx.api.describeRequests());
  } catch (error) {
    unexpected(error);
    return report(tally, startedAt);
  } finally {
    saveState(statePath, ctx.state);
  }
}

function report(tally: Tally, startedAt: number, requests?: string): number {
  if (tally.failed) {
    console.error(`\n${tally.unexpected.length} unexpected failure(s):`);
    for (const error of tally.unexpected)
      console.error(`  ${error.operation}: ${error.code} — ${error.message}`);
    if (tally.unexpected.some((e) => e.code === 'NETWORK'))
      console.error(`Cannot reach the ${settings.describe()}. Is \`npm start\` running?`);
    if (tally.unexpected.some((e) => e.code === 'UNAUTHENTICATED'))
      console.error(`Is ${settings.keysDir} the key directory of the network at ${gatewayUrl}?`);
    return 1;
  }
  console.log(`\nDone in ${elapsed(startedAt)}${requests === undefined ? '' : ` (${requests})`}.`);
  return 0;
}

await runCommand(help, async (argv) => {
  if (argv.length > 0) throw new UsageError(`unexpected arguments: ${argv.join(' ')}`);
  const seed = seedFrom(process.env.DEMO_SEED);
  const signingKey = loadSigningKey(settings.keysDir);
  console.log(
    `Coalition demo against ${gatewayUrl}, seed ${seed} (replay with DEMO_SEED=${seed}; state in ${statePath})\n`,
  );
  return run(seed, signingKey);
});
