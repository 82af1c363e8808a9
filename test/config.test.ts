import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/env.js';

describe('configuration', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(4000);
    expect(c.db.url).toBeUndefined();
    expect(c.db.pool).toMatchObject({ max: 10, acquireTimeoutMs: 2000, statementTimeoutMs: 5000 });
    expect(c.http.sandbox).toBe(true);
    expect(c.phone.defaultRegion).toBe('US');
  });

  it('lists every problem at once', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'eighty', DB_POOL_MAX: '0', DATABASE_URL: 'mysql://x', PHONE_DEFAULT_REGION: 'usa', LOG_LEVEL: 'loud' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    for (const key of ['PORT', 'DB_POOL_MAX', 'DATABASE_URL', 'PHONE_DEFAULT_REGION', 'LOG_LEVEL']) {
      expect(problems).toContain(key);
    }
    expect((err as ConfigError).problems).toHaveLength(5);
  });

  it('turns the sandbox off in production whatever SANDBOX says', () => {
    expect(loadConfig({ NODE_ENV: 'production', SANDBOX: 'true' }).http.sandbox).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development', SANDBOX: 'false' }).http.sandbox).toBe(false);
  });
});

describe('SEED_DEMO', () => {
  it('seeds the demo (known passwords) by default in development only; an explicit value wins', () => {
    expect(loadConfig({}).seedDemo).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://api.example.org' }).seedDemo).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://api.example.org', SEED_DEMO: 'true' }).seedDemo).toBe(true);
    expect(loadConfig({ SEED_DEMO: 'no' }).seedDemo).toBe(false);
    expect(() => loadConfig({ SEED_DEMO: 'maybe' })).toThrow(ConfigError);
  });
});
