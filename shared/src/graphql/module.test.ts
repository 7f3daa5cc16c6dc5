import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { baseModule, mergeModules, schemaPart, type SubgraphModule } from './module';
import { DateTimeScalar, PointsScalar } from './scalars';

const module = (
  name: string,
  sdl: string,
  resolvers: SubgraphModule['resolvers'] = {},
): SubgraphModule => ({ name, typeDefs: parse(sdl), resolvers });

function graphqlFile(text: string): URL {
  const path = join(mkdtempSync(join(tmpdir(), 'schema-part-')), 'part.graphql');
  writeFileSync(path, text);
  return pathToFileURL(path);
}

describe("merging a subgraph's modules", () => {
  it("puts the schema parts one after another, in the modules' order", () => {
    const merged = mergeModules([
      module('base', 'type Query'),
      module('members', 'extend type Query { me: String }'),
      module('wallet', 'extend type Query { wallet: Int }'),
    ]);
    expect(print(merged.typeDefs)).toBe(
      print(
        parse('type Query\nextend type Query { me: String }\nextend type Query { wallet: Int }'),
      ),
    );
  });

  it("gathers every module's resolvers of a type into one map", () => {
    const me = () => 'me';
    const wallet = () => 1;
    const merged = mergeModules([
      module('base', 'scalar DateTime', { DateTime: DateTimeScalar }),
      module('members', 'type Query { me: String }', { Query: { me } }),
      module('wallet', 'extend type Query { wallet: Int }', { Query: { wallet } }),
    ]);
    expect(merged.resolvers).toEqual({ DateTime: DateTimeScalar, Query: { me, wallet } });
  });

  it.each([
    [
      'a field two modules resolve',
      [
        module('members', 'type Query { me: String }', { Query: { me: () => 'a' } }),
        module('wallet', 'type Mutation { x: Int }', { Query: { me: () => 'b' } }),
      ],
      'Query.me is resolved by two modules, members and wallet.',
    ],
    [
      'a scalar two modules implement',
      [
        module('base', 'scalar Points', { Points: PointsScalar }),
        module('wallet', 'type Query { x: Int }', { Points: PointsScalar }),
      ],
      'Points is resolved by two modules, base and wallet.',
    ],
    [
      'a name one module resolves as a scalar and another as a type',
      [
        module('base', 'scalar Points', { Points: PointsScalar }),
        module('wallet', 'type Query { x: Int }', { Points: { x: () => 1 } }),
      ],
      'Points is resolved both as a scalar and as a type.',
    ],
  ])('refuses %s, naming it', (_, modules, message) => {
    expect(() => mergeModules(modules)).toThrow(message);
  });
});

describe("a subgraph's base part", () => {
  it('resolves each scalar it declares with the shared scalar of that name', () => {
    const base = baseModule(graphqlFile('scalar Points\nscalar DateTime\ntype Query'));
    expect(base.resolvers).toEqual({ Points: PointsScalar, DateTime: DateTimeScalar });
  });

  it('refuses a scalar the shared scalars do not implement', () => {
    expect(() => baseModule(graphqlFile('scalar Percent\ntype Query'))).toThrow(
      /no shared scalar Percent/,
    );
  });

  it('names the file whose schema does not parse', () => {
    const url = graphqlFile('type Query {');
    expect(() => schemaPart(url)).toThrow(/part\.graphql: Syntax Error/);
  });
});
