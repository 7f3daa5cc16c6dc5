import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  concatAST,
  GraphQLError,
  GraphQLScalarType,
  Kind,
  parse,
  type DocumentNode,
  type GraphQLResolveInfo,
} from 'graphql';
import type { BaseContext } from './context';
import {
  DateTimeScalar,
  IdempotencyKeyScalar,
  MinorUnitsScalar,
  MultilineTextScalar,
  PointsScalar,
  TextScalar,
} from './scalars';

/** A request context that carries these DataLoaders. */
export type ContextWith<L> = BaseContext & { loaders: L };

// Parent and arguments are `never` here: any resolver fits, whatever it takes. Only the context
// is compared, so a module that reads a loader the subgraph's context lacks does not compile.
type FieldResolverFn<C> = (
  parent: never,
  args: never,
  context: C,
  info: GraphQLResolveInfo,
) => unknown;
type ReferenceResolverFn<C> = (reference: never, context: C, info: GraphQLResolveInfo) => unknown;

/** One field's resolver, as GraphQL Code Generator types it (`__resolveReference` included). */
export type FieldResolver<C> =
  | FieldResolverFn<C>
  | ReferenceResolverFn<C>
  | { resolve?: FieldResolverFn<C>; subscribe?: FieldResolverFn<C> };

/** What a resolver map holds for one field: its resolver, or for an enum value its internal value. */
export type ResolverMapEntry<C> = FieldResolver<C> | string | number;

/** A resolver map: per GraphQL type, its field resolvers (an enum: its values), or a scalar. */
export interface ModuleResolvers<C> {
  readonly [typeName: string]:
    | GraphQLScalarType
    | { readonly [fieldName: string]: ResolverMapEntry<C> | undefined }
    | undefined;
}

/**
 * A part of a subgraph: the schema it owns (its `.graphql` file) and the resolvers of the fields
 * in it. A subgraph hands its modules to the shared shell, which merges them.
 */
export interface SubgraphModule<C extends BaseContext = BaseContext> {
  /** Names the module in start-up errors. */
  readonly name: string;
  readonly typeDefs: DocumentNode;
  readonly resolvers: ModuleResolvers<C>;
}

/** Reads and parses a module's part of the schema once, at start-up; a syntax error names the file. */
export function schemaPart(url: URL): DocumentNode {
  const path = fileURLToPath(url);
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (error) {
    if (error instanceof GraphQLError)
      throw new Error(`${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

const sharedScalars = [
  DateTimeScalar,
  PointsScalar,
  MinorUnitsScalar,
  IdempotencyKeyScalar,
  TextScalar,
  MultilineTextScalar,
];

/**
 * A subgraph's base.graphql: the federation link, the scalars, the root types the modules extend,
 * shared types. Each scalar it declares is resolved by the shared scalar of that name.
 */
export function baseModule(url: URL): SubgraphModule {
  const typeDefs = schemaPart(url);
  const resolvers: Record<string, GraphQLScalarType> = {};
  for (const definition of typeDefs.definitions) {
    if (definition.kind !== Kind.SCALAR_TYPE_DEFINITION) continue;
    const scalar = sharedScalars.find((shared) => shared.name === definition.name.value);
    if (!scalar)
      throw new Error(`${fileURLToPath(url)}: no shared scalar ${definition.name.value}.`);
    resolvers[scalar.name] = scalar;
  }
  return { name: 'base', typeDefs, resolvers };
}

/**
 * One schema and one resolver map from a subgraph's modules, in their order. A field (or scalar)
 * resolved by two modules is a programming error: the later one would silently win, so this
 * throws, naming both, and the service does not start.
 */
export function mergeModules<C extends BaseContext>(
  modules: readonly SubgraphModule<C>[],
): { typeDefs: DocumentNode; resolvers: ModuleResolvers<C> } {
  const scalars: Record<string, GraphQLScalarType> = {};
  const types: Record<string, Record<string, ResolverMapEntry<C>>> = {};
  const resolvedBy = new Map<string, string>();
  const claim = (what: string, module: SubgraphModule<C>) => {
    const earlier = resolvedBy.get(what);
    if (earlier !== undefined)
      throw new Error(`${what} is resolved by two modules, ${earlier} and ${module.name}.`);
    resolvedBy.set(what, module.name);
  };
  for (const module of modules) {
    for (const [typeName, typeResolvers] of Object.entries(module.resolvers)) {
      if (typeResolvers instanceof GraphQLScalarType) {
        claim(typeName, module);
        scalars[typeName] = typeResolvers;
        continue;
      }
      for (const [fieldName, resolver] of Object.entries(typeResolvers ?? {})) {
        if (resolver === undefined) continue;
        claim(`${typeName}.${fieldName}`, module);
        (types[typeName] ??= {})[fieldName] = resolver;
      }
    }
  }
  for (const typeName of Object.keys(scalars)) {
    if (types[typeName]) throw new Error(`${typeName} is resolved both as a scalar and as a type.`);
  }
  return {
    typeDefs: concatAST(modules.map((module) => module.typeDefs)),
    resolvers: { ...types, ...scalars },
  };
}
