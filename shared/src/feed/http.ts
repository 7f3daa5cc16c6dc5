import type { Express, Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { bearerToken, TokenError, verifyToken } from '../auth/jwt';
import { BEARER_CHALLENGE } from '../graphql/context';
import { limits } from '../limits';
import type { Logger } from '../logger';
import { FeedConsumer, type FeedConsumerOptions, type FeedSource } from './consumer';
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
      res
        .status(401)
        .set('www-authenticate', BEARER_CHALLENGE)
        .json({
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

/** A page as the producer serves it: the envelope is checked here, each payload by its consumer's intake. */
const feedPage = z.object({
  facts: z.array(
    z.object({
      position: z.string(),
      type: z.string(),
      key: z.string(),
      payload: z.record(z.string(), z.unknown()),
      recordedAt: z.string(),
    }),
  ),
  next: z.string(),
  remaining: z.number().int().nonnegative().optional(),
}) satisfies z.ZodType<FeedPage>;

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
      return feedPage.parse(await response.json());
    },
  };
}

/** What the feed consumers of one service share: its database, its logger, its service token. */
export interface FeedWiring {
  dataSource: DataSource;
  logger: Logger;
  token: () => string;
}

/**
 * A consumer of a producer's HTTP feed, the one way a service wires one: its cursor's name, the
 * feed's URL and the page applier its intake built (intake.oneByOne, or a whole-page applier).
 */
export function httpFeedConsumer(
  wiring: FeedWiring,
  consumer: { name: string; feedUrl: string; apply: FeedConsumerOptions['apply'] },
): FeedConsumer {
  return new FeedConsumer({
    name: consumer.name,
    source: httpFeedSource(consumer.feedUrl, wiring.token),
    dataSource: wiring.dataSource,
    apply: consumer.apply,
    logger: wiring.logger,
  });
}
