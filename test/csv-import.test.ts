import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { duplicatesSql, stage } from '../src/modules/csv/import.queries.js';
import { customFields, tags } from '../src/db/schema/index.js';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
let a: SeededChurch;
let b: SeededChurch;
let staff: Record<string, string>;
let viewer: Record<string, string>;
let fieldIds: Record<string, number>;

beforeAll(async () => {
  s = await startTestServer('csv_import', { LOG_LEVEL: 'error' });
  a = await seedChurch(s, { members: 10 });
  b = await seedChurch(s, { members: 5 });
  await s.grantAll();
  staff = (await s.userWith('staff-import@steeple.test', [[a.churchId, 'staff']])).headers;
  viewer = (await s.userWith('viewer-import@steeple.test', [[a.churchId, 'viewer']])).headers;
  const made = await s.database.db
    .insert(customFields)
    .values([
      { churchId: a.churchId, name: 'Baptism date', type: 'date', position: 1 },
      { churchId: a.churchId, name: 'T-shirt size', type: 'single_choice', choices: ['S', 'M', 'L', 'XL'], position: 2 },
      { churchId: a.churchId, name: 'Volunteer hours', type: 'number', position: 3 },
      { churchId: a.churchId, name: 'Background check', type: 'yes_no', position: 4 },
      { churchId: a.churchId, name: 'Gifts', type: 'multiple_choice', choices: ['Music', 'Teaching', 'Hospitality'], position: 5 },
      { churchId: a.churchId, name: 'Notes', type: 'text', position: 6 },
    ])
    .returning();
  fieldIds = Object.fromEntries(made.map((f) => [f.name, f.id]));
  await s.database.db.insert(tags).values({ churchId: a.churchId, name: 'Choir' });
}, 60_000);
afterAll(() => s?.close());


interface Sent {
  status: number;
  body: any;
}

/** POSTs a CSV body (a string, or a generator of chunks streamed with backpressure). */
function post(q: Record<string, string>, body: string | (() => Iterable<string | Buffer>), headers: Record<string, string> = staff, contentType = 'text/csv', server = s): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${server.url.replace(/\/graphql$/, '')}/import/members.csv?${new URLSearchParams(q)}`);
    let answered = false;
    const req = http.request(url, { method: 'POST', headers: { 'content-type': contentType, ...headers } }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode!, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode!, body: text });
        }
      });
    });
    // a server refusing a body early closes the connection: writing the rest may then fail
    req.on('error', (e) => (answered ? undefined : reject(e)));
    if (typeof body === 'string') {
      req.end(body);
      return;
    }
    const it = body()[Symbol.iterator]();
    const pump = () => {
      for (;;) {
        const n = it.next();
        if (n.done) return req.end();
        if (!req.write(n.value)) return req.once('drain', pump);
      }
    };
    pump();
  });
}

const count = async (churchId: number, where = 'true') => {
  const [r] = await s.database.sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM members WHERE church_id = ${churchId} AND ${where}`);
  return r!.n;
};

const A = () => String(a.churchId);
const lines = (...rows: string[]) => rows.join('\r\n') + '\r\n';

