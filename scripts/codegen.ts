import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../gateway/src/compose';
import { generateSubgraphFiles } from './codegen/subgraph-files';

/**
 * `npm run codegen`: writes each subgraph's schema.graphql (from its modules' parts) and its
 * resolver types (src/generated/graphql.ts). Run `npm run compose` after it when a schema changed.
 */
for (const file of await generateSubgraphFiles()) {
  mkdirSync(dirname(join(repoRoot, file.path)), { recursive: true });
  writeFileSync(join(repoRoot, file.path), file.content);
  process.stdout.write(`Wrote ${file.path}\n`);
}
