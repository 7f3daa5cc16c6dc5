import type { ValueTransformer } from 'typeorm';

/** The single mapping between Postgres int8/numeric text and JS bigint (docs/code-style.md). */
export const bigintTransformer: ValueTransformer = {
  to: (value: bigint | null | undefined) =>
    value === null || value === undefined ? value : value.toString(),
  from: (value: string | null) => (value === null ? null : BigInt(value)),
};
