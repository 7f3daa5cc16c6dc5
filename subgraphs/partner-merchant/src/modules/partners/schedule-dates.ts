import { badInput } from '@coalition/shared/errors';
import { limits } from '@coalition/shared/limits';

const DAY_MS = 86_400_000;

/**
 * A date a client means as "from now on" (an effective date, a stop date). One a little behind our
 * clock (clientClockSlackMs: the client's "now") is taken as now, so nothing is ever dated before
 * the moment it was decided; anything earlier is the past and refused.
 */
export function fromNowOn(date: Date, now: Date, field: string): Date {
  if (date.getTime() < now.getTime() - limits.clientClockSlackMs)
    throw badInput(`${field} must not be in the past.`, field);
  return date < now ? now : date;
}

export function notLaterThan(date: Date, now: Date, daysMax: number, field: string): Date {
  if (date.getTime() > now.getTime() + daysMax * DAY_MS)
    throw badInput(`${field} must be at most ${daysMax} days ahead.`, field);
  return date;
}
