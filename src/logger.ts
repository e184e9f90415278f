/**
 * A small structured logger: one JSON line per record on stderr, a child per component.
 * Context objects must never carry tokens, keys or personal fields; `redact` masks the usual
 * suspects in case one slips in.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|email|name$/i;

export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
  child(component: string): Logger;
}

function redact(context: Record<string, unknown>): Record<string, unknown> {
  const safe: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (value instanceof Error) safe[key] = { message: value.message, name: value.name };
    else if (SECRET_KEY.test(key) && key !== 'component') safe[key] = '[redacted]';
    else safe[key] = value;
  }
  return safe;
}

let threshold: LogLevel = (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info';

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export function createLogger(component = 'almanac'): Logger {
  const write = (level: LogLevel, message: string, context?: Record<string, unknown>) => {
    if (ORDER[level] < (ORDER[threshold] ?? ORDER.info)) return;
    const record = {
      time: new Date().toISOString(),
      level,
      component,
      message,
      ...(context ? redact(context) : {}),
    };
    process.stderr.write(`${JSON.stringify(record)}\n`);
  };

  return {
    debug: (message, context) => write('debug', message, context),
    info: (message, context) => write('info', message, context),
    warn: (message, context) => write('warn', message, context),
    error: (message, context) => write('error', message, context),
    child: (name) => createLogger(`${component}.${name}`),
  };
}

export const rootLogger = createLogger();

/** A logger that drops everything: for tests and for callers that report in their own words. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