describe('CSV import: header mapping', () => {
  it('matches columns by name, case, spaces and punctuation aside, custom fields by their name; lists unknown ones; a dry run writes nothing', async () => {
    const before = await count(a.churchId);
    const r = await post({ churchId: A() }, lines(
      'First Name,last_name,E-mail,Mobile,DOB,Family,household role,t-shirt size,Favourite colour,id,tags',
      'Mapped,ByName,mapped.byname@example.org,(312) 555-0101,1990-05-01,The ByNames,head,xl,blue,999,Choir',
    ));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ dryRun: true, applied: false, ok: true, rows: 1, validRows: 1, invalidRows: 0, created: 1, householdsCreated: 1, errorCount: 0 });
    expect(r.body.columns.map((c: any) => [c.header, c.field])).toEqual([
      ['First Name', 'firstName'], ['last_name', 'lastName'], ['E-mail', 'email'], ['Mobile', 'phone'], ['DOB', 'birthDate'],
      ['Family', 'householdName'], ['household role', 'householdRole'], ['t-shirt size', 'T-shirt size'], ['Favourite colour', null], ['id', null], ['tags', 'tags'],
    ]);
    expect(r.body.ignoredColumns).toEqual(['Favourite colour', 'id']);
    expect(await count(a.churchId)).toBe(before);
  });

  it('takes a mapping { "CSV header": "field" } over the names (custom fields by name or customField:<id>; null ignores a column)', async () => {
    const mapping = { Given: 'firstName', Fam: 'lastName', Shirt: 'T-shirt size', Remarks: `customField:${fieldIds['Notes']}`, 'E-mail': null };
    const r = await post({ churchId: A(), mapping: JSON.stringify(mapping), dryRun: 'false' }, lines(
      'Given,Fam,Shirt,Remarks,E-mail',
      'Mappy,McMapface,M,hello there,not-an-email',
    ));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ applied: true, created: 1, errorCount: 0, ignoredColumns: ['E-mail'] });
    const [m] = await s.database.sql<{ id: number; email: string | null }[]>`SELECT id, email FROM members WHERE church_id = ${a.churchId} AND last_name = 'McMapface'`;
    expect(m!.email).toBeNull();
    const values = await s.database.sql<{ field_id: number; value_text: string }[]>`SELECT field_id, value_text FROM member_field_values WHERE member_id = ${m!.id} ORDER BY field_id`;
    expect(values).toEqual([{ field_id: fieldIds['T-shirt size'], value_text: 'M' }, { field_id: fieldIds['Notes'], value_text: 'hello there' }]);
    // a long or non-ASCII mapping: the X-Import-Mapping header, URL-encoded
    const viaHeader = await post({ churchId: A() }, lines('Prénom,Nom de famille', 'Zoé,Dupont'), {
      ...staff,
      'x-import-mapping': encodeURIComponent(JSON.stringify({ Prénom: 'firstName', 'Nom de famille': 'lastName' })),
    });
    expect(viaHeader.body).toMatchObject({ ok: true, validRows: 1, ignoredColumns: [] });
  });

  it('refuses a mapping naming an unknown field or a missing header, two columns for one field, and a file without names (BAD_USER_INPUT)', async () => {
    const unknown = await post({ churchId: A(), mapping: JSON.stringify({ Given: 'shoeSize' }) }, lines('Given,Last', 'A,B'));
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'mapping["Given"]' });
    expect(unknown.body.errors[0].message).toContain('"shoeSize" is not a field');
    const missing = await post({ churchId: A(), mapping: JSON.stringify({ Nope: 'email' }) }, lines('First,Last', 'A,B'));
    expect(missing.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'mapping["Nope"]' });
    const twice = await post({ churchId: A() }, lines('First,Last,Email,E-mail', 'A,B,a@x.org,b@x.org'));
    expect(twice.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'header' });
    expect(twice.body.errors[0].message).toContain('"Email" and "E-mail" both fill email');
    const noNames = await post({ churchId: A() }, lines('Email', 'a@x.org'));
    expect(noNames.status).toBe(400);
    expect(noNames.body.errors[0].message).toContain('no column for firstName');
    const semicolons = await post({ churchId: A() }, lines('First Name;Last Name', 'A;B'));
    expect(semicolons.body.errors[0].message).toContain('separated by ";" or tabs');
    const badJson = await post({ churchId: A(), mapping: '{oops' }, lines('First,Last', 'A,B'));
    expect(badJson.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'mapping' });
  });
});

