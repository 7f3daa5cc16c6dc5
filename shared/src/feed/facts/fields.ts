import { z } from 'zod';

/**
 * The field types facts are made of. Points and money are integer strings on the wire (JSON has
 * no integer beyond 2^53) and bigints once parsed; instants are ISO 8601 strings, as a producer's
 * `toISOString()` writes them.
 */

export const id = z.string().uuid();

/** A count of points or minor units: a non-negative integer string, a bigint once parsed. */
export const wholeNumber = z
  .string()
  .regex(/^\d+$/, 'must be a non-negative integer string')
  .transform(BigInt);

export const instant = z.iso.datetime({ offset: true });

/** Points a fact took from one of the member's lots, with who issued (funded) the lot. */
export const lotLink = z.object({
  lotId: id,
  /** Null: the operator funded the points (a tier bonus, its share of a promotion, an adjustment). */
  issuerPartnerId: id.nullable(),
  points: wholeNumber,
});

/** A lot a fact created out of points another lot held (a burn refund, a household transfer). */
export const carriedLot = lotLink.extend({ fromLotId: id });

/**
 * JSON another shared schema checks (earn rules): the fact carries it, and the consumer receives it,
 * as the producer wrote it; a version the consumer could not use stops the feed on arrival.
 */
export function jsonCheckedBy(schema: z.ZodType) {
  return z.record(z.string(), z.unknown()).superRefine((json, ctx) => {
    const checked = schema.safeParse(json);
    if (!checked.success)
      for (const issue of checked.error.issues)
        ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  });
}

/** JSON another shared schema parses (an offer): the consumer receives what that schema makes of it. */
export function jsonParsedBy<T>(schema: z.ZodType<T>) {
  return z.record(z.string(), z.unknown()).transform((json, ctx): T => {
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  });
}
