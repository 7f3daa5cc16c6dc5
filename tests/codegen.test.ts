import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../gateway/src/compose';
import { generateSubgraphFiles, type GeneratedFile } from '../scripts/codegen/subgraph-files';
import { subgraphs } from '../shared/src/topology';

/**
 * Each subgraph's schema.graphql is put together from its modules' parts, and its resolver types
 * generated from it, by `npm run codegen`; both are committed. A part changed without running
 * codegen leaves the supergraph and the resolvers' types describing a schema no service serves.
 */
describe('the generated subgraph files', () => {
  let generated: GeneratedFile[];

  beforeAll(async () => {
    generated = await generateSubgraphFiles();
  }, 60_000);

  it('are a schema.graphql and resolver types for every subgraph', () => {
    expect(generated.map((file) => file.path)).toEqual(
      subgraphs.flatMap((subgraph) => [
        `${subgraph.dir}/schema.graphql`,
        `${subgraph.dir}/src/generated/graphql.ts`,
      ]),
    );
  });

  it('are exactly what `npm run codegen` writes from the current schema parts', () => {
    for (const file of generated) {
      expect(
        readFileSync(join(repoRoot, file.path), 'utf8'),
        `${file.path} is out of date with the schema parts: run \`npm run codegen\` (then \`npm run compose\`) and commit the result`,
      ).toBe(file.content);
    }
  });
});
