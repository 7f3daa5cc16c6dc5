import { badInput } from '@coalition/shared/errors';
import { checkWebOrigin } from '@coalition/shared/web-origin';

/** A partner's web origin, normalised; BAD_USER_INPUT saying what is wrong with it otherwise. */
export function parseWebOrigin(raw: string): string {
  const checked = checkWebOrigin(raw);
  if ('origin' in checked) return checked.origin;
  throw badInput(`origin ${JSON.stringify(raw.slice(0, 100))} ${checked.problem}.`, 'origin');
}
