/**
 * Almanac's one error type. `code` is stable and grouped by area (CONFIG_, KAFKA_, POSTGRES_,
 * REDIS_, EVENT_, IMPORT_); `hint` tells an operator what to do; `retriable` says whether trying
 * the same thing again may succeed.
 */
export class AlmanacError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly retriable: boolean;
  readonly context: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options: {
      hint?: string;
      retriable?: boolean;
      context?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AlmanacError';
    this.code = code;
    this.hint = options.hint;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }

  /** One line for a terminal: what went wrong and what to do about it. */
  toLine(): string {
    return this.hint ? `${this.message}. ${this.hint}` : this.message;
  }
}

export function isAlmanacError(error: unknown): error is AlmanacError {
  return error instanceof AlmanacError;
}
