import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { z } from 'zod';
import { rulesToJson } from '@coalition/shared/earn-rules/earn-rules';
import { offerSchema, type Offer } from '@coalition/shared/earn-rules/offers';
import { assert, badInput, notFound } from '@coalition/shared/errors';
import { inTransaction } from '@coalition/shared/db/transaction';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { offerEnded, offerPublished } from '@coalition/shared/feed/facts/partner-feed';
import type { Page } from '@coalition/shared/graphql/pagination';
import { limits } from '@coalition/shared/limits';
import { parseInput } from '@coalition/shared/validation';
import { lockPartner } from '../partners/partner-lock';
import { fromNowOn } from '../partners/schedule-dates';
import { isLive } from './offer-status';
import {
  insertOffer,
  liveOfferCount,
  markOfferEnded,
  offerById,
  offerPages,
  offersByIds,
  type OfferRecord,
  type OfferScope,
} from './offers.repository';

/** The offer as createOffer takes it; checked by the one schema the wallet also parses the feed with. */
export type OfferInput = z.input<typeof offerSchema>;

/**
 * A partner's activate-to-earn offers. An offer is published once and never edited: it runs from
 * startsAt to endsAt unless ended early. Every change takes the partner's lock first, so the
 * partner's facts reach the feed in the order they were made.
 */
export class OffersService {
  constructor(private readonly dataSource: DataSource) {}

  async create(partnerId: string, raw: OfferInput, createdBy: string): Promise<OfferRecord> {
    const now = new Date();
    const content = inTheFuture(parseInput(offerSchema, raw), now);
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockPartner(manager, partnerId);
      // Counted under the partner's lock: two creations can never both take the last place.
      if ((await liveOfferCount(manager, partnerId, now)) >= limits.offersLivePerPartnerMax) {
        throw badInput(
          `A partner has at most ${limits.offersLivePerPartnerMax} live offers; end one first.`,
          'partnerId',
        );
      }
      const id = randomUUID();
      await insertOffer(manager, { id, partnerId, content, createdAt: now, createdBy });
      await appendFacts(manager, [
        offerPublished.build({ offerId: id, partnerId, offer: rulesToJson(content) }),
      ]);
      const created = await offerById(manager, id);
      assert(created, `offer ${id} was written in this transaction`);
      return created;
    });
  }

  /**
   * Ends a live offer now. Idempotent: an offer already ended, by an earlier call or by reaching
   * its endsAt, is returned unchanged and announced no second time.
   */
  async end(scope: OfferScope, offerId: string, endedBy: string): Promise<OfferRecord> {
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      // A plain read first, to learn whose lock to take; nothing is written before the lock.
      const found = await offerById(manager, offerId, scope);
      if (!found) throw notFound('Offer');
      await lockPartner(manager, found.partnerId);
      const current = await offerById(manager, offerId);
      assert(current?.partnerId === found.partnerId, `offer ${offerId} keeps its partner`);
      const now = new Date();
      if (!isLive(current, now)) return current;
      await markOfferEnded(manager, offerId, now, endedBy);
      await appendFacts(manager, [
        offerEnded.build({ offerId, partnerId: current.partnerId, endedAt: now.toISOString() }),
      ]);
      return { ...current, status: 'ENDED', endedAt: now, endedBy };
    });
  }

  byIds(ids: readonly string[]): Promise<OfferRecord[]> {
    return offersByIds(this.dataSource, ids);
  }

  /** Newest first; live offers only unless includeEnded. */
  pages(
    partnerIds: readonly string[],
    page: Page,
    filter: { includeEnded: boolean; now: Date },
  ): Promise<Map<string, OfferRecord[]>> {
    return offerPages(this.dataSource, partnerIds, page, filter);
  }
}

/**
 * An offer must still have a future: endsAt ahead of now, startsAt not in the past (a few seconds
 * behind is the client's "now", and is taken as now, so an offer never starts before it existed).
 */
function inTheFuture(offer: Offer, now: Date): Offer {
  if (offer.endsAt <= now) throw badInput('endsAt must be in the future.', 'endsAt');
  return { ...offer, startsAt: fromNowOn(offer.startsAt, now, 'startsAt') };
}
