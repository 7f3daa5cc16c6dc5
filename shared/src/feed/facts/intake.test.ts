import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Fact } from '../outbox';
import {
  defineFact,
  defineFeed,
  MalformedFactError,
  UnknownFactError,
  type FeedCatalogue,
} from './catalogue';
import { at } from './facts.fixtures';
import { factIntake, undeclaredTypes } from './intake';

const points = z.string().regex(/^\d+$/).transform(BigInt);
const key = () => 'm-1';
const given = defineFact({ name: 'points.given', version: 1, key, schema: z.object({ points }) });
const taken = defineFact({ name: 'points.taken', version: 1, key, schema: z.object({ points }) });
const noted = defineFact({
  name: 'member.noted',
  version: 1,
  key,
  schema: z.object({ note: z.string() }),
});
const feed = defineFeed('test', [given, taken, noted]);

let seq = 0;
const fact = (type: string, payload: Record<string, unknown>): Fact => ({
  type,
  key: 'm-1',
  payload,
  position: `1.${++seq}`,
  recordedAt: at,
});

const intake = factIntake(feed, 'ledger ← test feed', {
  'points.given': 'handles',
  'points.taken': 'handles',
  'member.noted': 'ignores',
});

describe("a consumer's intake of a feed", () => {
  it('says what it handles and what it ignores, by name', () => {
    expect(intake.handles).toEqual(['points.given', 'points.taken']);
    expect(intake.ignores).toEqual(['member.noted']);
  });

  it('hands over a fact it handles parsed, typed by its type', () => {
    const read = intake.read(fact('points.given', { points: '7' }));
    expect(read?.type).toBe('points.given');
    expect(read?.payload.points).toBe(7n);
  });

  it('passes over a fact it ignores without reading its payload', () => {
    expect(intake.read(fact('member.noted', { note: 12 }))).toBeUndefined();
  });

  it('stops at a fact of a type the catalogue does not know, rather than skip it', () => {
    expect(() => intake.read(fact('points.gifted', { points: '7' }))).toThrow(UnknownFactError);
    expect(() => intake.read(fact('points.given@2', { points: '7' }))).toThrow(UnknownFactError);
  });

  it('stops at a fact it handles whose payload its schema refuses', () => {
    expect(() => intake.read(fact('points.taken', { points: 7 }))).toThrow(MalformedFactError);
  });

  it('is refused when it leaves out a fact type of the feed, naming it', () => {
    // Widened, as a declaration built at run time would be: the type checker no longer sees the gap.
    const wide: FeedCatalogue = feed;
    const partial: Record<string, 'handles' | 'ignores'> = { 'points.given': 'handles' };
    expect(undeclaredTypes(wide, partial)).toEqual(['points.taken', 'member.noted']);
    expect(() => factIntake(wide, 'ledger ← test feed', partial)).toThrow(
      /ledger ← test feed .* does not name points.taken, member.noted/,
    );
  });

  it('is refused when it names a fact type the feed does not carry', () => {
    const wide: FeedCatalogue = feed;
    const stranger = {
      'points.given': 'handles',
      'points.taken': 'handles',
      'member.noted': 'ignores',
      'points.gifted': 'ignores',
    } as const;
    expect(() => factIntake(wide, 'ledger ← test feed', stranger)).toThrow(/points.gifted/);
  });

  it('applies the facts it handles one at a time in feed order, passing over the ignored', async () => {
    const applied: string[] = [];
    const apply = intake.oneByOne<string[]>(async (log, f) => {
      log.push(`${f.type} ${f.payload.points}`);
    });
    await apply(applied, [
      fact('points.given', { points: '5' }),
      fact('member.noted', { note: 'hello' }),
      fact('points.taken', { points: '2' }),
    ]);
    expect(applied).toEqual(['points.given 5', 'points.taken 2']);
  });

  it('applies nothing of a page that holds a fact it cannot read', async () => {
    const applied: string[] = [];
    const apply = intake.oneByOne<string[]>(async (log, f) => {
      log.push(f.type);
    });
    const page = [fact('points.given', { points: '5' }), fact('points.gifted', { points: '1' })];
    await expect(apply(applied, page)).rejects.toThrow(UnknownFactError);
    expect(applied).toEqual([]);
  });
});
