/**
 * Domain errors carry the GraphQL `extensions.code` they map to; the mapping happens once, in
 * src/graphql/errors.ts. Anything that is not an AppError is an internal error and is masked.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE';

export interface FieldProblem {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Bad input: names the first offending field and lists every problem found. */
export class BadInputError extends AppError {
  constructor(problems: FieldProblem[] | FieldProblem) {
    const list = Array.isArray(problems) ? problems : [problems];
    const first = list[0] ?? { field: 'input', message: 'is invalid' };
    super('BAD_USER_INPUT', list.map((p) => `${p.field}: ${p.message}`).join('; '), {
      field: first.field,
      problems: list,
    });
  }
}

export class NotFoundError extends AppError {
  constructor(type: string, id: string | number, field = 'id') {
    super('NOT_FOUND', `${type} ${id} not found`, { field, type });
  }
}

/** Retryable overload (no free database connection in time and the like). */
export class ServiceUnavailableError extends AppError {
  constructor(message: string) {
    super('SERVICE_UNAVAILABLE', message, { retryable: true });
  }
}

/** Collects field problems so a whole input is checked before anything is reported. */
export class Problems {
  readonly list: FieldProblem[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
  throwIfAny(): void {
    if (this.list.length) throw new BadInputError(this.list);
  }
}

/** The AppError in an error's cause chain: drizzle wraps errors raised beneath it (the pool gate). */
export function findAppError(e: unknown): AppError | undefined {
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    if (cur instanceof AppError) return cur;
  }
  return undefined;
}
