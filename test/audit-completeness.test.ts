import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedChurch, type SeededChurch } from './helpers/factories.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Issue 15 item 5: every change to directory data or access writes its audit entry in the change's
// own transaction: one entry per change (a bulk tagging is one entry listing the people), none for
// a refused change, readable by ADMIN and up of the church only.

let s: TestServer;
let a: SeededChurch;
let b: SeededChurch;
let admin: { id: number; headers: Record<string, string> };
let staff: { id: number; headers: Record<string, string> };
let viewer: { id: number; headers: Record<string, string> };

beforeAll(async () => {
  s = await startTestServer('audit_complete');
  a = await seedChurch(s, { members: 12 });
  b = await seedChurch(s, { members: 4 });
  await s.grantAll();
  await s.database.sql`UPDATE churches SET sms_from_number = '+13125550178' WHERE id = ${a.churchId}`;
  admin = await s.userWith('admin-audit@steeple.test', [[a.churchId, 'admin']]);
  staff = await s.userWith('staff-audit@steeple.test', [[a.churchId, 'staff']]);
  viewer = await s.userWith('viewer-audit@steeple.test', [[a.churchId, 'viewer']]);
}, 60_000);
afterAll(() => s?.close());

interface Entry { church_id: number; entity: string; entity_id: string; action: string; changes: Record<string, [unknown, unknown]> | null; actor_user_id: number | null; actor_token_id: number | null }

async function mark(): Promise<number> {
  const [r] = await s.database.sql<[{ m: number }]>`SELECT coalesce(max(id), 0)::int AS m FROM audit_log`;
  return r.m;
}
async function since(m: number): Promise<Entry[]> {
  return s.database.sql<Entry[]>`SELECT church_id, entity, entity_id, action, changes, actor_user_id, actor_token_id FROM audit_log WHERE id > ${m} ORDER BY id`;
}
/** Runs the mutation and returns the entries it wrote (failing the test on a GraphQL error). */
async function written(doc: string, vars: Record<string, unknown>, headers: Record<string, string> = admin.headers): Promise<{ data: any; entries: Entry[] }> {
  const m = await mark();
  const r: any = await s.gql(doc, vars, headers);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return { data: r.data, entries: await since(m) };
}
/** Runs a mutation that must be refused with `code` (and `field`) and checks it wrote nothing. */
async function refused(doc: string, vars: Record<string, unknown>, code: string, field?: string, headers: Record<string, string> = admin.headers) {
  const m = await mark();
  const r: any = await s.gql(doc, vars, headers);
  expect(r.errors?.[0]?.extensions?.code, JSON.stringify(r.errors)).toBe(code);
  if (field) expect(r.errors[0].extensions.field).toBe(field);
  expect(await since(m)).toEqual([]);
}
const one = (entries: Entry[]) => {
  expect(entries).toHaveLength(1);
  return entries[0]!;
};

