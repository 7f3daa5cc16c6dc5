import { randomUUID } from 'node:crypto';
import { In, type DataSource } from 'typeorm';
import { z } from 'zod';
import { baseRules, rulesToJson } from '@coalition/shared/earn-rules/earn-rules';
import { CoalitionError, ErrorCode } from '@coalition/shared/errors';
import { appendFacts } from '@coalition/shared/feed/outbox';
import { partnerOnboarded, storeAdded } from '@coalition/shared/feed/facts/partner-feed';
import { inTransaction, isUniqueViolation } from '@coalition/shared/db/transaction';
import { timeIdKey, type Page } from '@coalition/shared/graphql/pagination';
import { limits } from '@coalition/shared/limits';
import { currencyCode, parseInput, text, timeZone } from '@coalition/shared/validation';
import { insertEarnRuleVersion } from '../earn-rules/earn-rule-versions.repository';
import { Partner, partnerCategories } from './partner.entity';
import { lockPartner } from './partner-lock';
import { Store } from './store.entity';

const storeInput = z
  .object({
    name: text('name'),
    kind: z.enum(['PHYSICAL', 'ONLINE']),
    address: text('address', 500, true).nullish(),
    timeZone,
  })
  .refine((store) => store.kind === 'ONLINE' || !!store.address, {
    message: 'is required for a physical store',
    path: ['address'],
  });

const onboardInput = z
  .object({
    name: text('name'),
    legalEntity: text('legalEntity'),
    category: z.enum(partnerCategories),
    settlementCurrency: currencyCode,
    pointsPerCurrencyUnit: z.number().int().min(1).max(limits.pointsPerCurrencyUnitMax).default(1),
    returnWindowDays: z.number().int().min(0).max(limits.returnWindowDaysMax).default(14),
    burnPointsMin: z.number().int().min(1).max(Number(limits.burnPointsMax)).default(1),
    burnPointsMax: z.number().int().min(1).max(Number(limits.burnPointsMax)).nullish(),
    stores: z
      .array(storeInput)
      .max(limits.storesPerPartnerMax, `at most ${limits.storesPerPartnerMax} stores`),
  })
  .refine((p) => p.burnPointsMax == null || p.burnPointsMax >= p.burnPointsMin, {
    message: 'must be at least burnPointsMin',
    path: ['burnPointsMax'],
  });

export type StoreInput = z.input<typeof storeInput>;

const storeFact = (store: Store) => ({
  storeId: store.id,
  partnerId: store.partnerId,
  name: store.name,
  kind: store.kind,
  timeZone: store.timeZone,
});

