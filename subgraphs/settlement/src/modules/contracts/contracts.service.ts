import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { lockAggregate } from '@coalition/shared/db/locks';
import { inTransaction, isExclusionViolation } from '@coalition/shared/db/transaction';
import { CoalitionError, ErrorCode, notFound } from '@coalition/shared/errors';
import { currencyCode, parseInput, uuid } from '@coalition/shared/validation';
import { parseMicros, parseRate } from '../journal/money';

/** One version of a partner's contract: what its points cost and earn it, from a date on. */
export interface ContractVersion {
  id: string;
  partnerId: string;
  version: number;
  effectiveFrom: Date;
  effectiveTo: Date | null;
  currency: string;
  issuancePriceMicros: bigint;
  redemptionRateMicros: bigint;
  feePerTransactionMinor: bigint;
  feePerPointMicros: bigint;
  feeRateBps: number;
  breakageShareBps: number;
  createdAt: Date;
  createdBy: string;
}

/** The largest price a point can have: 1,000,000 minor units (10,000 EUR) per point. */
const PRICE_MICROS_MAX = 10n ** 12n;

const price = (field: string, allowZero: boolean) =>
  z
    .string()
    .transform((text, ctx) => {
      const micros = parseMicros(text);
      if (micros === undefined || micros > PRICE_MICROS_MAX || (!allowZero && micros === 0n)) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a ${allowZero ? 'non-negative' : 'positive'} decimal of minor units per point with at most 6 decimals, e.g. "0.8", up to 1000000`,
        });
        return z.NEVER;
      }
      return micros;
    })
    .describe(field);

const basisPoints = z.number().int().min(0).max(10_000);

const orDefault = <S extends z.ZodType>(schema: S, fallback: z.output<S>) =>
  schema.nullish().transform((value) => value ?? fallback);

const contractInput = z
  .object({
    partnerId: uuid,
    effectiveFrom: z.date(),
    effectiveTo: z.date().nullish(),
    currency: currencyCode,
    issuancePrice: price('issuancePrice', false),
    redemptionRate: price('redemptionRate', false),
    // The schema lets a caller send null for these: null means the default, as leaving them out does.
    feePerTransaction: orDefault(
      z
        .bigint()
        .min(0n)
        .max(10n ** 9n),
      0n,
    ),
    feePerPoint: orDefault(price('feePerPoint', true), 0n),
    feeRateBasisPoints: orDefault(basisPoints, 0),
    breakageShareBasisPoints: orDefault(basisPoints, 0),
  })
  .refine((c) => !c.effectiveTo || c.effectiveTo > c.effectiveFrom, {
    message: 'must be after effectiveFrom',
    path: ['effectiveTo'],
  });

export type ContractInput = z.input<typeof contractInput>;

const fxRateInput = z.object({
  currency: currencyCode,
  rate: z
    .string()
    .refine(
      (r) => parseRate(r) !== undefined,
      'must be a positive decimal with at most 12 decimals, e.g. "1.1734"',
    ),
});

interface ContractRow {
  id: string;
  partner_id: string;
  version: number;
  effective_from: Date;
  effective_to: Date | null;
  currency: string;
  issuance_price_micros: string;
  redemption_rate_micros: string;
  fee_per_transaction_minor: string;
  fee_per_point_micros: string;
  fee_rate_bps: number;
  breakage_share_bps: number;
  created_at: Date;
  created_by: string;
}

const toContract = (r: ContractRow): ContractVersion => ({
  id: r.id,
  partnerId: r.partner_id,
  version: r.version,
  effectiveFrom: r.effective_from,
  effectiveTo: r.effective_to,
  currency: r.currency,
  issuancePriceMicros: BigInt(r.issuance_price_micros),
  redemptionRateMicros: BigInt(r.redemption_rate_micros),
  feePerTransactionMinor: BigInt(r.fee_per_transaction_minor),
  feePerPointMicros: BigInt(r.fee_per_point_micros),
  feeRateBps: r.fee_rate_bps,
  breakageShareBps: r.breakage_share_bps,
  createdAt: r.created_at,
  createdBy: r.created_by,
});

/**
 * Partner contracts, effective-dated and versioned. A new version that starts inside the current
 * open-ended one ends that one where it starts; any other overlap is refused. A version may not
 * start before the last closed cycle was closed: a change never rewrites a closed cycle.
 */
export class ContractsService {
  constructor(private readonly dataSource: DataSource) {}

  async set(raw: unknown, operator: string): Promise<ContractVersion> {
    const input = parseInput(contractInput, raw);
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      await lockAggregate(manager, 'contract', input.partnerId);
      await assertSettlesIn(manager, input);
      await assertAfterLastClose(manager, input);
      // Supersede the open-ended version the new one starts inside.
      await manager.query(
        `UPDATE contract_version SET effective_to = $2
          WHERE partner_id = $1 AND effective_to IS NULL AND effective_from < $2`,
        [input.partnerId, input.effectiveFrom],
      );
      try {
        return await insertVersion(manager, input, operator);
      } catch (error) {
        if (isExclusionViolation(error, 'contract_version_no_overlap')) {
          throw new CoalitionError(
            ErrorCode.CONTRACT_OVERLAP,
            "This version overlaps another version of the partner's contract.",
            { field: 'effectiveFrom' },
          );
        }
        throw error;
      }
    });
  }

  /**
   * The exchange rate a close uses for a currency (units of the base currency per unit of it) when
   * the close is given none: a scheduled close, say. Each cycle records the rates it used.
   */
  async setFxRate(
    raw: unknown,
    baseCurrency: string,
    operator: string,
  ): Promise<{ currency: string; rate: string; setAt: Date }> {
    const input = parseInput(fxRateInput, raw);
    if (input.currency === baseCurrency)
      throw new CoalitionError(
        ErrorCode.BAD_USER_INPUT,
        `${baseCurrency} is the base currency: its rate is 1.`,
        { field: 'currency' },
      );
    const rows: { set_at: Date }[] = await this.dataSource.query(
      `INSERT INTO fx_rate (currency, rate, set_at, set_by) VALUES ($1, $2, now(), $3)
       ON CONFLICT (currency) DO UPDATE SET rate = excluded.rate, set_at = excluded.set_at, set_by = excluded.set_by RETURNING set_at`,
      [input.currency, input.rate, operator],
    );
    return { currency: input.currency, rate: input.rate, setAt: rows[0]!.set_at };
  }

  /** Every version of each partner's contract, oldest first. */
  async ofPartners(partnerIds: readonly string[]): Promise<Map<string, ContractVersion[]>> {
    const rows: ContractRow[] = await this.dataSource.query(
      'SELECT * FROM contract_version WHERE partner_id = ANY($1::uuid[]) ORDER BY partner_id, version',
      [[...partnerIds]],
    );
    const byPartner = new Map<string, ContractVersion[]>(partnerIds.map((id) => [id, []]));
    for (const row of rows) byPartner.get(row.partner_id)?.push(toContract(row));
    return byPartner;
  }
}

type ParsedContract = z.output<typeof contractInput>;

/** A contract is in the currency its partner settles in, from the directory the partner feed keeps. */
async function assertSettlesIn(manager: EntityManager, input: ParsedContract): Promise<void> {
  // The directory comes from the partner feed: a partner onboarded a moment ago may not be in it yet.
  const partners: { settlement_currency: string }[] = await manager.query(
    'SELECT settlement_currency FROM partner_directory WHERE id = $1',
    [input.partnerId],
  );
  const partner = partners[0];
  if (!partner) throw notFound('Partner');
  if (partner.settlement_currency.trim() !== input.currency) {
    throw new CoalitionError(
      ErrorCode.BAD_USER_INPUT,
      `The partner settles in ${partner.settlement_currency.trim()}: its contract is in that currency.`,
      { field: 'currency' },
    );
  }
}

/** A version may not start before the last close: a change never rewrites a closed cycle. */
async function assertAfterLastClose(manager: EntityManager, input: ParsedContract): Promise<void> {
  const closed: { closed_at: Date | null }[] = await manager.query(
    `SELECT max(closed_at) AS closed_at FROM settlement_cycle WHERE status <> 'DRAFT'`,
  );
  const lastClose = closed[0]?.closed_at;
  if (lastClose && input.effectiveFrom < lastClose) {
    throw new CoalitionError(
      ErrorCode.BAD_USER_INPUT,
      `effectiveFrom must not be before the last closed cycle (${lastClose.toISOString()}): closed cycles never change.`,
      { field: 'effectiveFrom' },
    );
  }
}

/** The partner's next version; the exclusion constraint refuses one that overlaps another. */
async function insertVersion(
  manager: EntityManager,
  input: ParsedContract,
  operator: string,
): Promise<ContractVersion> {
  const next: { version: number }[] = await manager.query(
    'SELECT coalesce(max(version), 0) + 1 AS version FROM contract_version WHERE partner_id = $1',
    [input.partnerId],
  );
  const rows: ContractRow[] = await manager.query(
    `INSERT INTO contract_version (id, partner_id, version, effective_from, effective_to, currency, issuance_price_micros, redemption_rate_micros,
       fee_per_transaction_minor, fee_per_point_micros, fee_rate_bps, breakage_share_bps, created_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now(), $13) RETURNING *`,
    [
      randomUUID(),
      input.partnerId,
      next[0]!.version,
      input.effectiveFrom,
      input.effectiveTo ?? null,
      input.currency,
      input.issuancePrice.toString(),
      input.redemptionRate.toString(),
      input.feePerTransaction.toString(),
      input.feePerPoint.toString(),
      input.feeRateBasisPoints,
      input.breakageShareBasisPoints,
      operator,
    ],
  );
  return toContract(rows[0]!);
}