describe('tags', () => {
  it('create, rename, archive, restore: one entry each with before → after; a duplicate name or an archived tag given writes none', async () => {
    const made = await written('mutation($c: ID!) { createTag(churchId: $c, name: "Greeters") { id } }', { c: String(a.churchId) }, staff.headers);
    const id = made.data.createTag.id;
    expect(one(made.entries)).toMatchObject({ church_id: a.churchId, entity: 'Tag', entity_id: id, action: 'create', actor_user_id: staff.id, changes: { name: [null, 'Greeters'] } });
    await refused('mutation($c: ID!) { createTag(churchId: $c, name: "greeters") { id } }', { c: String(a.churchId) }, 'BAD_USER_INPUT', 'name');
    await refused('mutation($c: ID!) { createTag(churchId: $c, name: "") { id } }', { c: String(a.churchId) }, 'BAD_USER_INPUT', 'name');

    const renamed = await written('mutation($id: ID!) { renameTag(id: $id, name: "Welcome team") { id } }', { id });
    expect(one(renamed.entries)).toMatchObject({ action: 'update', actor_user_id: admin.id, changes: { name: ['Greeters', 'Welcome team'] } });
    expect(Object.keys(renamed.entries[0]!.changes!)).toEqual(['name']);

    const archived = await written('mutation($id: ID!) { archiveTag(id: $id) { id } }', { id });
    const e = one(archived.entries);
    expect(e.action).toBe('archive');
    expect(e.changes!.archivedAt![0]).toBeNull();
    expect(typeof e.changes!.archivedAt![1]).toBe('string');
    // archived again: nothing changed, nothing written
    expect((await written('mutation($id: ID!) { archiveTag(id: $id) { id } }', { id })).entries).toEqual([]);
    await refused('mutation($t: ID!, $m: [ID!]!) { tagMembers(tagId: $t, memberIds: $m) { changed } }', { t: id, m: [String(a.memberIds[0])] }, 'BAD_USER_INPUT', 'tagId');
    const restored = await written('mutation($id: ID!) { restoreTag(id: $id) { id } }', { id });
    expect(one(restored.entries)).toMatchObject({ action: 'restore', changes: { archivedAt: [e.changes!.archivedAt![1], null] } });
  });

  it('tagging and untagging many people is one entry listing the people it changed; another church’s person writes none', async () => {
    const t: any = await s.gql('mutation($c: ID!) { createTag(churchId: $c, name: "Choir") { id } }', { c: String(a.churchId) });
    const tagId = t.data.createTag.id;
    const TAG = 'mutation($t: ID!, $m: [ID!]!) { tagMembers(tagId: $t, memberIds: $m) { changed } }';
    const UNTAG = 'mutation($t: ID!, $m: [ID!]!) { untagMembers(tagId: $t, memberIds: $m) { changed } }';
    const first = a.memberIds.slice(0, 3);
    await s.gql(TAG, { t: tagId, m: [String(first[0])] });
    const tagged = await written(TAG, { t: tagId, m: first.map(String) }, staff.headers);
    expect(tagged.data.tagMembers.changed).toBe(2);
    // the one who already had it is not listed
    expect(one(tagged.entries)).toMatchObject({ entity: 'Tag', entity_id: tagId, action: 'tag', changes: { memberIds: [null, first.slice(1).sort((x, y) => x - y)], count: [null, 2] } });
    await refused(TAG, { t: tagId, m: [String(a.memberIds[5]), String(b.memberIds[0])] }, 'NOT_FOUND', 'memberIds');
    await refused(TAG, { t: tagId, m: [] }, 'BAD_USER_INPUT', 'memberIds');
    const untagged = await written(UNTAG, { t: tagId, m: [...first, a.memberIds[9]!].map(String) });
    expect(one(untagged.entries)).toMatchObject({ action: 'untag', changes: { memberIds: [[...first].sort((x, y) => x - y), null], count: [3, null] } });
    // nobody had it: nothing changed, nothing written
    expect((await written(UNTAG, { t: tagId, m: first.map(String) })).entries).toEqual([]);
  });
});

