import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import {
  composeSupergraph,
  publicSchemaPath,
  repoRoot,
  supergraphPath,
} from '../gateway/src/compose';

/**
 * `npm run compose`: writes gateway/supergraph.graphql from the three subgraph schemas, and the
 * public API schema integrators read (docs/schema.graphql).
 */
const outcome = composeSupergraph();
if (!outcome.ok) {
  process.stderr.write(
    `Composition failed; ${relative(repoRoot, supergraphPath)} was not written:\n`,
  );
  for (const error of outcome.errors) process.stderr.write(`  - ${error}\n`);
  process.exit(1);
}
for (const hint of outcome.hints) process.stderr.write(`hint: ${hint}\n`);
writeFileSync(supergraphPath, outcome.supergraphSdl);
writeFileSync(publicSchemaPath, outcome.publicSdl);
process.stdout.write(
  `Wrote ${relative(repoRoot, supergraphPath)} (${outcome.hints.length} composition hints) and ${relative(repoRoot, publicSchemaPath)}.\n`,
);
