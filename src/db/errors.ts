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
