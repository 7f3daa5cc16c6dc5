import { randomUUID } from 'node:crypto';
import { gql, type GraphQLResponse } from './graphql';

/** Typed wallet calls through a GraphQL endpoint (the gateway, or the member subgraph directly). */

export interface WalletView {
  available: string;
  pending: string;
  held: string;
  lifetimeEarned: string;
}

const WALLET = 'available pending held lifetimeEarned';
const HOLD = 'id status points capturedPoints expiresAt';

export interface Purchase {
  memberId?: string;
  cardNumber?: string;
  storeId: string;
  total: string;
  currency?: string;
  receiptId?: string;
  idempotencyKey?: string;
  lines?: { sku: string; category: string; amount: string }[];
  occurredAt?: string;
}

export function earnInput(p: Purchase): Record<string, unknown> {
  return {
    idempotencyKey: p.idempotencyKey ?? randomUUID(),
    ...(p.cardNumber ? { cardNumber: p.cardNumber } : { memberId: p.memberId }),
    storeId: p.storeId,
    receiptId: p.receiptId ?? `R-${randomUUID()}`,
    occurredAt: p.occurredAt ?? new Date().toISOString(),
    total: p.total,
    currency: p.currency ?? 'EUR',
    lines: p.lines ?? [{ sku: 'SKU-1', category: 'grocery', amount: p.total }],
  };
}

export type EarnResponse = GraphQLResponse<{
  earnPoints: { transactionId: string; pointsEarned: string; wallet: WalletView };
}>;
export type HoldResponse = GraphQLResponse<{
  holdPoints: { id: string; status: string; points: string; capturedPoints: string | null };
}>;
export type BurnResponse = GraphQLResponse<{
  capturePoints?: {
    transactionId: string;
    pointsBurned: string;
    wallet: WalletView;
    hold: { status: string } | null;
  };
  burnPoints?: { transactionId: string; pointsBurned: string; wallet: WalletView };
}>;

export const earn = (
  url: string,
  token: string,
  input: Record<string, unknown>,
): Promise<EarnResponse> =>
  gql(
    url,
    `mutation E($input: EarnPointsInput!) { earnPoints(input: $input) { transactionId pointsEarned wallet { ${WALLET} } } }`,
    { input },
    token,
  );

export const hold = (
  url: string,
  token: string,
  input: Record<string, unknown>,
): Promise<HoldResponse> =>
  gql(
    url,
    `mutation H($input: HoldPointsInput!) { holdPoints(input: $input) { ${HOLD} } }`,
    { input },
    token,
  );

export const capture = (
  url: string,
  token: string,
  input: Record<string, unknown>,
): Promise<BurnResponse> =>
  gql(
    url,
    `mutation C($input: CapturePointsInput!) { capturePoints(input: $input) { transactionId pointsBurned wallet { ${WALLET} } hold { status } } }`,
    { input },
    token,
  );

export const voidHold = (
  url: string,
  token: string,
  input: Record<string, unknown>,
): Promise<GraphQLResponse<{ voidHold: { id: string; status: string } }>> =>
  gql(
    url,
    `mutation V($input: VoidHoldInput!) { voidHold(input: $input) { id status } }`,
    { input },
    token,
  );

export const burn = (
  url: string,
  token: string,
  input: Record<string, unknown>,
): Promise<BurnResponse> =>
  gql(
    url,
    `mutation B($input: BurnPointsInput!) { burnPoints(input: $input) { transactionId pointsBurned wallet { ${WALLET} } } }`,
    { input },
    token,
  );

export async function walletOf(
  url: string,
  token: string,
  memberId: string,
): Promise<WalletView | null> {
  const response = await gql<{ wallet: WalletView | null }>(
    url,
    `query W($id: ID!) { wallet(memberId: $id) { ${WALLET} } }`,
    { id: memberId },
    token,
  );
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data?.wallet ?? null;
}

export type RefundResponse = GraphQLResponse<{
  refundPurchase?: {
    transactionId: string;
    points: string;
    debtRecorded: string;
    pointsExpired?: string;
    wallet: WalletView & { debt: string };
  };
  refundBurn?: { transactionId: string; points: string; wallet: WalletView & { debt: string } };
}>;

export const refundPurchase = (
  url: string,
  token: string,
  input: Record<string, unknown>,
): Promise<RefundResponse> =>
  gql(
    url,
    `mutation R($input: RefundPurchaseInput!) { refundPurchase(input: $input) { transactionId points debtRecorded pointsExpired wallet { ${WALLET} debt } } }`,
    { input },
    token,
  );

export const refundBurn = (
  url: string,
  token: string,
  input: Record<string, unknown>,
): Promise<RefundResponse> =>
  gql(
    url,
    `mutation R($input: RefundBurnInput!) { refundBurn(input: $input) { transactionId points wallet { ${WALLET} debt } } }`,
    { input },
    token,
  );
