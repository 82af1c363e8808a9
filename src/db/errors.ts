/** The PostgreSQL error behind a driver or drizzle error (drizzle wraps it in `cause`). */
export interface PgErrorInfo {
  code: string;
  constraint?: string;
}

export function pgError(e: unknown): PgErrorInfo | undefined {
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const c = cur as { code?: unknown; constraint_name?: unknown; name?: unknown };
    if (typeof c.code === 'string' && /^[0-9A-Z]{5}$/.test(c.code)) {
      return { code: c.code, constraint: typeof c.constraint_name === 'string' ? c.constraint_name : undefined };
    }
  }
  return undefined;
}

export const PG = { uniqueViolation: '23505', foreignKeyViolation: '23503', checkViolation: '23514' } as const;

/**
 * PostgreSQL data exceptions (class 22) that input causes: a value the column or parameter type
 * cannot hold. Validation at the GraphQL boundary should refuse such values first, naming the
 * argument; these codes are the safety net for any that still get through.
 */
export const INPUT_DATA_ERRORS: Readonly<Record<string, string>> = {
  '22001': 'a text value is too long',
  '22003': 'a number is out of range',
  '22007': 'a date or time is malformed',
  '22008': 'a date or time is out of range',
  '22021': 'a text value contains a character the database cannot store',
  '22P02': 'a value has the wrong format',
  '22P05': 'a text value contains a character the database cannot store',
  '22023': 'a value is invalid',
  '22025': 'a text value has an invalid escape sequence',
  '2201B': 'a pattern is invalid',
};

/** What is wrong with the input behind a PostgreSQL data exception, or undefined for any other error. */
export function inputDataError(e: unknown): string | undefined {
  const pg = pgError(e);
  return pg ? INPUT_DATA_ERRORS[pg.code] : undefined;
}

// postgres.js' own connection errors, and the system errors of a socket that failed
const CONNECTION_CODES = /^(CONNECTION_CLOSED|CONNECTION_ENDED|CONNECTION_DESTROYED|CONNECT_TIMEOUT|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTCONN)$/;
// SQLSTATE: connection exceptions (08xxx), admin/crash shutdown and cannot connect now (57P01-03),
// too many connections (53300)
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;

/**
 * True when an error (or one in its cause chain: drizzle wraps the driver's) says PostgreSQL, or a
 * pooler in front of it, could not serve the statement right now: the connection was refused or
 * closed under it (PgBouncer or the server restarting), or the server is shutting down. A retry
 * shortly may succeed: the client is told so (503), not that the server failed.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && depth < 6; cur = (cur as { cause?: unknown; originalError?: unknown }).cause ?? (cur as { originalError?: unknown }).originalError, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_CODES.test(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
    // a socket's system error (ECONNREFUSED and the like, on connect, read or write)
    const syscall = (cur as { syscall?: unknown }).syscall;
    if (typeof syscall === 'string' && /^(connect|read|write)$/.test(syscall) && typeof code === 'string') return true;
  }
  return false;
}
