import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../../src/api/subscriptions/bounded-queue.ts';

function queue(maxItems = 3, maxBytes = 100) {
  const closes: number[] = [];
  const q = new BoundedQueue<string>({ maxItems, maxBytes }, () => closes.push(1));
  return { q, closes };
}

describe('a subscription queue', () => {
  it('hands over what was pushed, in order, and waits for what was not', async () => {
    const { q } = queue();
    expect(q.push('a', 1)).toBe(true);
    expect(q.push('b', 1)).toBe(true);
    expect(await q.next()).toEqual({ value: 'a', done: false });
    expect(await q.next()).toEqual({ value: 'b', done: false });

    const waiting = q.next();
    expect(q.push('c', 1)).toBe(true);
    expect(await waiting).toEqual({ value: 'c', done: false });
    expect(q.size).toBe(0);
  });

  it('fails with LIVE_SUBSCRIBER_TOO_SLOW past its item limit, dropping what it held', async () => {
    const { q, closes } = queue(3, 1000);
    for (const item of ['a', 'b', 'c']) expect(q.push(item, 1)).toBe(true);
    expect(q.push('d', 1)).toBe(false);

    expect(q.size).toBe(0);
    await expect(q.next()).rejects.toMatchObject({
      message: expect.stringMatching(/^the connection is not reading updates as fast/),
      extensions: { code: 'LIVE_SUBSCRIBER_TOO_SLOW' },
    });
    expect(await q.next()).toEqual({ value: undefined, done: true });
    expect(q.push('e', 1)).toBe(false);
    expect(closes).toHaveLength(1);
  });

  it('fails past its byte limit', async () => {
    const { q } = queue(100, 10);
    expect(q.push('a', 6)).toBe(true);
    expect(q.push('b', 5)).toBe(false);
    await expect(q.next()).rejects.toMatchObject({
      extensions: { code: 'LIVE_SUBSCRIBER_TOO_SLOW' },
    });
  });

  it('counts only what waits: a consumer that keeps up never overflows it', async () => {
    const { q } = queue(1, 10);
    for (let i = 0; i < 100; i += 1) {
      const next = q.next();
      expect(q.push(`item-${i}`, 10)).toBe(true);
      expect((await next).value).toBe(`item-${i}`);
    }
  });

  it('ends a waiting consumer when it returns, and closes once', async () => {
    const { q, closes } = queue();
    const waiting = q.next();
    expect(await q.return()).toEqual({ value: undefined, done: true });
    expect(await waiting).toEqual({ value: undefined, done: true });

    await q.return();
    q.end();
    q.fail(new Error('late'));
    expect(closes).toHaveLength(1);
    expect(q.push('x', 1)).toBe(false);
  });

  it('rejects a waiting consumer when it fails', async () => {
    const { q, closes } = queue();
    const waiting = q.next();
    q.fail(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(await q.next()).toEqual({ value: undefined, done: true });
    expect(closes).toHaveLength(1);
  });

  it('drops what waits when it is ended', async () => {
    const { q } = queue();
    q.push('a', 1);
    q.end();
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });
});
