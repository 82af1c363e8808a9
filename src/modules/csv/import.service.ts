import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import type { Scope } from '../scope.js';
import { AppError, BadInputError } from '../../lib/errors.js';
import * as v from '../../lib/validate.js';
import { getChurch } from '../church/church.service.js';
import { requireChurchRole } from '../viewer.js';
import { fieldsByChurch } from '../field/field.queries.js';
import { tagsByChurch } from '../tag/tag.queries.js';
import { actorOf, audit } from '../audit/audit.service.js';
import { invalidatePeople } from '../../cache/invalidate.js';
import { matchColumns, parseMapping, targetName, type Column } from './import.columns.js';
import { rowChecker } from './import.rows.js';
import * as q from './import.queries.js';

/** Most row errors and duplicates listed in a report (the counts are exact). */
export const REPORT_LIST_MAX = 1000;
/** Most columns in a file, and characters in one row (a runaway quote must not read the file into memory). */
export const MAX_COLUMNS = 300;
export const MAX_ROW_CHARS = 64 * 1024;

export const ON_DUPLICATE = ['skip', 'create', 'error'] as const;
export type OnDuplicate = (typeof ON_DUPLICATE)[number];

/** The file is over a limit (bytes or rows): HTTP 413. */
export class ImportTooLargeError extends AppError {
  constructor(limit: 'bytes' | 'rows', max: number) {
    super('BAD_USER_INPUT', limit === 'bytes' ? `the file is larger than ${max} bytes` : `the file has more than ${max} rows`, { field: 'file', limit, max });
  }
}

export interface ImportRequest {
  churchId?: string;
  dryRun?: string;
  onDuplicate?: string;
  mapping?: string;
  body: Readable;
}

export interface CsvRowError {
  /** the row as a spreadsheet numbers it: 1 is the header */
  row: number;
  /** the file's header of the cell, when the problem is one cell's */
  column: string | null;
  /** the person's field (email, birthDate…) or the custom field's name */
  field: string;
  message: string;
}

export interface CsvImportReport {
  importId: string | null;
  dryRun: boolean;
  /** true when people were written (never in a dry run) */
  applied: boolean;
  /** no invalid row, and no duplicate under onDuplicate=error: an apply writes (or wrote) the rows */
  ok: boolean;
  onDuplicate: OnDuplicate;
  /** data rows read (blank rows aside) */
  rows: number;
  blankRows: number;
  validRows: number;
  invalidRows: number;
  /** people created, or that an apply would create (dry run) */
  created: number;
  /** rows not created because they look like someone already there (onDuplicate=skip) */
  skippedDuplicates: number;
  householdsCreated: number;
  tagsCreated: string[];
  columns: Array<{ column: number; header: string; field: string | null; ignored?: string }>;
  ignoredColumns: string[];
  errorCount: number;
  errors: CsvRowError[];
  duplicateCount: number;
  duplicates: Array<{ row: number; reasons: q.DuplicateReason[]; memberId: string | null; duplicateOfRow: number | null }>;
}

/** Counts bytes (over the cap: ImportTooLargeError) and decodes UTF-8, refusing what is not UTF-8; drops a BOM. */
class Utf8Limit extends Transform {
  private bytes = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) return cb(new ImportTooLargeError('bytes', this.max));
    try {
      cb(null, this.decoder.decode(chunk, { stream: true }));
    } catch {
      cb(notUtf8());
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      const rest = this.decoder.decode();
      cb(null, rest || undefined);
    } catch {
      cb(notUtf8());
    }
  }
}

const notUtf8 = () => new BadInputError({ field: 'file', message: 'is not UTF-8 text: save it as "CSV UTF-8" (Excel) or CSV with UTF-8 encoding' });

async function write(out: WriteStream, s: string): Promise<void> {
  if (out.write(s)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (e?: Error) => {
      out.off('drain', done);
      out.off('error', done);
      if (e) reject(e);
      else resolve();
    };
    out.on('drain', done);
    out.on('error', done);
  });
}

function flag<T extends string>(raw: string | undefined, field: string, allowed: readonly T[], def: T): T {
  if (raw === undefined || raw === '') return def;
  const x = raw.trim().toLowerCase() as T;
  if (!allowed.includes(x)) throw new BadInputError({ field, message: `must be one of ${allowed.join(', ')}` });
  return x;
}

/**
 * POST /import/members.csv: a spreadsheet of people into a church, STAFF and up (as importMembers).
 * Two passes, neither holding the file:
 * 1. The body is read as it arrives (bytes capped, UTF-8 checked, csv-parse streaming), each row
 *    checked as createMember checks its input (custom fields by their type, tags by name) and,
 *    when valid, written as a COPY line to a temporary file; problems are counted, the first
 *    REPORT_LIST_MAX kept. No database connection is held while a slow client uploads.
 * 2. One transaction: the file goes into a staging table by one COPY, duplicates are found
 *    against the church's people and within the file, and, unless this is a dry run or anything
 *    was wrong, everything is written with set-based statements. Either every row is imported or
 *    none is.
 */
