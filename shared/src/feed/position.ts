/**
 * A fact's position in a feed: the producing transaction's id (xid8) and the fact's sequence
 * number within the outbox. Ordered by transaction id first: every transaction with an id below the
 * oldest still-running one has finished, so a reader that stops there never skips a fact that
 * commits late (docs/architecture.md, Event feeds). Written as "<txId>.<seq>"; "0.0" is before everything.
 */
export interface FeedPosition {
  txId: bigint;
  seq: bigint;
}

export const FEED_START = '0.0';

// The columns behind a position: tx_id is xid8 (unsigned 64-bit), seq a bigserial (signed 64-bit).
// Anything larger is no position at all, and must be refused here rather than fail inside Postgres.
const TX_ID_MAX = 2n ** 64n - 1n;
const SEQ_MAX = 2n ** 63n - 1n;

export function parsePosition(text: string): FeedPosition | undefined {
  const match = /^(\d{1,20})\.(\d{1,20})$/.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  const position = { txId: BigInt(match[1]), seq: BigInt(match[2]) };
  return position.txId <= TX_ID_MAX && position.seq <= SEQ_MAX ? position : undefined;
}

export function formatPosition(position: FeedPosition): string {
  return `${position.txId}.${position.seq}`;
}

export function comparePositions(a: string, b: string): number {
  const pa = parsePosition(a);
  const pb = parsePosition(b);
  if (!pa || !pb) throw new Error(`malformed feed position: ${pa ? b : a}`);
  if (pa.txId !== pb.txId) return pa.txId < pb.txId ? -1 : 1;
  return pa.seq === pb.seq ? 0 : pa.seq < pb.seq ? -1 : 1;
}