describe('custom fields', () => {
  it('definition create, edit (with a choice rename), archive, restore; a member’s values before → after per field', async () => {
    const made = await written('mutation($c: ID!) { createCustomField(input: { churchId: $c, name: "Shirt size", type: SINGLE_CHOICE, choices: ["S", "M", "L"] }) { id } }', { c: String(a.churchId) });
    const id = made.data.createCustomField.id;
    expect(one(made.entries)).toMatchObject({ entity: 'CustomField', entity_id: id, action: 'create', changes: { name: [null, 'Shirt size'], type: [null, 'single_choice'], choices: [null, ['S', 'M', 'L']], required: [null, false] } });
    await refused('mutation($c: ID!) { createCustomField(input: { churchId: $c, name: "Shirt size", type: TEXT }) { id } }', { c: String(a.churchId) }, 'BAD_USER_INPUT', 'input.name');
    await refused('mutation($c: ID!) { createCustomField(input: { churchId: $c, name: "Colour", type: SINGLE_CHOICE }) { id } }', { c: String(a.churchId) }, 'BAD_USER_INPUT', 'input.choices');
    await refused('mutation($c: ID!) { createCustomField(input: { churchId: $c, name: "Colour", type: TEXT }) { id } }', { c: String(a.churchId) }, 'FORBIDDEN', undefined, staff.headers);

    const SET = 'mutation($id: ID!, $f: ID!, $v: String) { updateMember(id: $id, input: { customFields: [{ fieldId: $f, choice: $v }] }) { id } }';
    const m = String(a.memberIds[4]);
    const set1 = await written(SET, { id: m, f: id, v: 'M' }, staff.headers);
    expect(one(set1.entries)).toMatchObject({ entity: 'Member', entity_id: m, action: 'update', changes: { [`customFields.${id}`]: [null, 'M'] } });
    const set2 = await written(SET, { id: m, f: id, v: 'L' }, staff.headers);
    expect(one(set2.entries).changes).toEqual({ [`customFields.${id}`]: ['M', 'L'] });
    // the same answer again is no change
    expect((await written(SET, { id: m, f: id, v: 'L' }, staff.headers)).entries).toEqual([]);
    await refused(SET, { id: m, f: id, v: 'XXL' }, 'BAD_USER_INPUT', undefined, staff.headers);

    const edit = await written('mutation($id: ID!) { updateCustomField(id: $id, input: { required: true, renameChoices: [{ from: "L", to: "Large" }] }) { id } }', { id });
    expect(one(edit.entries)).toMatchObject({ action: 'update', changes: { required: [false, true], choices: [['S', 'M', 'L'], ['S', 'M', 'Large']], renamedChoices: [null, [{ from: 'L', to: 'Large' }]] } });
    expect(Object.keys(edit.entries[0]!.changes!).sort()).toEqual(['choices', 'renamedChoices', 'required']);
    // dropping a choice someone has is refused inside the transaction: no entry
    await refused('mutation($id: ID!) { updateCustomField(id: $id, input: { choices: ["S", "M"] }) { id } }', { id }, 'BAD_USER_INPUT', 'input.choices');

    const arch = await written('mutation($id: ID!) { archiveCustomField(id: $id) { id } }', { id });
    expect(one(arch.entries).action).toBe('archive');
    const rest = await written('mutation($id: ID!) { restoreCustomField(id: $id) { id } }', { id });
    expect(one(rest.entries).action).toBe('restore');
    expect(rest.entries[0]!.changes!.archivedAt![1]).toBeNull();
  });
});

describe('smart lists', () => {
  it('create, edit, delete: one entry each with the rules before → after; bad rules write none', async () => {
    const rules = { match: 'ALL', conditions: [{ field: 'status', op: 'IN', value: ['VISITOR'] }] };
    const made = await written('mutation($i: CreateSmartListInput!) { createSmartList(input: $i) { id } }', { i: { churchId: String(a.churchId), name: 'Visitors', rules } }, staff.headers);
    const id = made.data.createSmartList.id;
    const e = one(made.entries);
    expect(e).toMatchObject({ entity: 'SmartList', entity_id: id, action: 'create', changes: { name: [null, 'Visitors'] } });
    expect(e.changes!.rules![0]).toBeNull();
    expect(e.changes!.rules![1]).toBeTruthy();
    await refused('mutation($i: CreateSmartListInput!) { createSmartList(input: $i) { id } }', { i: { churchId: String(a.churchId), name: 'Bad', rules: { conditions: [{ field: 'status', op: 'HAS_ALL', value: ['MEMBER'] }] } } }, 'BAD_USER_INPUT', 'input.rules.conditions[0].op', staff.headers);
    await refused('mutation($i: CreateSmartListInput!) { createSmartList(input: $i) { id } }', { i: { churchId: String(a.churchId), name: 'Visitors', rules } }, 'BAD_USER_INPUT', 'input.name', staff.headers);

    const edited = await written('mutation($id: ID!) { updateSmartList(id: $id, input: { name: "New visitors" }) { id } }', { id }, staff.headers);
    expect(one(edited.entries).changes).toEqual({ name: ['Visitors', 'New visitors'] });
    const gone = await written('mutation($id: ID!) { deleteSmartList(id: $id) }', { id }, staff.headers);
    const d = one(gone.entries);
    expect(d).toMatchObject({ action: 'delete', changes: { name: ['New visitors', null] } });
    expect(d.changes!.rules![1]).toBeNull();
    await refused('mutation($id: ID!) { deleteSmartList(id: $id) }', { id }, 'NOT_FOUND', undefined, staff.headers);
  });
});

