/**
 * A stand-in for Anthropic's Messages API on 127.0.0.1: it records every request as received
 * and answers from a script, the way the real API answers (message bodies with usage, error
 * bodies, retry-after headers), or not at all, to force a timeout.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The raw body, to search for anything that must not be sent. */
  raw: string;
  body: Record<string, unknown>;
}

export type ScriptedAnswer =
  | { status: number; headers?: Record<string, string>; body: unknown }
  | { hang: true };

export interface FakeMessagesApi {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Answers for the next requests, in order; a request beyond the script gets a 500. */
  script(...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

/** A successful messages response with the given text and usage. */
export function messageAnswer(
  text: string,
  usage: {
    input_tokens: number;
    output_tokens: number;
    cache_creation_input_tokens?: number;
    cache_read_input_tokens?: number;
  },
  model = 'claude-haiku-4-5',
  stopReason = 'end_turn',
): ScriptedAnswer {
  return {
    status: 200,
    headers: { 'request-id': 'req_fake' },
    body: {
      id: 'msg_fake',
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text }],
      stop_reason: stopReason,
      stop_sequence: null,
      usage: {
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        ...usage,
      },
    },
  };
}

/** An error answer in the API's error shape. */
export function errorAnswer(
  status: number,
  type: string,
  headers: Record<string, string> = {},
): ScriptedAnswer {
  return {
    status,
    headers,
    body: { type: 'error', error: { type, message: `${type} (fake)` } },
  };
}

export async function startFakeMessagesApi(): Promise<FakeMessagesApi> {
  const requests: RecordedRequest[] = [];
  const answers: ScriptedAnswer[] = [];

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        raw,
        body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {},
      });

      const answer = answers.shift() ?? errorAnswer(500, 'api_error');
      if ('hang' in answer) return;
      response.writeHead(answer.status, {
        'content-type': 'application/json',
        ...answer.headers,
      });
      response.end(JSON.stringify(answer.body));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    script: (...next) => {
      answers.push(...next);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
