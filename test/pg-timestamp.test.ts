import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { pgTimestampMs, toDate } from '../src/db/sql.js';

// toDate reads PostgreSQL's timestamp text by position (src/db/sql.ts pgTimestampMs): it must
// agree with what PostgreSQL means, for every offset and fraction it prints.
const sql = postgres(process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', { max: 1, onnotice: () => {} });
afterAll(() => sql.end());

describe('PostgreSQL timestamp text', () => {
  it('agrees with PostgreSQL for random instants in several session time zones', async () => {
    const zones = ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'America/Sao_Paulo', 'Africa/Monrovia'];
    const instants = fc.sample(fc.integer({ min: Date.UTC(1850, 0, 1), max: Date.UTC(2200, 0, 1) }), 200);
    for (const zone of zones) {
      // the instant in microseconds, printed by PostgreSQL in that zone, and its epoch as PostgreSQL computes it
      const rows = await sql.begin(async (tx) => {
        await tx.unsafe(`SET LOCAL TimeZone = '${zone}'`);
        return tx<{ text: string; ms: string }[]>`
          SELECT t::text AS text, floor(extract(epoch FROM t) * 1000)::bigint::text AS ms
          FROM unnest(${instants.map((ms) => ms * 1000 + 417)}::bigint[]) AS u(us),
               LATERAL (SELECT to_timestamp(u.us / 1e6) AS t) x`;
      });
      for (const r of rows) expect(pgTimestampMs(r.text), `${zone} ${r.text}`).toBe(Number(r.ms));
    }
  });

  it('the forms it does not read by position go to Date: ISO text, infinity, whole seconds, old offsets', () => {
    expect(pgTimestampMs('2026-11-30T12:00:00.123+00:00')).toBe(Date.UTC(2026, 10, 30, 12, 0, 0, 123));
    expect(pgTimestampMs('2026-11-30 12:00:00+00')).toBe(Date.UTC(2026, 10, 30, 12));
    expect(pgTimestampMs('2026-11-30 12:00:00.5-03')).toBe(Date.UTC(2026, 10, 30, 15, 0, 0, 500));
    expect(pgTimestampMs('1883-11-18 11:00:00-04:56:02')).toBe(Date.UTC(1883, 10, 18, 15, 56, 2));
    expect(Number.isNaN(pgTimestampMs('infinity'))).toBe(true);
    expect(toDate(null)).toBeNull();
    expect(toDate('2026-11-30 12:00:00.999999+00')!.toISOString()).toBe('2026-11-30T12:00:00.999Z');
  });
});
