import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@coalition/shared/logger';
import { storeBreaker } from './store-breaker';

/** A pool whose next answers are given: a result, or an error to throw. */
function scriptedPool(answers: (Error | 'ok')[]) {
  let calls = 0;
  const pool = {
    query: async () => {
      calls += 1;
      const answer = answers.shift() ?? 'ok';
      if (answer instanceof Error) throw answer;
      return { rows: [] };
    },
  };
  return { pool: pool as unknown as pg.Pool, calls: () => calls };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const sqlError = () => Object.assign(new Error('relation does not exist'), { code: '42P01' });
const query = { text: 'SELECT 1' };
const silent = createLogger('test', 'silent');

describe('the rate-limit store breaker', () => {
  it('fails at once, without asking the pool, after the database could not be reached', async () => {
    const { pool, calls } = scriptedPool([refused()]);
    const client = storeBreaker(pool, 60_000, silent);
    await expect(client.query(query)).rejects.toThrow('ECONNREFUSED');
    await expect(client.query(query)).rejects.toThrow('the rate-limit store is down');
    expect(calls()).toBe(1);
  });

  it('asks again once the interval is over', async () => {
    const { pool, calls } = scriptedPool([refused(), 'ok']);
    const client = storeBreaker(pool, 1, silent);
    await expect(client.query(query)).rejects.toThrow('ECONNREFUSED');
    await new Promise((done) => setTimeout(done, 5));
    await expect(client.query(query)).resolves.toEqual({ rows: [] });
    expect(calls()).toBe(2);
  });

  it('keeps asking after a SQL error: the database answered', async () => {
    const { pool, calls } = scriptedPool([sqlError(), 'ok']);
    const client = storeBreaker(pool, 60_000, silent);
    await expect(client.query(query)).rejects.toThrow('relation does not exist');
    await expect(client.query(query)).resolves.toEqual({ rows: [] });
    expect(calls()).toBe(2);
  });
});