describe('CSV import: dry run and validation', () => {
  const bad = lines(
    'First Name,Last Name,Email,Status,Birth Date,Baptism date,T-shirt size,Volunteer hours,Background check,Gifts,Notes',
    'Good,Row,good.row@example.org,member,1980-01-02,2001-04-15,L,"1,250.5",yes,Music; teaching,"a note, with a comma"',
    'Bad,Email,not-an-email,,,,,,,,',
    'Bad,Date,,,1990-02-30,,,,,,',
    'Bad,Status,,pastor,,,,,,,',
    'Bad,Custom,,,,2020-13-01,XXL,lots,maybe,Dancing,',
    '"Multi\nLine",Cell,,,,,,,,,"first line\nsecond line"',
    ',NoFirst,,,,,,,,,',
    '',
    'Too,Many,,,,,,,,,,surplus',
  );

  it('reports each problem with its row (the spreadsheet row: 1 is the header), column and field, and writes nothing', async () => {
    const before = await count(a.churchId);
    const r = await post({ churchId: A() }, bad);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ dryRun: true, applied: false, ok: false, rows: 8, blankRows: 1, validRows: 2, invalidRows: 6, created: 0 });
    const errs = r.body.errors.map((e: any) => [e.row, e.column, e.field]);
    expect(errs).toEqual([
      [3, 'Email', 'email'],
      [4, 'Birth Date', 'birthDate'],
      [5, 'Status', 'status'],
      [6, 'Baptism date', 'Baptism date'],
      [6, 'T-shirt size', 'T-shirt size'],
      [6, 'Volunteer hours', 'Volunteer hours'],
      [6, 'Background check', 'Background check'],
      [6, 'Gifts', 'Gifts'],
      [8, 'First Name', 'firstName'],
      [10, null, 'row'],
    ]);
    expect(r.body.errorCount).toBe(10);
    const msg = (row: number, field: string) => r.body.errors.find((e: any) => e.row === row && e.field === field).message;
    expect(msg(3, 'email')).toBe('is not a valid email address');
    expect(msg(4, 'birthDate')).toContain('YYYY-MM-DD');
    expect(msg(5, 'status')).toContain('VISITOR, REGULAR, MEMBER or INACTIVE');
    expect(msg(6, 'T-shirt size')).toContain('must be one of: S, M, L, XL');
    expect(msg(6, 'Volunteer hours')).toBe('must be a number');
    expect(msg(6, 'Background check')).toBe('must be yes or no');
    expect(await count(a.churchId)).toBe(before);
  });

  it('an apply with any invalid row writes nothing and answers 422 with the same report', async () => {
    const before = await count(a.churchId);
    const r = await post({ churchId: A(), dryRun: 'false' }, bad);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ dryRun: false, applied: false, created: 0, errorCount: 10 });
    expect(await count(a.churchId)).toBe(before);
    expect(await count(a.churchId, `last_name = 'Row' AND first_name = 'Good'`)).toBe(0);
  });

  it('refuses what is not UTF-8, and a broken quote, naming the file', async () => {
    const latin1 = Buffer.concat([Buffer.from('First,Last\r\nJos'), Buffer.from([0xe9]), Buffer.from(',Nunez\r\n')]);
    // é as Latin-1 (what Excel's plain "CSV" saves on Windows): the single byte 0xE9
    const r = await post({ churchId: A() }, () => [latin1], staff);
    expect(r.status).toBe(400);
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'file' });
    expect(r.body.errors[0].message).toContain('UTF-8');
    const quote = await post({ churchId: A() }, lines('First,Last', '"Unclosed,Quote'));
    expect(quote.status).toBe(400);
    expect(quote.body.errors[0].extensions.field).toBe('file');
  });
});

describe('CSV import: duplicates', () => {
  it('reports rows matching the church’s people (email, phone, name and birth date) and earlier rows of the file; skip by default', async () => {
    const [p0, p1, p2] = a.memberIds;
    await s.database.sql`UPDATE members SET birth_date = '1975-06-07' WHERE id = ${p2!}`;
    await s.database.sql`UPDATE members SET phone = '+13125550177' WHERE id = ${p1!}`;
    const [one] = await s.database.sql<{ phone: string; first_name: string; last_name: string }[]>`SELECT phone, first_name, last_name FROM members WHERE id = ${p1!}`;
    const [two] = await s.database.sql<{ first_name: string; last_name: string }[]>`SELECT first_name, last_name FROM members WHERE id = ${p2!}`;
    const csv = lines(
      'First Name,Last Name,Email,Phone,Birth Date',
      'Dup,ByEmail,PERSON0@example.org,,', // church B has a person0@example.org too: not a match here
      `Dup,ByPhone,,${one!.phone},`,
      `${two!.first_name.toUpperCase()},${two!.last_name},,,1975-06-07`,
      'Fresh,One,fresh.one@example.org,,',
      'Fresh,Again,fresh.one@example.org,,',
      'Fresh,Two,fresh.two@example.org,,',
    );
    const dry = await post({ churchId: A() }, csv);
    expect(dry.body.duplicateCount).toBe(4);
    expect(dry.body.duplicates).toEqual([
      { row: 2, reasons: ['EMAIL'], memberId: String(p0), duplicateOfRow: null },
      { row: 3, reasons: ['PHONE'], memberId: String(p1), duplicateOfRow: null },
      { row: 4, reasons: ['NAME_AND_BIRTH_DATE'], memberId: String(p2), duplicateOfRow: null },
      { row: 6, reasons: ['EMAIL'], memberId: null, duplicateOfRow: 5 },
    ]);
    expect(dry.body).toMatchObject({ ok: true, validRows: 6, created: 2, skippedDuplicates: 4 });
    expect((await post({ churchId: A(), onDuplicate: 'error' }, csv)).body).toMatchObject({ ok: false, created: 0, duplicateCount: 4 });

    const before = await count(a.churchId);
    const refused = await post({ churchId: A(), dryRun: 'false', onDuplicate: 'error' }, csv);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ applied: false, created: 0, duplicateCount: 4 });
    expect(await count(a.churchId)).toBe(before);

    const skipped = await post({ churchId: A(), dryRun: 'false' }, csv);
    expect(skipped.status).toBe(200);
    expect(skipped.body).toMatchObject({ applied: true, created: 2, skippedDuplicates: 4 });
    expect(await count(a.churchId)).toBe(before + 2);
    expect(await count(a.churchId, `first_name = 'Dup'`)).toBe(0);

    const created = await post({ churchId: A(), dryRun: 'false', onDuplicate: 'create' }, lines('First,Last,Email', 'Dup,Anyway,person0@example.org'));
    expect(created.body).toMatchObject({ applied: true, created: 1, duplicateCount: 1, skippedDuplicates: 0 });
  });
});

