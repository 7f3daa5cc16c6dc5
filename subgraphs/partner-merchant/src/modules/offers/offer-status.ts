/** An offer's status as stored: ENDED once endOffer stopped it. */
export type StoredOfferStatus = 'ACTIVE' | 'ENDED';

interface StoredOffer {
  status: StoredOfferStatus;
  endsAt: Date;
  endedAt: Date | null;
}

/**
 * Whether the offer still applies or will: not ended, and its endsAt still ahead. What counts
 * against a partner's live-offer limit, and what Partner.offers lists by default.
 */
export const isLive = (offer: Pick<StoredOffer, 'status' | 'endsAt'>, now: Date): boolean =>
  offer.status === 'ACTIVE' && offer.endsAt > now;

/** What a reader is told: an offer past its endsAt has ended then, whether or not anyone ended it. */
export function offerStatusAt(
  offer: StoredOffer,
  now: Date,
): { status: StoredOfferStatus; endedAt: Date | null } {
  if (offer.status === 'ENDED') return { status: 'ENDED', endedAt: offer.endedAt };
  return offer.endsAt > now
    ? { status: 'ACTIVE', endedAt: null }
    : { status: 'ENDED', endedAt: offer.endsAt };
}
