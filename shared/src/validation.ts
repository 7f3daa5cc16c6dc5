import { z } from 'zod';
import { badInput } from './errors';
import { limits } from './limits';
import { textProblem } from './text';

const currencies = new Set(Intl.supportedValuesOf('currency'));
const timeZones = new Set(Intl.supportedValuesOf('timeZone'));

/**
 * A free-text field, trimmed and not empty, under the rules of shared/src/text.ts: the same rules
 * as the Text and MultilineText scalars, kept here too for values that reach a service by
 * another road than a GraphQL argument.
 */
export const text = (field: string, max: number = limits.nameLengthMax, multiline = false) =>
  z
    .string()
    .trim()
    .min(1, `${field} must not be empty`)
    .superRefine((value, context) => {
      const problem = textProblem(value, { lengthMax: max, multiline });
      if (problem) context.addIssue({ code: 'custom', message: `${field} ${problem}` });
    });

export const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
  .refine((code) => currencies.has(code), 'is not a known ISO 4217 currency');

export const timeZone = z
  .string()
  .refine(
    (zone) => timeZones.has(zone) || zone === 'UTC',
    'must be an IANA time zone such as Europe/Berlin',
  );

export const uuid = z.string().uuid('must be an id this API returned');

/** Parses input with a zod schema; the first problem becomes a BAD_USER_INPUT error naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  throw badInput(
    field ? `${field} ${issue?.message ?? 'is invalid'}.` : `${issue?.message ?? 'Invalid input'}.`,
    field || undefined,
  );
}

/** An id argument: anything but a uuid is rejected up front, so it never reaches SQL. */
export function parseId(value: string, field: string): string {
  if (!uuid.safeParse(value).success)
    throw badInput(`${field} is not an id this API returned.`, field);
  return value;
}

export const isId = (value: string): boolean => uuid.safeParse(value).success;
