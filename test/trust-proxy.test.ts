import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/env.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// TRUST_PROXY in every form, observed through the client IP the server really uses: the sign-in
// limiter counts each attempt under `rl:login-ip:<req.ip>` in Redis before checking the password.
// The test connects from 127.0.0.1 through two "proxies": X-Forwarded-For lists the client
// 198.51.100.7, then the outer proxy 203.0.113.9.
const FORWARDED = { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' };
const CANDIDATES = ['127.0.0.1', '203.0.113.9', '198.51.100.7'];

const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function clientIpSeen(trustProxy: string | undefined): Promise<string[]> {
  const s = await startTestServer(`trust-${servers.length}`, trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy });
  servers.push(s);
  // the server's own setup signs its default caller in from 127.0.0.1: count what this attempt adds
  const counts = () => Promise.all(CANDIDATES.map(async (ip) => Number((await s.redis.get(`rl:login-ip:${ip}`)) ?? 0)));
  const before = await counts();
  const res = await s.login('nobody@x.test', 'wrong password', FORWARDED);
  expect(res.result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  const after = await counts();
  return CANDIDATES.filter((_, i) => after[i]! > before[i]!);
}

describe('TRUST_PROXY behind X-Forwarded-For', () => {
  it.each([
    { form: 'the default (loopback)', value: undefined, expected: '203.0.113.9' },
    { form: 'false', value: 'false', expected: '127.0.0.1' },
    { form: 'true', value: 'true', expected: '198.51.100.7' },
    { form: 'a hop count of 0', value: '0', expected: '127.0.0.1' },
    { form: 'a hop count of 1', value: '1', expected: '203.0.113.9' },
    { form: 'a hop count of 2', value: '2', expected: '198.51.100.7' },
    { form: 'a list of a CIDR and an IP', value: '127.0.0.0/8, 203.0.113.9', expected: '198.51.100.7' },
    { form: 'a name and an IPv6 CIDR', value: 'linklocal,::1/128', expected: '127.0.0.1' },
    { form: 'a CIDR the socket is not in', value: '10.0.0.0/8', expected: '127.0.0.1' },
  ])('$form → the client is $expected', async ({ value, expected }) => {
    expect(await clientIpSeen(value)).toEqual([expected]);
  });
});

describe('TRUST_PROXY parsing', () => {
  it('turns each form into what express expects', () => {
    const parse = (v: string) => loadConfig({ TRUST_PROXY: v }).http.trustProxy;
    expect(parse('1')).toBe(1);
    expect(parse(' 3 ')).toBe(3);
    expect(parse('true')).toBe(true);
    expect(parse('false')).toBe(false);
    expect(parse('loopback, 10.0.0.0/8,fd00::/8')).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8']);
    expect(loadConfig({}).http.trustProxy).toEqual(['loopback']);
  });

  it('refuses anything else at start, listing every problem', () => {
    let err: unknown;
    try {
      loadConfig({ TRUST_PROXY: 'loopback, proxies, 10.0.0.0/33, 300.1.1.1', PORT: 'x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.filter((p) => p.startsWith('TRUST_PROXY'))).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/"proxies"[\s\S]*10\.0\.0\.0\/33[\s\S]*300\.1\.1\.1/);
    for (const bad of ['yes', '99', '', 'loopback,,uniquelocal', '-1']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
    }
  });
});