describe('access', () => {
  it('API tokens: created and revoked, in each church the token acts in, never with the secret; the token is the actor of what it changes', async () => {
    const made = await written('mutation { createApiToken(input: { name: "sync" }) { token apiToken { id prefix } } }', {});
    const { token, apiToken } = made.data.createApiToken;
    const e = one(made.entries);
    expect(e).toMatchObject({ church_id: a.churchId, entity: 'ApiToken', entity_id: apiToken.id, action: 'create', actor_user_id: admin.id, changes: { name: [null, 'sync'], kind: [null, 'full'], prefix: [null, apiToken.prefix] } });
    expect(JSON.stringify(e.changes)).not.toContain(token);
    await refused('mutation { createApiToken(input: { name: "" }) { token } }', {}, 'BAD_USER_INPUT', 'input.name');

    // a change made through the token names the token
    const bearer = { authorization: `Bearer ${token}` };
    const u = await written('mutation($id: ID!) { updateMember(id: $id, input: { lastName: "ByToken" }) { id } }', { id: String(a.memberIds[3]) }, bearer);
    expect(one(u.entries)).toMatchObject({ actor_user_id: admin.id, actor_token_id: Number(apiToken.id) });

    const revoked = await written('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: apiToken.id });
    expect(one(revoked.entries)).toMatchObject({ church_id: a.churchId, action: 'revoke' });
    expect(revoked.entries[0]!.changes!.revokedAt![0]).toBeNull();
    // revoked again: nothing changed
    expect((await written('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: apiToken.id })).entries).toEqual([]);
    await refused('mutation { revokeApiToken(id: "999999") { id } }', {}, 'NOT_FOUND');
  });

  it('deactivating and reactivating a user: one entry in each of their churches; yourself is refused and writes none', async () => {
    const two = await s.userWith('two-churches-audit@steeple.test', [[a.churchId, 'staff'], [b.churchId, 'viewer']]);
    const off = await written('mutation($u: ID!) { deactivateUser(userId: $u) { id } }', { u: String(two.id) }, s.adminHeaders);
    expect(off.entries).toHaveLength(2);
    expect(off.entries.map((e) => e.church_id).sort()).toEqual([a.churchId, b.churchId].sort());
    for (const e of off.entries) {
      expect(e).toMatchObject({ entity: 'User', entity_id: String(two.id), action: 'deactivate' });
      expect(e.changes!.deactivatedAt![0]).toBeNull();
    }
    expect((await written('mutation($u: ID!) { deactivateUser(userId: $u) { id } }', { u: String(two.id) }, s.adminHeaders)).entries).toEqual([]);
    const on = await written('mutation($u: ID!) { reactivateUser(userId: $u) { id } }', { u: String(two.id) }, s.adminHeaders);
    expect(on.entries.map((e) => e.action)).toEqual(['reactivate', 'reactivate']);
    const [me] = await s.database.sql<[{ id: number }]>`SELECT id FROM users WHERE email = 'tester@steeple.test'`;
    await refused('mutation($u: ID!) { deactivateUser(userId: $u) { id } }', { u: String(me.id) }, 'BAD_USER_INPUT', 'userId', s.adminHeaders);
    await refused('mutation($u: ID!) { deactivateUser(userId: $u) { id } }', { u: String(two.id) }, 'FORBIDDEN', undefined, admin.headers);
  });

  it('role grant, change and removal: one entry each', async () => {
    const u = await s.userWith('role-audit@steeple.test', []);
    const SET = 'mutation($c: ID!, $u: ID!, $r: ChurchRole!) { setChurchUserRole(churchId: $c, userId: $u, role: $r) { role } }';
    await refused(SET, { c: String(a.churchId), u: String(u.id), r: 'STAFF' }, 'NOT_FOUND', 'userId');
    await s.database.sql`INSERT INTO church_roles (user_id, church_id, role) VALUES (${u.id}, ${a.churchId}, 'viewer')`;
    const changed = await written(SET, { c: String(a.churchId), u: String(u.id), r: 'STAFF' });
    expect(one(changed.entries)).toMatchObject({ entity: 'ChurchRole', entity_id: String(u.id), action: 'update', changes: { role: ['viewer', 'staff'] } });
    const removed = await written('mutation($c: ID!, $u: ID!) { removeChurchUser(churchId: $c, userId: $u) }', { c: String(a.churchId), u: String(u.id) });
    expect(one(removed.entries)).toMatchObject({ action: 'delete', changes: { role: ['staff', null] } });
  });
});

describe('sends', () => {
  it('cancelling a scheduled text is one entry with the status before → after; cancelling it again writes none', async () => {
    const at = new Date(Date.now() + 3600_000).toISOString();
    const sent = await written('mutation($c: ID!, $a: AudienceInput!, $at: DateTime) { sendMessage(churchId: $c, body: "Later", audience: $a, scheduleAt: $at, urgent: true) { id status } }',
      { c: String(a.churchId), a: { memberIds: a.memberIds.slice(0, 3).map(String) }, at }, staff.headers);
    const id = sent.data.sendMessage.id;
    expect(one(sent.entries)).toMatchObject({ entity: 'Message', entity_id: id, action: 'send' });
    const cancelled = await written('mutation($id: ID!) { cancelMessage(id: $id) { status } }', { id }, staff.headers);
    const e = one(cancelled.entries);
    expect(e).toMatchObject({ entity: 'Message', entity_id: id, action: 'cancel', actor_user_id: staff.id, changes: { status: ['scheduled', 'cancelled'] } });
    expect(e.changes!.recipientsCancelled![1]).toBeGreaterThanOrEqual(0);
    await refused('mutation($id: ID!) { cancelMessage(id: $id) { status } }', { id }, 'BAD_USER_INPUT', 'id', staff.headers);
  });
});

describe('inbox replies', () => {
  it('a reply to a conversation is a send: one entry with the body and the number; a blank one writes none', async () => {
    const sim: any = await s.gql('mutation($c: ID!) { simulateInboundText(churchId: $c, from: "+13125550199", body: "What time is choir?") { conversation { id } } }', { c: String(a.churchId) }, staff.headers);
    expect(sim.errors, JSON.stringify(sim.errors)).toBeUndefined();
    const conv = sim.data.simulateInboundText.conversation.id;
    const r = await written('mutation($id: ID!) { replyToConversation(id: $id, body: "7pm Thursday", urgent: true) { message { id } } }', { id: conv }, staff.headers);
    expect(one(r.entries)).toMatchObject({
      entity: 'Message', entity_id: r.data.replyToConversation.message.id, action: 'send', actor_user_id: staff.id,
      changes: { body: [null, '7pm Thursday'], phone: [null, '+13125550199'], recipientCount: [null, 1] },
    });
    await refused('mutation($id: ID!) { replyToConversation(id: $id, body: "  ") { id } }', { id: conv }, 'BAD_USER_INPUT', 'body', staff.headers);
  });
});

describe('reading the log', () => {
  const LOG = 'query($c: ID!, $f: AuditFilter) { auditLog(churchId: $c, filter: $f, first: 50) { nodes { entity entityId action } } }';
  it('ADMIN reads the new entries of the church; STAFF and VIEWER cannot; another church’s entries never show', async () => {
    await s.gql('mutation($c: ID!) { createTag(churchId: $c, name: "Only B") { id } }', { c: String(b.churchId) });
    const r: any = await s.gql(LOG, { c: String(a.churchId), f: { entity: 'Tag' } }, admin.headers);
    expect(r.errors).toBeUndefined();
    const actions = new Set(r.data.auditLog.nodes.map((n: any) => n.action));
    for (const x of ['create', 'update', 'archive', 'restore', 'tag', 'untag']) expect(actions).toContain(x);
    const bTags = await s.database.sql<Array<{ id: number }>>`SELECT id FROM tags WHERE church_id = ${b.churchId}`;
    const bIds = new Set(bTags.map((t) => String(t.id)));
    expect(r.data.auditLog.nodes.some((n: any) => bIds.has(n.entityId))).toBe(false);
    for (const h of [staff.headers, viewer.headers]) {
      const f: any = await s.gql(LOG, { c: String(a.churchId) }, h);
      expect(f.errors[0].extensions.code).toBe('FORBIDDEN');
    }
    const other: any = await s.gql(LOG, { c: String(b.churchId) }, admin.headers);
    expect(other.errors[0].extensions.code).toBe('NOT_FOUND');
    const sl: any = await s.gql(LOG, { c: String(a.churchId), f: { entity: 'SmartList', action: 'delete' } }, admin.headers);
    expect(sl.data.auditLog.nodes).toHaveLength(1);
  });
});

describe('cost of the audit insert', () => {
  // Deterministic statement counts of one directory mutation through the API (the session read
  // included). The audit entry is exactly one INSERT of the change's transaction: before the
  // audit log these were one statement fewer.
  // church b: no custom fields (a required one would refuse the create)
  let staffB: Record<string, string>;
  beforeAll(async () => {
    staffB = (await s.userWith('staff-b-audit@steeple.test', [[b.churchId, 'staff']])).headers;
  });
  // The server's own timers (the scheduler's poll…) may send a statement during the request on a
  // busy machine; they only add, so the fewest of five runs is the mutation's own count.
  const once = async (doc: string, vars: Record<string, unknown>) => {
    s.database.statements.reset();
    const r: any = await s.gql(doc, vars, staffB);
    expect(r.errors).toBeUndefined();
    const audits = s.database.statements.recent.filter((x) => /insert into "audit_log"/i.test(x.query)).length;
    return { total: s.database.statements.count, audits, texts: s.database.statements.recent.map((x) => x.query.slice(0, 80)) };
  };
  const count = async (doc: string, vars: Record<string, unknown>) => {
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await once(doc, { ...vars, n: `${vars.n} ${i}` }));
    return runs.reduce((x, y) => (y.total < x.total ? y : x));
  };
  it('createMember and updateMember each send one audit INSERT', async () => {
    const CREATE = 'mutation($c: ID!, $n: String!) { createMember(input: { churchId: $c, firstName: "Count", lastName: $n, status: VISITOR }) { id } }';
    const UPDATE = 'mutation($id: ID!, $n: String!) { updateMember(id: $id, input: { lastName: $n }) { id } }';
    const create = await count(CREATE, { c: String(b.churchId), n: 'Me' });
    const update = await count(UPDATE, { id: String(b.memberIds[1]), n: 'Counted' });
    expect(create.audits).toBe(1);
    expect(update.audits).toBe(1);
    expect({ create: create.total, update: update.total }, JSON.stringify({ create: create.texts, update: update.texts })).toEqual(STATEMENTS);
  });
});

/**
 * Statements per mutation with the audit insert (README: Audit log): createMember reads the
 * church and its custom fields, then BEGIN, members INSERT, audit INSERT, COMMIT (no custom values given); updateMember reads
 * the person and the church, then BEGIN, UPDATE, audit INSERT, COMMIT. Without the audit: 5 each.
 */
const STATEMENTS = { create: 6, update: 6 };
