import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, settings } from './config';

const shape = {
  PORT: settings.port.default(4001),
  DATABASE_URL: settings.postgresUrl,
  TIMEOUT_MS: settings.positiveMs.default(5000),
};
const good = { DATABASE_URL: 'postgres://u:p@db:5432/coalition_member' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig('svc', shape, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration values', () => {
  it('reads a good environment with its defaults', () => {
    expect(loadConfig('svc', shape, good)).toEqual({
      PORT: 4001,
      DATABASE_URL: good.DATABASE_URL,
      TIMEOUT_MS: 5000,
    });
    expect(loadConfig('svc', shape, { ...good, PORT: '0' }).PORT).toBe(0);
  });

  it.each(['', ' ', '1e3', '0x10', '-1', '80.5', '65536'])(
    'refuses PORT=%j rather than guess a port',
    (port) => {
      expect(problemsOf({ ...good, PORT: port }).join()).toContain('PORT=');
    },
  );

  it.each(['postgres://', 'postgres://h', 'postgres://h:5432/', 'mysql://u:p@h/db'])(
    'refuses DATABASE_URL=%j, which names no Postgres database',
    (url) => {
      expect(problemsOf({ DATABASE_URL: url }).join()).toContain('DATABASE_URL=');
    },
  );

  it.each(['0', '600001', '99999999999', 'soon'])('refuses a timeout of %j ms', (ms) => {
    expect(problemsOf({ ...good, TIMEOUT_MS: ms }).join()).toContain('TIMEOUT_MS=');
  });

  it('never repeats a password from a bad URL', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://admin:S3cretPass@db/x' }).join();
    expect(problems).toContain('DATABASE_URL=');
    expect(problems).not.toContain('S3cretPass');
  });
});
