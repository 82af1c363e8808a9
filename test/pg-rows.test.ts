import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PG_ADMIN_URL } from './helpers/db.js';

// patches/postgres+3.4.9.patch: a row of many columns is made by an object literal compiled once per
// column list, not by assigning one property at a time (which leaves V8 a dictionary-mode object:
// slower to read and about twice the allocation of the directory page's rows). Checked in a child
// process, where V8's %HasFastProperties is available.
describe('postgres.js rows', () => {
  it('a 30-column row has fast properties and the right values; a repeated name keeps the last, as before', () => {
    const script = `
      const { default: postgres } = await import(${JSON.stringify(new URL('../node_modules/postgres/src/index.js', import.meta.url).href)});
      const sql = postgres(${JSON.stringify(PG_ADMIN_URL)}, { max: 1, fetch_types: false, onnotice: () => {} });
      const cols = Array.from({ length: 30 }, (_, i) => (i + 1) + ' AS c' + (i + 1)).join(', ');
      const [prepared] = await sql.unsafe('SELECT ' + cols + ', NULL::text AS nothing, $1::text AS p', ['x'], { prepare: true });
      const [unnamed] = await sql.unsafe('SELECT ' + cols + ', 2 AS c1', [], { prepare: false });
      const [raw] = await sql.unsafe('SELECT 1 AS a, 2 AS b', []).values();
      console.log(JSON.stringify({
        fast: [%HasFastProperties(prepared), %HasFastProperties(unnamed)],
        keys: Object.keys(prepared).length, c1: prepared.c1, c30: prepared.c30, nothing: prepared.nothing, p: prepared.p,
        repeated: unnamed.c1, raw,
      }));
      await sql.end();`;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ fast: [true, true], keys: 32, c1: 1, c30: 30, nothing: null, p: 'x', repeated: 2, raw: [1, 2] });
  });
});
