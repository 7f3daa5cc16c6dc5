import { badInput } from '../errors';
import { limits } from '../limits';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page {
  /** Rows to return. */
  limit: number;
  /** The keyset value to continue after, decoded from the opaque cursor. */
  after: string | undefined;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

const encode = (value: string) => Buffer.from(`v1:${value}`, 'utf8').toString('base64url');

function decode(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('v1:')) throw badInput('after is not a cursor this API returned.', 'after');
  return text.slice(3);
}

/**
 * Validates first/after: first in 0..pageSizeMax (default pageSizeDefault; 0, which the Relay
 * specification allows, asks only whether there are items), after an opaque cursor.
 */
export function pageOf(args: PageArgs): Page {
  const first = args.first ?? limits.pageSizeDefault;
  if (!Number.isInteger(first) || first < 0 || first > limits.pageSizeMax) {
    throw badInput(`first must be between 0 and ${limits.pageSizeMax}.`, 'first');
  }
  return { limit: first, after: args.after ? decode(args.after) : undefined };
}

/**
 * Builds a connection from up to limit + 1 rows fetched in keyset order. Pages only go forward, so
 * there are items before a page exactly when it was asked for after a cursor.
 */
export function connectionOf<T>(rows: T[], page: Page, keyOf: (row: T) => string): Connection<T> {
  const visible = rows.slice(0, page.limit);
  const edges = visible.map((node) => ({ cursor: encode(keyOf(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > page.limit,
      hasPreviousPage: page.after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** The keyset most lists use: a timestamp and an id as tie-breaker, newest first. */
export const timeIdKey = {
  of: (time: Date, id: string): string => `${time.toISOString()}|${id}`,
  parse(after: string): { time: string; id: string } {
    const [time = '', id = ''] = after.split('|');
    if (Number.isNaN(Date.parse(time)) || !/^[0-9a-f-]{36}$/i.test(id))
      throw badInput('after is not a cursor this API returned.', 'after');
    return { time, id };
  },
};
