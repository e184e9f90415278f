import { describe, expect, it } from 'vitest';
import { chunkByBytes } from '../../../src/stream/aggregator.ts';

const message = (bytes: number) => ({ value: Buffer.alloc(bytes) });

describe('splitting dead letters into requests', () => {
  it('keeps every run within the byte budget and the order of the messages', () => {
    const messages = [300, 300, 300, 100, 600, 50].map(message);
    const chunks = chunkByBytes(messages, 700);
    expect(chunks.map((chunk) => chunk.map((m) => m.value.length))).toEqual([
      [300, 300],
      [300, 100],
      [600, 50],
    ]);
    expect(chunks.flat()).toEqual(messages);
  });

  it('sends a message larger than the budget on its own', () => {
    const chunks = chunkByBytes([message(10), message(2000), message(10)], 100);
    expect(chunks.map((chunk) => chunk.length)).toEqual([1, 1, 1]);
  });

  it('makes no request for no messages', () => {
    expect(chunkByBytes([], 100)).toEqual([]);
  });
});