export async function importMembersCsv(scope: Scope, req: ImportRequest): Promise<CsvImportReport> {
  if (!req.churchId) throw new BadInputError({ field: 'churchId', message: 'is required' });
  const church = await getChurch({ scope, id: req.churchId, field: 'churchId' });
  requireChurchRole(scope.auth, church.id, 'staff', 'churchId');
  const dryRun = flag(req.dryRun, 'dryRun', ['true', 'false', '1', '0'], 'true');
  const onDuplicate = flag(req.onDuplicate, 'onDuplicate', ON_DUPLICATE, 'skip');
  const mapping = parseMapping(req.mapping);
  const limits = scope.config.import;
  const region = scope.config.phone.defaultRegion;
  const today = v.todayIn(church.timeZone);

  const fields = (await fieldsByChurch(scope.db, [church.id])).get(church.id) ?? [];
  const tags = (await tagsByChurch(scope.db, [church.id])).get(church.id) ?? [];

  const report: CsvImportReport = {
    importId: null,
    dryRun: dryRun === 'true' || dryRun === '1',
    applied: false,
    ok: false,
    onDuplicate,
    rows: 0,
    blankRows: 0,
    validRows: 0,
    invalidRows: 0,
    created: 0,
    skippedDuplicates: 0,
    householdsCreated: 0,
    tagsCreated: [],
    columns: [],
    ignoredColumns: [],
    errorCount: 0,
    errors: [],
    duplicateCount: 0,
    duplicates: [],
  };
  const problem = (row: number, column: string | null, field: string, message: string) => {
    report.errorCount++;
    if (report.errors.length < REPORT_LIST_MAX) report.errors.push({ row, column, field, message });
  };

  const { checkRow, newTags } = rowChecker({ tags, region, today, problem });

  const dir = await mkdtemp(path.join(tmpdir(), 'steeple-import-'));
  const staged = path.join(dir, 'rows.copy');
  try {
    const out = createWriteStream(staged);
    let columns: Column[] | null = null;
    let rowNumber = 0;
    const parser = parse({ bom: true, relax_column_count: true, max_record_size: MAX_ROW_CHARS, skip_empty_lines: false });
    // piped through a PassThrough so that a refusal (too large, not UTF-8, a bad header) stops
    // reading without destroying the request: its socket must still carry the answer
    const body = new PassThrough();
    req.body.on('error', (e) => body.destroy(e));
    // a client gone mid-upload (not every Node version reports an error for it): stop, do not hang
    req.body.on('close', () => {
      if (!req.body.readableEnded) body.destroy(Object.assign(new Error('the client closed the upload'), { code: 'ECONNRESET' }));
    });
    req.body.pipe(body);
    try {
      await pipeline(body, new Utf8Limit(limits.maxBytes), parser, async (records: AsyncIterable<string[]>) => {
        for await (const cells of records) {
          rowNumber++;
          if (columns === null) {
            if (cells.length > MAX_COLUMNS) throw new BadInputError({ field: 'header', message: `has ${cells.length} columns; at most ${MAX_COLUMNS}` });
            columns = matchColumns(cells, mapping, fields);
            continue;
          }
          if (cells.every((c) => c.trim() === '')) {
            report.blankRows++;
            continue;
          }
          report.rows++;
          if (report.rows > limits.maxRows) throw new ImportTooLargeError('rows', limits.maxRows);
          const line = checkRow(rowNumber, cells, columns);
          if (line === null) report.invalidRows++;
          else {
            report.validRows++;
            await write(out, line);
          }
        }
      });
    } catch (e) {
      out.destroy();
      if (e instanceof CsvError) throw new BadInputError({ field: 'file', message: `is not a readable CSV file (${e.message})` });
      throw e;
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (columns === null) throw new BadInputError({ field: 'file', message: 'is empty: the first row must be the header' });
    const cols: Column[] = columns;
    report.columns = cols.map((c) => ({ column: c.index + 1, header: c.header, field: c.target ? targetName(c.target) : null, ...(c.ignored ? { ignored: c.ignored } : {}) }));
    report.ignoredColumns = cols.filter((c) => !c.target).map((c) => c.header);
    const actor = actorOf(scope.auth);
    const written = await scope.db.transaction(async (tx) => {
      await q.stage(tx, church.id, limits.statementTimeoutMs, createReadStream(staged));
      await q.findDuplicates(tx, church.id);
      const dups = await q.duplicateReport(tx, REPORT_LIST_MAX);
      report.duplicateCount = dups.count;
      report.duplicates = dups.rows.map((d) => ({ row: d.rn, reasons: d.reasons, memberId: d.member_id === null ? null : String(d.member_id), duplicateOfRow: d.dup_of }));
      if (onDuplicate === 'skip') await q.skipDuplicates(tx);
      const planned = await q.plan(tx);
      report.skippedDuplicates = onDuplicate === 'skip' ? report.validRows - planned.people : 0;
      const refused = report.errorCount > 0 || (onDuplicate === 'error' && dups.count > 0);
      report.ok = !refused;
      if (report.dryRun || refused) {
        report.created = refused ? 0 : planned.people;
        report.householdsCreated = refused ? 0 : planned.households;
        report.tagsCreated = refused ? [] : [...newTags.values()].sort();
        return false;
      }
      const done = await q.applyStaged(tx, church.id, actor);
      report.importId = randomUUID();
      report.created = done.people;
      report.householdsCreated = done.households;
      report.tagsCreated = done.tagsCreated.sort();
      await audit(tx, actor, [{
        churchId: church.id,
        entity: 'MemberImport',
        entityId: report.importId,
        action: 'import',
        changes: {
          rows: [null, report.rows],
          created: [null, done.people],
          skippedDuplicates: [null, report.skippedDuplicates],
          householdsCreated: [null, done.households],
          tagsCreated: [null, report.tagsCreated],
          onDuplicate: [null, onDuplicate],
        },
      }]);
      return done.people > 0 || done.tagsCreated.length > 0;
    });
    report.applied = !report.dryRun && report.importId !== null;
    if (written) {
      scope.loaders.churchTags.clear(church.id);
      await invalidatePeople(scope.cache, church.id);
    }
    return report;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