export class PartnersService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Creates the partner, its stores and version 1 of its earn rules (its base rate, from now on)
   * and announces them, in one transaction.
   */
  /** `raw` is the input as the caller sent it (GraphQL allows explicit nulls): parsed here. */
  async onboard(raw: unknown, onboardedBy: string): Promise<Partner> {
    const input = parseInput(onboardInput, raw);
    assertDistinctStoreNames(input.stores.map((s) => s.name));
    const now = new Date();
    const partner = Object.assign(new Partner(), {
      id: randomUUID(),
      name: input.name,
      legalEntity: input.legalEntity,
      category: input.category,
      settlementCurrency: input.settlementCurrency,
      status: 'ACTIVE' as const,
      pointsPerCurrencyUnit: input.pointsPerCurrencyUnit,
      returnWindowDays: input.returnWindowDays,
      burnPointsMin: input.burnPointsMin,
      burnPointsMax: input.burnPointsMax ?? null,
      earnStopAt: null,
      burnStopAt: null,
      createdAt: now,
    });
    const stores = input.stores.map((s) => newStore(partner.id, s, now));
    const rules = baseRules(partner.pointsPerCurrencyUnit);
    try {
      await inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
        await manager.insert(Partner, partner);
        if (stores.length > 0) await manager.insert(Store, stores);
        await insertEarnRuleVersion(manager, {
          partnerId: partner.id,
          version: 1,
          effectiveFrom: now,
          rules,
          createdAt: now,
          createdBy: onboardedBy,
        });
        await appendFacts(manager, [
          partnerOnboarded.build({
            partnerId: partner.id,
            name: partner.name,
            legalEntity: partner.legalEntity,
            category: partner.category,
            settlementCurrency: partner.settlementCurrency,
            status: partner.status,
            pointsPerCurrencyUnit: partner.pointsPerCurrencyUnit,
            returnWindowDays: partner.returnWindowDays,
            burnPointsMin: partner.burnPointsMin,
            burnPointsMax: partner.burnPointsMax,
            stores: stores.map(storeFact),
            earnRules: { version: 1, effectiveFrom: now.toISOString(), rules: rulesToJson(rules) },
          }),
        ]);
      });
    } catch (error) {
      if (isUniqueViolation(error, 'partner_name_unique'))
        throw new CoalitionError(ErrorCode.CONFLICT, 'A partner with this name already exists.', {
          field: 'name',
        });
      throw error;
    }
    return partner;
  }

  async addStore(partnerId: string, raw: StoreInput): Promise<Store> {
    const input = parseInput(storeInput, raw);
    return inTransaction(this.dataSource, 'READ COMMITTED', async (manager) => {
      // Lock the partner first: its facts then reach the feed in the order they were made.
      await lockPartner(manager, partnerId);
      const count = await manager.count(Store, { where: { partnerId } });
      if (count >= limits.storesPerPartnerMax) {
        throw new CoalitionError(
          ErrorCode.BAD_USER_INPUT,
          `A partner has at most ${limits.storesPerPartnerMax} stores.`,
        );
      }
      const store = newStore(partnerId, input, new Date());
      try {
        await manager.insert(Store, store);
      } catch (error) {
        if (isUniqueViolation(error, 'store_name_unique'))
          throw new CoalitionError(
            ErrorCode.CONFLICT,
            'This partner already has a store with this name.',
            { field: 'name' },
          );
        throw error;
      }
      await appendFacts(manager, [storeAdded.build(storeFact(store))]);
      return store;
    });
  }

  partnersByIds(ids: readonly string[]): Promise<Partner[]> {
    return this.dataSource.getRepository(Partner).findBy({ id: In([...ids]) });
  }

  storesByIds(ids: readonly string[]): Promise<Store[]> {
    return this.dataSource.getRepository(Store).findBy({ id: In([...ids]) });
  }

  storesOfPartners(partnerIds: readonly string[]): Promise<Store[]> {
    return this.dataSource.getRepository(Store).find({
      where: { partnerId: In([...partnerIds]) },
      order: { createdAt: 'ASC', name: 'ASC' },
    });
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(page: Page): Promise<Partner[]> {
    const query = this.dataSource
      .getRepository(Partner)
      .createQueryBuilder('p')
      .orderBy('p.created_at', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .limit(page.limit + 1);
    if (page.after) {
      const { time, id } = timeIdKey.parse(page.after);
      query.where('(p.created_at, p.id) < (:time, :id)', { time, id });
    }
    return query.getMany();
  }
}

export const partnerCursor = (partner: Partner) => timeIdKey.of(partner.createdAt, partner.id);

function newStore(partnerId: string, input: z.infer<typeof storeInput>, now: Date): Store {
  return Object.assign(new Store(), {
    id: randomUUID(),
    partnerId,
    name: input.name,
    kind: input.kind,
    address: input.address ?? null,
    timeZone: input.timeZone,
    createdAt: now,
  });
}

function assertDistinctStoreNames(names: string[]): void {
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    const key = name.toLowerCase();
    if (seen.has(key))
      throw new CoalitionError(ErrorCode.BAD_USER_INPUT, 'Two stores have the same name.', {
        field: `stores.${i}.name`,
      });
    seen.add(key);
  }
}
