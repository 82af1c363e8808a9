/**
 * Reading EXPLAIN (FORMAT JSON) plans. message_recipients is partitioned by month
 * (src/db/partitions.ts): its scans name a partition (message_recipients_y2026m12) and the
 * partition's index (message_recipients_pkey_y2026m12); both are read here as the parent's.
 */
type PlanNode = Record<string, unknown>;

const MONTH = /_y\d{4}m\d{2}$/;

/** A relation or index of a partition, as its parent's name. */
export const parentName = (name: unknown): unknown => (typeof name === 'string' ? name.replace(MONTH, '') : name);

function walk(plan: string, visit: (n: PlanNode) => void): void {
  const go = (n: PlanNode) => {
    visit(n);
    for (const c of (n.Plans as PlanNode[] | undefined) ?? []) go(c);
  };
  for (const root of JSON.parse(plan) as Array<{ Plan: PlanNode }>) go(root.Plan);
}

/** Every node of a plan that reads `relation` (or one of its partitions). */
export function scansOf(plan: string, relation: string): PlanNode[] {
  const out: PlanNode[] = [];
  walk(plan, (n) => {
    if (parentName(n['Relation Name']) === relation) out.push(n);
  });
  return out;
}

/**
 * Whether the plan reads all of `table` (or of a partition of it) with a sequential scan; with
 * `among`, only scans of those partitions count (the ones holding rows: with statistics that say a
 * partition is empty, PostgreSQL rightly reads it by a Seq Scan of no pages).
 */
export function seqScanOn(plan: string, table: string, among?: readonly string[]): boolean {
  return scansOf(plan, table).some((n) => n['Node Type'] === 'Seq Scan' && (!among || among.includes(String(n['Relation Name']))));
}

/** The partitions of message_recipients that hold rows now (an empty one may be read by a Seq Scan of nothing). */
export async function recipientPartitionsWithRows(sql: { unsafe: (q: string) => Promise<unknown> }): Promise<string[]> {
  const rows = (await sql.unsafe(`SELECT DISTINCT tableoid::regclass::text AS name FROM message_recipients`)) as Array<{ name: string }>;
  return rows.map((r) => r.name);
}

/**
 * The partitions of `table` an EXPLAIN ANALYZE plan really read: scans that ran at least once (a
 * month pruned while running shows "never executed"); an UPDATE's own node, which names the
 * parent, is not a read.
 */
export function partitionsRead(plan: string, table: string): string[] {
  const out = new Set<string>();
  walk(plan, (n) => {
    if (n['Node Type'] !== 'ModifyTable' && n['Relation Name'] !== table && parentName(n['Relation Name']) === table && Number(n['Actual Loops']) > 0) {
      out.add(String(n['Relation Name']));
    }
  });
  return [...out];
}
