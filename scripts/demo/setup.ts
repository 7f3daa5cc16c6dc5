import { signToken } from '../../shared/src/auth/jwt';
import type { SigningKey } from '../../shared/src/auth/keys';
import { ApiError, type Api } from './api';
import type { PartnerSpec } from './catalog';
import type { PlannedMember } from './plan';
import type { DemoState } from './state';

/**
 * The coalition's cast, created through the public API or found again: partners (onboardPartner,
 * or the operator's `partners` list when the name is taken), their API credentials exchanged at
 * POST /oauth/token, and members (enrolMember, or found by email when already enrolled).
 */

export interface DemoContext {
  api: Api;
  operatorToken: string;
  signingKey: SigningKey;
  state: DemoState;
  /** Wall-clock start of this run; answers recorded before it are replays. */
  runStartedAt: number;
  memberTokens: Map<string, string>;
}

export interface LivePartner {
  spec: PartnerSpec;
  id: string;
  name: string;
  category: string;
  pointsPerCurrencyUnit: number;
  returnWindowDays: number;
  stores: { id: string; name: string; kind: 'PHYSICAL' | 'ONLINE' }[];
  /** From the partner's own credentials: what its POS backend calls with. */
  token: string;
  created: boolean;
}

export interface LiveMember {
  id: string;
  cardNumber: string;
  created: boolean;
  /** Partners the member has linked already. */
  linkedPartnerIds: string[];
}

type PartnerNode = Omit<LivePartner, 'spec' | 'token' | 'created'>;
const PARTNER_FIELDS =
  'id name category pointsPerCurrencyUnit returnWindowDays stores { id name kind }';
const PAGE = 100;

export async function ensurePartner(
  ctx: DemoContext,
  spec: PartnerSpec,
  directory: () => Promise<PartnerNode[]>,
): Promise<LivePartner> {
  let node: PartnerNode;
  let created = false;
  try {
    const data = await ctx.api.gql<{ onboardPartner: PartnerNode }>(
      ctx.operatorToken,
      `onboardPartner ${spec.name}`,
      `mutation Onboard($input: OnboardPartnerInput!) { onboardPartner(input: $input) { ${PARTNER_FIELDS} } }`,
      {
        input: {
          name: spec.name,
          legalEntity: spec.legalEntity,
          category: spec.category,
          settlementCurrency: 'EUR',
          pointsPerCurrencyUnit: spec.pointsPerCurrencyUnit,
          returnWindowDays: spec.returnWindowDays,
          stores: spec.stores,
        },
      },
    );
    node = data.onboardPartner;
    created = true;
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'CONFLICT') throw error;
    const found =
      (await directory()).find((p) => p.name === spec.name) ??
      (await directory()).find((p) => p.name.toLowerCase() === spec.name.toLowerCase());
    if (!found)
      throw new ApiError(
        'CONFLICT',
        `the name "${spec.name}" is taken, but no such partner is listed`,
        `onboardPartner ${spec.name}`,
      );
    node = found;
  }
  if (node.stores.length === 0)
    throw new ApiError(
      'NOT_FOUND',
      `partner "${node.name}" has no stores to trade at`,
      `onboardPartner ${spec.name}`,
    );
  return { ...node, spec, created, token: await partnerToken(ctx, node.id, spec.name) };
}

