import type { EntityManager } from 'typeorm';
import { assert } from '../../errors';
import type { Fact } from '../outbox';
import type { FactDefinition, FeedCatalogue, KnownFact } from './catalogue';

/** What a consumer does with a fact type: apply it, or pass over it on purpose. */
export type Disposition = 'handles' | 'ignores';

/** A consumer's word on every fact type of a feed: the type checker refuses one that leaves a type out. */
export type IntakeDeclaration<D extends FactDefinition> = {
  readonly [T in D['type']]: Disposition;
};

/** The types a declaration handles. */
export type HandledBy<Decl> = {
  [T in keyof Decl]: Decl[T] extends 'handles' ? T : never;
}[keyof Decl];

/** A fact a consumer handles, parsed. */
export type HandledFact<D extends FactDefinition, H> = KnownFact<Extract<D, { type: H }>>;

/** The facts an intake hands its consumer. */
export type IntakeFact<I> = I extends FactIntake<infer D, infer H> ? HandledFact<D, H> : never;

/**
 * How one consumer takes in one feed: which fact types it handles and which it ignores, by name.
 * Reading a fact parses it when handled and passes over it when ignored; a type the catalogue does
 * not know, or a handled fact its schema refuses, throws, and the consumer stops there (its cursor
 * stays before the fact, so nothing is lost: it resumes once it runs a catalogue that knows it).
 */
export interface FactIntake<D extends FactDefinition, H extends D['type']> {
  readonly feed: string;
  /** Who consumes, for messages and the coverage test: `settlement ← member feed`. */
  readonly consumer: string;
  /** Its word on each fact type, as declared: what the coverage test reads. */
  readonly declaration: Readonly<Record<string, Disposition>>;
  readonly handles: readonly H[];
  readonly ignores: readonly Exclude<D['type'], H>[];
  /** The fact parsed if this consumer handles it; undefined if it ignores it on purpose. */
  read(fact: Fact): HandledFact<D, H> | undefined;
  /** A page applier (FeedConsumer's apply) that applies the handled facts one at a time, in feed order. */
  oneByOne<M = EntityManager>(
    apply: (manager: M, fact: HandledFact<D, H>) => Promise<void>,
  ): (manager: M, facts: readonly Fact[]) => Promise<void>;
}

/**
 * The default of a consumer's switch over the facts it handles: the type checker proves it is never
 * reached, so a handled type without its case does not compile.
 */
export function unhandled(_fact: never): never {
  throw new Error('Assertion failed: every fact type a consumer handles has its case');
}

/** The fact types a feed carries that a declaration neither handles nor ignores (none, if it is whole). */
export function undeclaredTypes(
  catalogue: Pick<FeedCatalogue, 'types'>,
  declaration: Readonly<Record<string, Disposition>>,
): string[] {
  return catalogue.types.filter((type) => !Object.hasOwn(declaration, type));
}

export function factIntake<
  D extends FactDefinition,
  // Every type of the feed, and no other: a name the feed does not carry is refused too.
  const Decl extends IntakeDeclaration<D> & { [T in Exclude<keyof Decl, D['type']>]: never },
>(
  catalogue: FeedCatalogue<D>,
  consumer: string,
  declaration: Decl,
): FactIntake<D, HandledBy<Decl> & D['type']> {
  const missing = undeclaredTypes(catalogue, declaration);
  assert(
    missing.length === 0,
    `${consumer} declares what it does with every ${catalogue.feed} fact; it does not name ${missing.join(', ')}`,
  );
  const entries: [string, Disposition][] = Object.entries(declaration);
  const strangers = entries.filter(([type]) => !catalogue.types.includes(type));
  assert(
    strangers.length === 0,
    `${consumer} names only ${catalogue.feed} facts; ${strangers.map(([t]) => t).join(', ')} is none`,
  );
  type H = HandledBy<Decl> & D['type'];
  const handles = new Set(entries.filter(([, d]) => d === 'handles').map(([type]) => type));
  const isHandled = (fact: KnownFact<D>): fact is HandledFact<D, H> => handles.has(fact.type);
  const read = (fact: Fact): HandledFact<D, H> | undefined => {
    // An unknown type throws here, handled or not: nothing is skipped that nobody declared.
    const known = catalogue.definition(fact);
    if (!handles.has(known.type)) return undefined;
    const parsed = catalogue.parse(fact);
    assert(isHandled(parsed), `${fact.type} is handled`);
    return parsed;
  };
  return {
    feed: catalogue.feed,
    consumer,
    declaration,
    handles: catalogue.types.filter((t): t is H => handles.has(t)),
    ignores: catalogue.types.filter((t): t is Exclude<D['type'], H> => !handles.has(t)),
    read,
    oneByOne: (apply) => async (manager, facts) => {
      // Every fact of the page is read before any is applied: one the consumer cannot read stops the page whole.
      const handled = facts.map(read);
      for (const fact of handled) if (fact) await apply(manager, fact);
    },
  };
}
