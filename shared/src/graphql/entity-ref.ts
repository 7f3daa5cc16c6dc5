/**
 * An entity by its key alone: what a field returns for an entity another subgraph resolves (the
 * gateway fetches the rest from it), and the parent this subgraph's own fields of it receive.
 */
export interface EntityRef {
  readonly __typename?: string;
  readonly id: string;
}
