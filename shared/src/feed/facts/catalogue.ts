/**
 * The catalogue of feed facts: every fact a service announces on its feed, defined once, with its
 * name, version, zod schema and builder. Producers build facts only with a definition's `build`
 * (checked against the schema before it reaches the outbox); consumers read them only through an
 * intake (intake.ts), which parses the payload into its typed form.
 *
 * Changing a fact (the rule; docs/feed-facts.md says it at length):
 * - Additive changes keep the version: a new field is added with a default (`olderFacts` fills it in
 *   for facts written before it, with the value their consumers assumed); consumers ignore fields
 *   they do not know, so an older consumer reads a newer producer's fact.
 * - Widening what a field accepts (a new enum value) keeps the version, but an older consumer
 *   refuses the value it does not know: it ships to consumers first, like a new fact.
 * - Anything else (removing or renaming a field, changing its type or meaning) is a breaking change:
 *   a new version of the fact (wire type `name@2`) or a fact with a new name, added beside the old
 *   one, which stays in the catalogue as long as any feed may still hold it (feeds keep every fact).
 * - A consumer declares every version it accepts, handled or ignored by name; one that meets a type
 *   this catalogue does not know stops rather than skip it. So a new fact, or a new version, is
 *   deployed to the consumers before any producer writes it.
 */
import type { z } from 'zod';
import { assert } from '../../errors';
import type { Fact, NewFact } from '../outbox';

/** The type a fact has on the wire: its name for version 1, `name@version` after a breaking change. */
export type WireType<N extends string, V extends number> = V extends 1 ? N : `${N}@${V}`;

/** What a producer hands a builder: the wire payload, arrays and all, read-only (a builder never changes it). */
export type FactInput<S extends z.ZodType> = DeepReadonly<z.input<S>>;
type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** A payload schema: a JSON object on the wire, whatever it parses into. */
export type PayloadSchema = z.ZodType<unknown, Record<string, unknown>>;

export interface FactDefinition<
  T extends string = string,
  S extends PayloadSchema = PayloadSchema,
> {
  readonly name: string;
  readonly version: number;
  /** What the outbox's `type` column holds for this fact. */
  readonly type: T;
  readonly schema: S;
  /** The fact to append, its payload checked first: a producer can only write what consumers read. */
  build(payload: FactInput<S>): NewFact;
  /** The payload parsed into its typed form; a payload the schema refuses is a MalformedFactError. */
  parse(payload: Record<string, unknown>): z.output<S>;
}

/** A fact's payload as parsed (points as bigints, defaults for older facts filled in). */
export type PayloadOf<D> = D extends FactDefinition<string, infer S> ? z.output<S> : never;

/** A fact of a known type, parsed: what a consumer switches on (`fact.type` narrows `fact.payload`). */
export type KnownFact<D> =
  D extends FactDefinition<infer T, infer S>
    ? {
        readonly type: T;
        readonly payload: z.output<S>;
        readonly key: string;
        readonly position: string;
        readonly recordedAt: string;
      }
    : never;

/** A fact whose type no catalogue entry has: a newer producer's (deploy its consumers first), or a bug. */
export class UnknownFactError extends Error {
  constructor(feed: string, fact: Pick<Fact, 'type' | 'position'>) {
    super(
      `the ${feed} feed holds a fact of type "${fact.type}" at ${fact.position}, which this service's catalogue does not know: deploy the catalogue that defines it`,
    );
    this.name = 'UnknownFactError';
  }
}

/** A fact of a known type whose payload its schema refuses. */
export class MalformedFactError extends Error {
  constructor(type: string, problems: string) {
    super(`a ${type} fact does not match its catalogue entry: ${problems}`);
    this.name = 'MalformedFactError';
  }
}

/** The problems, by field, without the values: a payload names members and partners. */
const problemsOf = (error: z.ZodError): string =>
  error.issues
    .map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`)
    .join('; ');

export function defineFact<
  const N extends string,
  const V extends number,
  S extends PayloadSchema,
>(definition: {
  name: N;
  version: V;
  schema: S;
  /** The aggregate the fact is about (the outbox key), from its payload. */
  key: (payload: FactInput<S>) => string;
  /**
   * The fields facts written before an additive change lack, as their consumers assumed them: the
   * payload with them filled in, before the schema parses it. Only ever adds missing fields.
   */
  olderFacts?: (payload: Record<string, unknown>) => Record<string, unknown>;
}): FactDefinition<WireType<N, V>, S> {
  const { name, version, schema, key, olderFacts } = definition;
  assert(/^[a-z]+(-[a-z]+)*\.[a-z]+(-[a-z]+)*$/.test(name), `fact name ${name} is aggregate.event`);
  assert(Number.isInteger(version) && version >= 1, `fact ${name} has a version from 1`);
  // The cast states what WireType computes at the type level; it is the only place that builds it.
  const type = (version === 1 ? name : `${name}@${version}`) as WireType<N, V>;
  return {
    name,
    version,
    type,
    schema,
    build(payload) {
      const checked = schema.safeParse(payload);
      if (!checked.success) throw new MalformedFactError(type, problemsOf(checked.error));
      return { type, key: key(payload), payload };
    },
    parse(payload) {
      const parsed = schema.safeParse(olderFacts ? olderFacts(payload) : payload);
      if (!parsed.success) throw new MalformedFactError(type, problemsOf(parsed.error));
      return parsed.data;
    },
  };
}

/** Every fact one feed carries, by wire type. */
export interface FeedCatalogue<D extends FactDefinition = FactDefinition> {
  /** The producing service: `member`, `partner`. */
  readonly feed: string;
  readonly types: readonly D['type'][];
  /** The definition of a wire type; UnknownFactError for a type this feed does not carry. */
  definition(fact: Pick<Fact, 'type' | 'position'>): D;
  /** The fact, its payload parsed by its definition. */
  parse(fact: Fact): KnownFact<D>;
}

export function defineFeed<const D extends readonly FactDefinition[]>(
  feed: string,
  definitions: D,
): FeedCatalogue<D[number]> {
  const byType = new Map<string, D[number]>(definitions.map((d) => [d.type, d]));
  assert(byType.size === definitions.length, `the ${feed} feed defines each fact type once`);
  const definition = (fact: Pick<Fact, 'type' | 'position'>): D[number] => {
    const found = byType.get(fact.type);
    if (!found) throw new UnknownFactError(feed, fact);
    return found;
  };
  return {
    feed,
    types: definitions.map((d) => d.type),
    definition,
    parse(fact) {
      const known = definition(fact);
      return { ...fact, type: known.type, payload: known.parse(fact.payload) } as KnownFact<
        D[number]
      >;
    },
  };
}