/** Every partner, as the operator sees them (paged); fetched once, on the first name conflict. */
export function partnerDirectory(ctx: DemoContext): () => Promise<PartnerNode[]> {
  let all: Promise<PartnerNode[]> | undefined;
  return () =>
    (all ??= pageAll(async (after) => {
      const data = await ctx.api.gql<{ partners: Connection<PartnerNode> }>(
        ctx.operatorToken,
        'partners',
        `query Partners($first: Int!, $after: String) { partners(first: $first, after: $after) { edges { node { ${PARTNER_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
        { first: PAGE, after },
      );
      return data.partners;
    }));
}

/** The partner's saved credentials exchanged for a token, or new credentials when there are none (or they stopped working). */
async function partnerToken(ctx: DemoContext, partnerId: string, name: string): Promise<string> {
  const saved = ctx.state.credentials[partnerId];
  if (saved) {
    const token = await ctx.api.clientCredentialsToken(saved.clientId, saved.clientSecret);
    if (token) return token;
  }
  const data = await ctx.api.gql<{
    createApiClient: { client: { clientId: string }; clientSecret: string };
  }>(
    ctx.operatorToken,
    `createApiClient ${name}`,
    'mutation Client($partnerId: ID!, $label: Text!) { createApiClient(partnerId: $partnerId, label: $label) { client { clientId } clientSecret } }',
    { partnerId, label: 'Demo POS backend' },
  );
  const credentials = {
    clientId: data.createApiClient.client.clientId,
    clientSecret: data.createApiClient.clientSecret,
  };
  ctx.state.credentials[partnerId] = credentials;
  const token = await ctx.api.clientCredentialsToken(
    credentials.clientId,
    credentials.clientSecret,
  );
  if (!token)
    throw new ApiError(
      'UNAUTHENTICATED',
      'new credentials were refused at POST /oauth/token',
      `createApiClient ${name}`,
    );
  return token;
}

interface MemberNode {
  id: string;
  email: string | null;
  cardNumber: string;
  linkedPartners: ({ id: string } | null)[];
}
const MEMBER_FIELDS = 'id email cardNumber linkedPartners { id }';

const live = (node: MemberNode, created: boolean): LiveMember => ({
  id: node.id,
  cardNumber: node.cardNumber,
  created,
  linkedPartnerIds: node.linkedPartners.flatMap((p) => (p ? [p.id] : [])),
});

/**
 * The member, found again (the state file's id, checked against the network) or enrolled at the
 * till of the partner they signed up with; an email enrolled without the state file knowing is
 * looked up in the operator's member list.
 */
export async function ensureMember(
  ctx: DemoContext,
  planned: PlannedMember,
  enroller: LivePartner,
  directory: () => Promise<Map<string, MemberNode>>,
): Promise<LiveMember> {
  const operation = `enrolMember ${planned.email}`;
  const saved = ctx.state.members[planned.email];
  if (saved) {
    const data = await ctx.api.gql<{ member: MemberNode | null }>(
      ctx.operatorToken,
      operation,
      `query M($id: ID!) { member(id: $id) { ${MEMBER_FIELDS} } }`,
      { id: saved.id },
    );
    if (data.member?.email === planned.email) return live(data.member, false);
  }
  try {
    const data = await ctx.api.gql<{ enrolMember: MemberNode }>(
      enroller.token,
      operation,
      `mutation Enrol($input: EnrolMemberInput!) { enrolMember(input: $input) { ${MEMBER_FIELDS} } }`,
      { input: { name: planned.name, email: planned.email } },
    );
    ctx.state.members[planned.email] = {
      id: data.enrolMember.id,
      cardNumber: data.enrolMember.cardNumber,
    };
    return live(data.enrolMember, true);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'CONFLICT') throw error;
  }
  const found = (await directory()).get(planned.email);
  if (!found)
    throw new ApiError(
      'CONFLICT',
      'the email is enrolled, but no member with it is listed',
      operation,
    );
  ctx.state.members[planned.email] = { id: found.id, cardNumber: found.cardNumber };
  return live(found, false);
}

/** Every member by email, as the operator sees them (paged): the fallback when the state file does not know an email. */
export function memberDirectory(ctx: DemoContext): () => Promise<Map<string, MemberNode>> {
  let all: Promise<Map<string, MemberNode>> | undefined;
  return () =>
    (all ??= pageAll(async (after) => {
      const data = await ctx.api.gql<{ members: Connection<MemberNode> }>(
        ctx.operatorToken,
        'members',
        `query Members($first: Int!, $after: String) { members(first: $first, after: $after) { edges { node { ${MEMBER_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
        { first: PAGE, after },
      );
      return data.members;
    }).then((nodes) => new Map(nodes.flatMap((m) => (m.email ? [[m.email, m] as const] : [])))));
}

/**
 * A member token, as the coalition's identity provider would issue it (here: `npm run token -- --role
 * member`); one per member and run, since signing parses the private key every time.
 */
export function memberToken(ctx: DemoContext, memberId: string): string {
  let token = ctx.memberTokens.get(memberId);
  if (!token) {
    token = signToken(
      ctx.signingKey,
      { role: 'member', sub: `member:${memberId}`, memberId },
      3600,
    );
    ctx.memberTokens.set(memberId, token);
  }
  return token;
}

/** The member grants the partner access; linking twice changes nothing. */
export async function linkPartner(
  ctx: DemoContext,
  memberId: string,
  partner: LivePartner,
): Promise<void> {
  await ctx.api.gql(
    memberToken(ctx, memberId),
    `linkPartner ${partner.name}`,
    'mutation Link($m: ID!, $p: ID!) { linkPartner(memberId: $m, partnerId: $p) { id } }',
    { m: memberId, p: partner.id },
  );
}

export interface Connection<T> {
  edges: { node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export async function pageAll<T>(
  fetchPage: (after: string | null) => Promise<Connection<T>>,
): Promise<T[]> {
  const nodes: T[] = [];
  for (let after: string | null = null; ;) {
    const page: Connection<T> = await fetchPage(after);
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return nodes;
    after = page.pageInfo.endCursor;
  }
}
