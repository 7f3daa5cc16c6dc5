import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeSupergraph, publicSchemaPath, supergraphPath } from '../gateway/src/compose';
import { subgraphs } from '../shared/src/topology';

describe('the committed supergraph', () => {
  const outcome = composeSupergraph();

  it('composes from the current subgraph schemas without errors', () => {
    expect(outcome.ok ? [] : outcome.errors).toEqual([]);
  });

  it('is exactly what composing the current subgraph schemas gives (run `npm run compose` after changing a schema)', () => {
    if (!outcome.ok) throw new Error(`composition failed:\n${outcome.errors.join('\n')}`);
    const committed = readFileSync(supergraphPath, 'utf8');
    expect(
      committed,
      'gateway/supergraph.graphql is out of date with subgraphs/*/schema.graphql: run `npm run compose` and commit the result',
    ).toBe(outcome.supergraphSdl);
  });

  it('knows every subgraph by its topology name and its npm start URL', () => {
    const committed = readFileSync(supergraphPath, 'utf8');
    for (const subgraph of subgraphs) {
      expect(committed).toContain(
        `@join__graph(name: "${subgraph.name}", url: "http://127.0.0.1:${subgraph.defaultPort}/graphql")`,
      );
    }
  });
});

describe('the committed public schema (docs/schema.graphql)', () => {
  it('is the API schema of the current supergraph (run `npm run compose` after changing a schema)', () => {
    const outcome = composeSupergraph();
    if (!outcome.ok) throw new Error(`composition failed:\n${outcome.errors.join('\n')}`);
    expect(
      readFileSync(publicSchemaPath, 'utf8'),
      'docs/schema.graphql is out of date: run `npm run compose` and commit the result',
    ).toBe(outcome.publicSdl);
  });

  it('shows the API only: no federation directives, join types or _entities', () => {
    const sdl = readFileSync(publicSchemaPath, 'utf8');
    expect(sdl).toContain('viewer: Viewer!');
    expect(sdl).not.toMatch(/@join__|@link|_entities|_Entity|_Service|link__Purpose/);
  });
});
