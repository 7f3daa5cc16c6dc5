import { composeServices } from '@apollo/composition';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GraphQLError, parse } from 'graphql';
import { subgraphs } from '@coalition/shared/topology';

/** The repository root, found from this file so the script and the tests agree wherever they run from. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where the composed supergraph is committed; the gateway serves it and never introspects subgraphs. */
export const supergraphPath = join(repoRoot, 'gateway', 'supergraph.graphql');

const header = [
  '# The Coalition supergraph, composed from subgraphs/*/schema.graphql by `npm run compose`.',
  '# Do not edit: change a subgraph schema and compose again (tests/supergraph.test.ts checks it).',
  '',
  '',
].join('\n');

export type CompositionOutcome =
  { ok: true; supergraphSdl: string; hints: string[] } | { ok: false; errors: string[] };

/** The URL each subgraph has under `npm start`; the gateway's settings override them at run time. */
export function defaultSubgraphUrl(defaultPort: number): string {
  return `http://127.0.0.1:${defaultPort}/graphql`;
}

/**
 * Composes the subgraph schemas found under `root` into the text of gateway/supergraph.graphql.
 * Pure apart from reading the schema files, so the drift test composes exactly what the script writes.
 */
export function composeSupergraph(root: string = repoRoot): CompositionOutcome {
  const services: Parameters<typeof composeServices>[0] = [];
  for (const subgraph of subgraphs) {
    const file = join(root, subgraph.dir, 'schema.graphql');
    try {
      services.push({
        name: subgraph.name,
        typeDefs: parse(readFileSync(file, 'utf8')),
        url: defaultSubgraphUrl(subgraph.defaultPort),
      });
    } catch (error) {
      return { ok: false, errors: [`${subgraph.name} (${file}): ${describe(error)}`] };
    }
  }
  const result = composeServices(services);
  if (result.errors) return { ok: false, errors: result.errors.map(describe) };
  return {
    ok: true,
    supergraphSdl: `${header}${result.supergraphSdl.trimEnd()}\n`,
    hints: result.hints.map((hint) => hint.toString()),
  };
}

function describe(error: unknown): string {
  if (error instanceof GraphQLError) {
    const code = typeof error.extensions.code === 'string' ? `[${error.extensions.code}] ` : '';
    return `${code}${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}
