import DataLoader from 'dataloader';
import { assert } from '../errors';
import type { Page } from './pagination';

/** A page of a list that hangs off each partner, keyed by partner and page. */
export type PagedLoader<T> = DataLoader<{ partnerId: string; page: Page }, T[], string>;

const pageKey = (page: Page) => `${page.limit}|${page.after ?? ''}`;

/** One query per distinct page, for every partner asking for that page (usually the first page, for all of them). */
export function pagedLoader<T>(
  fetch: (partnerIds: readonly string[], page: Page) => Promise<Map<string, T[]>>,
): PagedLoader<T> {
  return new DataLoader(
    async (keys) => {
      const groups = new Map<string, { page: Page; partnerIds: string[] }>();
      for (const key of keys) {
        const group = groups.get(pageKey(key.page)) ?? { page: key.page, partnerIds: [] };
        group.partnerIds.push(key.partnerId);
        groups.set(pageKey(key.page), group);
      }
      const found = new Map<string, T[]>();
      for (const [k, group] of groups) {
        for (const [partnerId, rows] of await fetch(group.partnerIds, group.page))
          found.set(`${partnerId}|${k}`, rows);
      }
      return keys.map((key) => found.get(`${key.partnerId}|${pageKey(key.page)}`) ?? []);
    },
    { cacheKeyFn: (key) => `${key.partnerId}|${pageKey(key.page)}` },
  );
}

/** Rows in the order of the ids asked for; undefined where none has that id. */
export const byId = <T extends { id: string }>(ids: readonly string[], rows: T[]) => {
  const map = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => map.get(id));
};

/** A row another row points at (by a foreign key): not finding it is a bug, never a null. */
export async function loadReferenced<T>(
  loader: DataLoader<string, T | undefined>,
  id: string,
  what: string,
): Promise<T> {
  const found = await loader.load(id);
  assert(found !== undefined, `${what} ${id} exists`);
  return found;
}