describe('CSV import: concurrency', () => {
  it('two imports of one file at once create its people once (the second sees the first’s as duplicates)', async () => {
    const csv = lines('First,Last,Email', ...Array.from({ length: 200 }, (_, i) => `Twice${i},Concurrent,twice${i}@example.org`));
    const [x, y] = await Promise.all([post({ churchId: A(), dryRun: 'false' }, csv), post({ churchId: A(), dryRun: 'false' }, csv)]);
    expect([x.body.created, y.body.created].sort()).toEqual([0, 200]);
    expect(await count(a.churchId, `last_name = 'Concurrent'`)).toBe(200);
  });
});

describe('CSV import: apply', () => {
  it('writes people with custom values, tags (new ones created), households and opt-outs; formula-looking cells as given; audited; the cached directory follows', async () => {
    const page = `query($c: ID!) { members(churchId: $c, first: 10) { totalCount nodes { id } } }`;
    const before = (await s.gql(page, { c: A() }, staff)).data.members.totalCount;
    s.database.statements.reset();
    await s.gql(page, { c: A() }, staff);
    expect(s.database.statements.count, 'the page is cached').toBe(0);
    // this number replied STOP: whoever is imported with it stays opted out, whatever the file says
    await s.database.sql`INSERT INTO sms_consents (church_id, phone, opted_out_at, via) VALUES (${a.churchId}, '+13125550142', now(), 'keyword:STOP')`;
    const csv = lines(
      'First Name,Last Name,Email,Phone,Status,Household,Household Role,Tags,SMS opted out,Baptism date,Volunteer hours,Background check,Gifts,Notes',
      '"=HYPERLINK(""http://evil.example"",""click"")",Formula,formula@example.org,+1 312 555 0142,member,The Formulas,head,Choir; Ushers,no,2010-03-04,"1,200",yes,Teaching;music,+SUM(A1)',
      '@cmd,Formula,,,regular,the formulas,spouse,ushers,yes,,,no,,-2+3',
    );
    const r = await post({ churchId: A(), dryRun: 'false' }, csv);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ applied: true, created: 2, householdsCreated: 1, tagsCreated: ['Ushers'] });
    const ms = await s.database.sql<any[]>`
      SELECT m.id, m.first_name, m.status, m.phone, m.household_id, m.household_role, m.sms_opt_out_via, m.joined_on
      FROM members m WHERE church_id = ${a.churchId} AND last_name = 'Formula' ORDER BY m.id`;
    expect(ms.map((m) => m.first_name)).toEqual(['=HYPERLINK("http://evil.example","click")', '@cmd']);
    expect(ms[0].phone).toBe('+13125550142');
    expect(ms[0].status).toBe('member');
    expect(ms[0].joined_on).not.toBeNull();
    expect(ms[0].household_id).toBe(ms[1].household_id);
    expect([ms[0].household_role, ms[1].household_role]).toEqual(['head', 'spouse']);
    expect([ms[0].sms_opt_out_via, ms[1].sms_opt_out_via]).toEqual(['keyword:STOP', 'import']);
    const values = await s.database.sql<any[]>`
      SELECT member_id, field_id, value_text, value_number::text AS n, value_date::text AS d, value_bool, value_choices::text AS value_choices
      FROM member_field_values WHERE member_id IN ${s.database.sql(ms.map((m) => m.id))} ORDER BY member_id, field_id`;
    expect(values.map((x) => [x.member_id, x.field_id, x.value_text ?? x.n ?? x.d ?? x.value_bool ?? x.value_choices])).toEqual([
      [ms[0].id, fieldIds['Baptism date'], '2010-03-04'],
      [ms[0].id, fieldIds['Volunteer hours'], '1200'],
      [ms[0].id, fieldIds['Background check'], true],
      [ms[0].id, fieldIds['Gifts'], '{Music,Teaching}'],
      [ms[0].id, fieldIds['Notes'], '+SUM(A1)'],
      [ms[1].id, fieldIds['Background check'], false],
      [ms[1].id, fieldIds['Notes'], '-2+3'],
    ]);
    const tagged = await s.database.sql<any[]>`
      SELECT mt.member_id, t.name FROM member_tags mt JOIN tags t ON t.id = mt.tag_id WHERE mt.member_id IN ${s.database.sql(ms.map((m) => m.id))} ORDER BY 1, 2`;
    expect(tagged.map((x) => [x.member_id, x.name])).toEqual([[ms[0].id, 'Choir'], [ms[0].id, 'Ushers'], [ms[1].id, 'Ushers']]);
    const log = await s.database.sql<any[]>`SELECT entity, entity_id, action, actor_user_id, changes FROM audit_log WHERE church_id = ${a.churchId} AND entity = 'MemberImport' AND entity_id = ${r.body.importId}`;
    expect(log).toHaveLength(1);
    expect(log[0].actor_user_id).not.toBeNull();
    expect(log[0].changes).toMatchObject({ created: [null, 2], rows: [null, 2] });
    const perMember = await s.database.sql<any[]>`SELECT changes FROM audit_log WHERE entity = 'Member' AND action = 'import' AND entity_id = ${String(ms[0].id)}`;
    expect(perMember[0].changes).toMatchObject({ lastName: [null, 'Formula'], status: [null, 'member'], [`customFields.${fieldIds['Notes']}`]: [null, '+SUM(A1)'] });
    expect((await s.gql(page, { c: A() }, staff)).data.members.totalCount).toBe(before + 2);
  });
});

