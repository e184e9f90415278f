/**
 * The event contract, version 1 (schema/events/reading-event.v1.schema.json), and the one
 * function that turns a Kafka message into an event or a reason to dead-letter it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { PROJECT_ROOT } from '../config/config.ts';

export const EVENT_SCHEMA_PATH = path.join(
  PROJECT_ROOT,
  'schema',
  'events',
  'reading-event.v1.schema.json',
);

/** An event as producers write it. */
export interface ReadingEvent {
  schema_version?: 1;
  event_id: string;
  user_id: string;
  timestamp: string;
  type: string;
  url?: string;
  domain?: string;
  title?: string;
  tags?: string[];
}

/** An accepted event: tags and domain normalised, time parsed. */
export interface AcceptedEvent {
  eventId: string;
  userId: string;
  /** Event time, ms since the epoch. */
  time: number;
  type: string;
  url?: string;
  domain?: string;
  title?: string;
  tags: string[];
}

export type RejectionCode =
  | 'OVERSIZE'
  | 'INVALID_JSON'
  | 'NOT_AN_OBJECT'
  | 'MISSING_FIELD'
  | 'UNKNOWN_FIELD'
  | 'WRONG_TYPE'
  | 'INVALID_VALUE'
  | 'UNSUPPORTED_VERSION'
  | 'INVALID_TIMESTAMP'
  | 'ABSURD_TIMESTAMP'
  | 'KEY_MISMATCH'
  | 'UNSTORABLE';

export type Decoded =
  | { ok: true; event: AcceptedEvent }
  | { ok: false; code: RejectionCode; reason: string };

/** Messages larger than this are refused before parsing. */
export const MAX_EVENT_BYTES = 16 * 1024;
/** Events before this are taken for a unit mistake (seconds read as ms, and so on). */
export const EARLIEST_EVENT_TIME = Date.UTC(1990, 0, 1);
/** How far in the future an event may claim to be, for clock skew. */
export const MAX_CLOCK_SKEW_MS = 24 * 60 * 60 * 1000;

const ajv = new Ajv({ allErrors: false, strict: true });
const validate = ajv.compile<ReadingEvent>(JSON.parse(readFileSync(EVENT_SCHEMA_PATH, 'utf8')));

/** Lower case, trimmed, each run of white space one hyphen: "Science Fiction" → "science-fiction". */
export function normalizeTag(tag: string): string {
  return tag.trim().toLowerCase().replace(/\s+/g, '-');
}

const PATTERN_MEANING: Record<string, string> = {
  event_id: 'must be printable ASCII without spaces',
  user_id: 'may hold only letters, digits and . _ : -',
  timestamp: 'must be RFC 3339 with a zone, like 2018-09-24T14:03:00Z',
  type: 'must be a lower-case word of at most 32 characters',
  url: 'must be an http(s) URL without spaces',
  domain: 'must be a host name',
};

/**
 * Control characters and unpaired surrogates: JSON can carry them, PostgreSQL's text and jsonb
 * cannot store them, and no reader means them.
 */
const UNSTORABLE =
  /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function unstorableField(event: ReadingEvent): string | undefined {
  for (const field of ['event_id', 'user_id', 'type', 'url', 'domain', 'title'] as const) {
    const value = event[field];
    if (value !== undefined && UNSTORABLE.test(value)) return field;
  }
  return event.tags?.some((tag) => UNSTORABLE.test(tag)) ? 'tags' : undefined;
}

/** Makes text safe to store and log: control characters and lone surrogates become \uXXXX. */
export function printable(text: string): string {
  return text.replace(
    new RegExp(UNSTORABLE.source, 'g'),
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Date.parse rolls 2018-02-31 over to March; a real calendar date must survive the round trip. */
function isCalendarDate(timestamp: string): boolean {
  const [year, month, day] = timestamp.slice(0, 10).split('-').map(Number) as [
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

function describe(error: ErrorObject): { code: RejectionCode; reason: string } {
  const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'event';
  switch (error.keyword) {
    case 'required':
      return {
        code: 'MISSING_FIELD',
        reason: `missing required field ${String(error.params.missingProperty)}`,
      };
    case 'additionalProperties':
      return {
        code: 'UNKNOWN_FIELD',
        reason: `unknown field ${String(error.params.additionalProperty)}`,
      };
    case 'type':
      if (field === 'event')
        return { code: 'NOT_AN_OBJECT', reason: 'event must be a JSON object' };
      return { code: 'WRONG_TYPE', reason: `${field} must be ${String(error.params.type)}` };
    case 'const':
      return { code: 'UNSUPPORTED_VERSION', reason: 'schema_version must be 1' };
    case 'pattern':
      return {
        code: 'INVALID_VALUE',
        reason: `${field} ${PATTERN_MEANING[field] ?? 'is malformed'}`,
      };
    default:
      return { code: 'INVALID_VALUE', reason: `${field} ${error.message ?? 'is invalid'}` };
  }
}

/**
 * Decodes one message. `now` bounds the timestamp from above. `key`, unless undefined, must equal
 * the user_id: partitioning by user is what keeps each user's counts on one consumer.
 */
export function decodeEvent(value: Buffer | null, now: number, key?: string | null): Decoded {
  if (value === null || value.length === 0) {
    return { ok: false, code: 'INVALID_JSON', reason: 'empty message' };
  }
  if (value.length > MAX_EVENT_BYTES) {
    return {
      ok: false,
      code: 'OVERSIZE',
      reason: `message is ${value.length} bytes; the limit is ${MAX_EVENT_BYTES}`,
    };
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return {
      ok: false,
      code: 'INVALID_JSON',
      reason: `not JSON: ${printable((error as Error).message).slice(0, 200)}`,
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, code: 'NOT_AN_OBJECT', reason: 'event must be a JSON object' };
  }
  if (!validate(parsed)) {
    return { ok: false, ...describe(validate.errors![0]!) };
  }

  const unstorable = unstorableField(parsed);
  if (unstorable) {
    return {
      ok: false,
      code: 'INVALID_VALUE',
      reason: `${unstorable} holds a control character or an unpaired surrogate`,
    };
  }

  const time = Date.parse(parsed.timestamp);
  if (Number.isNaN(time) || !isCalendarDate(parsed.timestamp)) {
    return {
      ok: false,
      code: 'INVALID_TIMESTAMP',
      reason: `timestamp ${parsed.timestamp} is not a date`,
    };
  }
  if (time < EARLIEST_EVENT_TIME || time > now + MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      code: 'ABSURD_TIMESTAMP',
      reason: `timestamp ${parsed.timestamp} is before 1990 or more than a day ahead`,
    };
  }
  if (key !== undefined && key !== parsed.user_id) {
    return { ok: false, code: 'KEY_MISMATCH', reason: 'the message key must be the user_id' };
  }

  const tags = [...new Set((parsed.tags ?? []).map(normalizeTag).filter((tag) => tag !== ''))];
  return {
    ok: true,
    event: {
      eventId: parsed.event_id,
      userId: parsed.user_id,
      time,
      type: parsed.type,
      url: parsed.url,
      domain: parsed.domain?.toLowerCase(),
      title: parsed.title,
      tags,
    },
  };
}

/** The event as the API and Redis show it. */
export function toPublicEvent(event: AcceptedEvent): Record<string, unknown> {
  return {
    event_id: event.eventId,
    timestamp: new Date(event.time).toISOString(),
    type: event.type,
    url: event.url,
    domain: event.domain,
    title: event.title,
    tags: event.tags,
  };
}
