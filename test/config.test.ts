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

describe('email settings', () => {
  it('defaults to the log transport; SMTP_URL must be smtp(s); production with SMTP needs its own unsubscribe secret', () => {
    const dev = loadConfig({});
    expect(dev.email).toMatchObject({ smtpUrl: undefined, from: 'no-reply@steeple.localhost', webhookSecret: undefined });
    expect(dev.email.unsubscribeSecret.length).toBeGreaterThanOrEqual(16);
    expect(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.org:465', EMAIL_FROM: 'office@grace.example' }).email).toMatchObject({
      smtpUrl: 'smtps://u:p@mail.example.org:465',
      from: 'office@grace.example',
    });
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };
    expect(problems({ SMTP_URL: 'http://mail.example.org' })[0]).toContain('SMTP_URL');
    expect(problems({ EMAIL_FROM: 'not an address' })[0]).toContain('EMAIL_FROM');
    expect(problems({ EMAIL_WEBHOOK_SECRET: 'short' })[0]).toContain('EMAIL_WEBHOOK_SECRET');
    const prod = { NODE_ENV: 'production', PUBLIC_URL: 'https://api.example.org', SMTP_URL: 'smtp://mail.example.org:587' };
    expect(problems(prod)).toEqual(['EMAIL_UNSUBSCRIBE_SECRET: is required when SMTP_URL is set in production']);
    expect(loadConfig({ ...prod, EMAIL_UNSUBSCRIBE_SECRET: 'a-long-production-secret' }).email.unsubscribeSecret).toBe('a-long-production-secret');
  });
});
