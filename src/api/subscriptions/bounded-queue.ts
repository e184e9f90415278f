/**
 * The buffer between a Redis channel and one subscription. Updates wait here until graphql-ws
 * asks for the next one, which it does only once the WebSocket has handed the previous one to the
 * operating system; a client that reads slower than updates arrive therefore fills this buffer
 * and nothing else. Past its limits the queue drops what it holds and fails: the subscription
 * ends with that error instead of the process holding ever more for a reader that is not keeping
 * up.
 */
import { GraphQLError } from 'graphql';

export interface QueueLimits {
  /** Updates that may wait. */
  maxItems: number;
  /** Their total size, by the length of their JSON text. */
  maxBytes: number;
}

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
  reject(error: Error): void;
}

/** The error that ends a subscription whose client fell behind. */
export function tooSlowError(limits: QueueLimits): GraphQLError {
  return new GraphQLError(
    `the connection is not reading updates as fast as they come (more than ${limits.maxItems} ` +
      `or ${limits.maxBytes} bytes waiting); subscribe again`,
    { extensions: { code: 'LIVE_SUBSCRIBER_TOO_SLOW' } },
  );
}

/**
 * An async iterator fed by push(). Its onClose callback runs exactly once, when the queue stops
 * taking updates for any reason: the consumer returned, end() or a failure.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  private readonly limits: QueueLimits;
  private readonly onClose: () => void;
  private readonly items: { value: T; bytes: number }[] = [];
  private bytes = 0;
  private waiter: Waiter<T> | undefined;
  private open = true;
  private failure: Error | undefined;

  constructor(limits: QueueLimits, onClose: () => void) {
    this.limits = limits;
    this.onClose = onClose;
  }

  /** Updates waiting to be taken. */
  get size(): number {
    return this.items.length;
  }

  /**
   * Adds an update of `bytes` bytes; false when the queue no longer takes updates, including
   * when this one overflowed it (it then fails with tooSlowError).
   */
  push(value: T, bytes: number): boolean {
    if (!this.open) return false;

    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve({ value, done: false });
      return true;
    }

    if (this.items.length >= this.limits.maxItems || this.bytes + bytes > this.limits.maxBytes) {
      this.fail(tooSlowError(this.limits));
      return false;
    }
    this.items.push({ value, bytes });
    this.bytes += bytes;
    return true;
  }

  /** Drops what is waiting; the consumer's next call rejects with `error`, later ones are done. */
  fail(error: Error): void {
    if (!this.open) return;
    this.failure = error;
    this.close();

    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      this.failure = undefined;
      waiter.reject(error);
    }
  }

  /** Drops what is waiting and ends the iteration. */
  end(): void {
    if (!this.open) return;
    this.close();

    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item) {
      this.bytes -= item.bytes;
      return Promise.resolve({ value: item.value, done: false });
    }

    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (!this.open) return Promise.resolve({ value: undefined, done: true });

    // graphql-ws never asks again before an answer, but a second caller must not be lost.
    if (this.waiter) return Promise.reject(new Error('next() called while another is pending'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The consumer is leaving (a client's complete message, or its socket closing). */
  return(): Promise<IteratorResult<T>> {
    this.end();
    this.failure = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private close(): void {
    this.open = false;
    this.items.length = 0;
    this.bytes = 0;
    this.onClose();
  }
}
