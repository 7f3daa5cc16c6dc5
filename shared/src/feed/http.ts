import type { Express, Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import { bearerToken, TokenError, verifyToken } from '../auth/jwt';
import { limits } from '../limits';
import type { FeedSource } from './consumer';
import { readFacts, type FeedPage } from './outbox';
import { FEED_START, parsePosition } from './position';
import type { PublicKeys } from '../auth/keys';

/**
 * Serves a producer's outbox at GET <path>?after=<position>&limit=<n>. Only the services
 * (and operators, for inspection) may read it.
 */
export function mountFeed(
  app: Express,
  path: string,
  dataSource: DataSource,
  publicKeys: PublicKeys,
): void {
  app.get(path, async (req: Request, res: Response) => {
    const token = bearerToken(req.header('authorization'));
    let role: string;
    try {
      if (!token) throw new TokenError('missing');
      role = verifyToken(token, publicKeys).role;
    } catch {
      res.status(401).json({
        error: { code: 'UNAUTHENTICATED', message: 'A valid service token is required.' },
      });
      return;
    }
    if (role !== 'service' && role !== 'operator') {
      res
        .status(403)
        .json({ error: { code: 'FORBIDDEN', message: 'Feeds are for services and operators.' } });
      return;
    }
    // A repeated ?after= arrives as an array: refuse it rather than serve from the start.
    const after = req.query.after ?? FEED_START;
    const limit = Number(req.query.limit ?? limits.feedPageSizeMax);
    if (
      typeof after !== 'string' ||
      !parsePosition(after) ||
      !Number.isInteger(limit) ||
      limit < 1
    ) {
      res.status(400).json({
        error: {
          code: 'BAD_USER_INPUT',
          message: 'after must be a feed position like 0.0 and limit a positive integer.',
        },
      });
      return;
    }
    const page = await readFacts(dataSource, after, Math.min(limit, limits.feedPageSizeMax));
    res.json(page);
  });
}

/** A consumer's view of a producer's HTTP feed, with a timeout on every request. */
export function httpFeedSource(feedUrl: string, token: () => string): FeedSource {
  return {
    async read(after: string, limit: number): Promise<FeedPage> {
      const url = new URL(feedUrl);
      url.searchParams.set('after', after);
      url.searchParams.set('limit', String(limit));
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${token()}` },
        signal: AbortSignal.timeout(limits.feedFetchTimeoutMs),
      });
      if (!response.ok) throw new Error(`feed ${url.pathname} answered ${response.status}`);
      return (await response.json()) as FeedPage;
    },
  };
}