describe('CSV import: access', () => {
  const csv = lines('First,Last', 'No,Body');
  it('needs a signed-in STAFF of the church: VIEWER FORBIDDEN (403), signed out 401, another church 404', async () => {
    const before = await count(a.churchId);
    const asViewer = await post({ churchId: A(), dryRun: 'false' }, csv, viewer);
    expect(asViewer.status).toBe(403);
    expect(asViewer.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', required: 'STAFF' });
    const anon = await post({ churchId: A(), dryRun: 'false' }, csv, {});
    expect(anon.status).toBe(401);
    const other = await post({ churchId: String(b.churchId), dryRun: 'false' }, csv, staff);
    expect(other.status).toBe(404);
    expect(other.body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(await count(a.churchId)).toBe(before);
    expect(await count(b.churchId)).toBe(b.memberIds.length);
  });

  it('a client that leaves mid-upload writes nothing and leaves no temporary file behind', async () => {
    const before = await count(a.churchId);
    const spools = () => readdirSync(tmpdir()).filter((f) => f.startsWith('steeple-import-'));
    await new Promise<void>((resolve) => {
      const url = new URL(`${s.url.replace(/\/graphql$/, '')}/import/members.csv?churchId=${A()}&dryRun=false`);
      const req = http.request(url, { method: 'POST', headers: { 'content-type': 'text/csv', ...staff } });
      req.on('error', () => resolve());
      req.write('First,Last\r\n' + 'Half,Way\r\n'.repeat(1000));
      setTimeout(() => {
        expect(spools().length).toBe(1); // the upload is being read
        req.destroy();
        resolve();
      }, 300);
    });
    for (let i = 0; i < 50 && spools().length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(spools()).toEqual([]);
    expect(await count(a.churchId)).toBe(before);
    expect((await post({ churchId: A() }, lines('First,Last', 'After,Wards'))).body).toMatchObject({ ok: true });
  });

  it('takes only a text/csv body (415), from an allowed origin (403): no cross-site form can post one', async () => {
    const plain = await post({ churchId: A(), dryRun: 'false' }, csv, staff, 'text/plain');
    expect(plain.status).toBe(415);
    const form = await post({ churchId: A(), dryRun: 'false' }, csv, staff, 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    const foreign = await post({ churchId: A(), dryRun: 'false' }, csv, { ...staff, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await count(a.churchId, `last_name = 'Body'`)).toBe(0);
  });
});

describe('CSV import: 50,000 rows', () => {
  const N = 50_000;
  const header = 'First Name,Last Name,Email,Phone,Status,Household,Household Role,Tags,T-shirt size,Volunteer hours\r\n';
  function* file(badLast: boolean): Iterable<string> {
    yield header;
    let chunk = '';
    for (let i = 0; i < N; i++) {
      const email = badLast && i === N - 1 ? 'not-an-email' : `bulk${i}@fifty.example`;
      const phone = `(312) ${200 + Math.floor(i / 10_000)}-${String(i % 10_000).padStart(4, '0')}`;
      chunk += `Bulk${i},Fifty,${email},${phone},${['visitor', 'regular', 'member', 'inactive'][i % 4]},Fifty Home ${i >> 1},${i % 2 ? 'spouse' : 'head'},${i % 10 === 0 ? 'Fifty;Choir' : ''},${['S', 'M', 'L', 'XL'][i % 4]},${i % 7}\r\n`;
      if (i % 500 === 499) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }

  /** Samples the heap while `run` goes: the most it grew over the start (the server runs in this process). */
  async function heapGrowth<T>(run: () => Promise<T>): Promise<{ result: T; grewMb: number }> {
    const start = process.memoryUsage().heapUsed;
    let peak = start;
    const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 10);
    try {
      const result = await run();
      return { result, grewMb: (Math.max(peak, process.memoryUsage().heapUsed) - start) / 2 ** 20 };
    } finally {
      clearInterval(t);
    }
  }

  it('is all or nothing: one bad row at the end writes none; fixed, all 50,000 go in, in bounded memory and a bounded number of statements', async () => {
    const before = await count(a.churchId);
    const refused = await post({ churchId: A(), dryRun: 'false' }, () => file(true));
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ rows: N, validRows: N - 1, invalidRows: 1, errorCount: 1, created: 0, applied: false });
    expect(refused.body.errors).toEqual([{ row: N + 1, column: 'Email', field: 'email', message: 'is not a valid email address' }]);
    expect(await count(a.churchId)).toBe(before);
    expect(await count(a.churchId, `last_name = 'Fifty'`)).toBe(0);

    s.database.statements.reset();
    const started = performance.now();
    const { result: ok, grewMb } = await heapGrowth(() => post({ churchId: A(), dryRun: 'false' }, () => file(false)));
    const statements = s.database.statements.count;
    const seconds = (performance.now() - started) / 1000;
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ rows: N, validRows: N, created: N, householdsCreated: N / 2, errorCount: 0, duplicateCount: 0, applied: true, tagsCreated: ['Fifty'] });
    expect(await count(a.churchId)).toBe(before + N);
    const [v] = await s.database.sql<{ values: number; tagged: number; audited: number }[]>`
      SELECT (SELECT count(*)::int FROM member_field_values f JOIN members m ON m.id = f.member_id WHERE m.last_name = 'Fifty') AS values,
        (SELECT count(*)::int FROM member_tags t JOIN members m ON m.id = t.member_id WHERE m.last_name = 'Fifty') AS tagged,
        (SELECT count(*)::int FROM audit_log WHERE church_id = ${a.churchId} AND entity = 'Member' AND action = 'import') AS audited`;
    expect(v!.values).toBe(2 * N);
    expect(v!.tagged).toBe(2 * (N / 10));
    expect(v!.audited).toBeGreaterThanOrEqual(N);
    // Measured here: ~10-12 MB (csv-parse's and the COPY stream's buffers, and garbage not yet
    // collected). The file's 50,000 rows merely held as csv-parse's string arrays take 21 MB after
    // a full GC (and every row as a validated object more), so holding them would pass this bound.
    console.log(`50,000-row import: ${seconds.toFixed(1)} s, heap grew ${grewMb.toFixed(1)} MB, ${statements} statements`);
    expect(grewMb).toBeLessThan(32);
    // one COPY and set-based steps: the count does not grow with the rows
    expect(statements).toBeLessThan(40);
  }, 60_000);
});

describe('CSV import: limits', () => {
  let small: TestServer;
  let smallStaff: Record<string, string>;
  let smallChurch: SeededChurch;
  beforeAll(async () => {
    small = await startTestServer('csv_import_small', { IMPORT_MAX_BYTES: '2048', IMPORT_MAX_ROWS: '3' });
    smallChurch = await seedChurch(small, { members: 1 });
    smallStaff = (await small.userWith('staff-small@steeple.test', [[smallChurch.churchId, 'staff']])).headers;
  }, 60_000);
  afterAll(() => small?.close());

  const to = (q: Record<string, string>, body: string | (() => Iterable<string>)) => post(q, body, smallStaff, 'text/csv', small);

  it('answers 413 beyond IMPORT_MAX_BYTES (announced or streamed) and IMPORT_MAX_ROWS, writing nothing', async () => {
    const c = String(smallChurch.churchId);
    const big = 'First,Last\r\n' + 'Someone,Quite-Long-Surname-Here\r\n'.repeat(80);
    const announced = await to({ churchId: c, dryRun: 'false' }, big);
    expect(announced.status).toBe(413);
    expect(announced.body.errors[0].extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', limit: 'bytes', max: 2048 });
    const streamed = await to({ churchId: c, dryRun: 'false' }, () => [big.slice(0, 1500), big.slice(1500)]);
    expect(streamed.status).toBe(413);
    expect(streamed.body.errors[0].extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', limit: 'bytes' });
    // far over the cap, streamed: refused when the cap is crossed, the answer still delivered
    const chunk = 'Someone,Quite-Long-Surname-Here\r\n'.repeat(200);
    const huge = await to({ churchId: c, dryRun: 'false' }, () => ['First,Last\r\n', ...Array<string>(300).fill(chunk)]);
    expect(huge.status).toBe(413);
    const rows = await to({ churchId: c, dryRun: 'false' }, lines('First,Last', 'A,One', 'B,Two', 'C,Three', 'D,Four'));
    expect(rows.status).toBe(413);
    expect(rows.body.errors[0].extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', limit: 'rows', max: 3 });
    const ok = await to({ churchId: c, dryRun: 'false' }, lines('First,Last', 'A,One', 'B,Two', '', 'C,Three'));
    expect(ok.body).toMatchObject({ applied: true, created: 3, blankRows: 1 });
    const [n] = await small.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM members WHERE church_id = ${smallChurch.churchId}`;
    expect(n!.n).toBe(1 + 3);
  });
});

describe('CSV import: access paths', () => {
  it('finds duplicates against the church’s people on the merge module’s indexes (staged by COPY)', async () => {
    let plan = '';
    const rollback = new Error('rollback');
    await s.database.db
      .transaction(async (tx) => {
        // a church of 20,000 (rolled back): the plans of a real directory, not of a handful of rows
        await tx.execute(sql`
          INSERT INTO members (church_id, first_name, last_name, email, phone, birth_date)
          SELECT ${a.churchId}::int, 'P' || g, 'Plan' || g, 'plan' || g || '@example.org', '+1312' || (2000000 + g)::text,
            date '1950-01-01' + (g % 20000)
          FROM generate_series(1, 20000) g`);
        await tx.execute(sql`ANALYZE members`);
        const row = ['1', 'Ann', 'Probe', 'ann.probe@example.org', '+13125550100', 'visitor', '\\N', '\\N', '\\N', '1990-01-01', '\\N', '\\N', 'f', '\\N', '\\N'];
        await stage(tx, a.churchId, 5000, Readable.from([row.join('\t') + '\n']));
        const rows = await tx.execute<{ 'QUERY PLAN': string }>(sql`EXPLAIN ${duplicatesSql(a.churchId)}`);
        plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        throw rollback;
      })
      .catch((e: unknown) => {
        if (e !== rollback) throw e;
      });
    for (const index of ['members_church_email_idx', 'members_church_phone_idx', 'members_church_name_birth_idx']) expect(plan, plan).toContain(index);
    expect(plan).not.toContain('Seq Scan on members');
  });
});
