/**
 * One Redis subscriber connection shared by every live subscription of this process. Listeners
 * are counted per channel: the first one on a channel SUBSCRIBEs, the last one to leave
 * UNSUBSCRIBEs, so Redis sends this process exactly the channels someone here is watching, once
 * each, however many subscriptions watch them.
 *
 * SUBSCRIBE and UNSUBSCRIBE for one channel run one at a time, in order, and each first looks at
 * whether the channel is still wanted; a listener that comes while the last one's UNSUBSCRIBE is
 * on its way therefore subscribes again right after, rather than being left on a channel Redis
 * no longer sends.
 *
 * Redis pub/sub delivers at most once: what is published while the connection is down is lost to
 * this process. ioredis subscribes to its channels again when it reconnects; a channel whose
 * UNSUBSCRIBE failed during the outage is unsubscribed then.
 */
import type { Redis } from 'ioredis';
import { AlmanacError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';

export interface ChannelListener {
  /** Each message published on the channel, as Redis sent it. */
  message(text: string): void;
  /** The hub is closing: no message will follow. */
  closed(): void;
}

interface Channel {
  listeners: Set<ChannelListener>;
  /** Whether Redis has confirmed this connection's subscription. */
  subscribed: boolean;
  /** The last SUBSCRIBE or UNSUBSCRIBE queued for this channel, settled or not. */
  pending: Promise<void>;
}

export interface HubStats {
  /** Channels this process is subscribed to, or about to be. */
  channels: number;
  /** Listeners over all of them. */
  listeners: number;
}

export class ChannelHub {
  private readonly subscriber: Redis;
  private readonly log: Logger;
  private readonly channels = new Map<string, Channel>();
  private closing = false;

  /** `subscriber` must be a connection of its own: a subscribed connection runs no commands. */
  constructor(subscriber: Redis, log: Logger) {
    this.subscriber = subscriber;
    this.log = log;
    subscriber.on('message', (channel: string, text: string) => this.deliver(channel, text));
    // After a reconnection, ioredis has subscribed again to all it had; drop the unwanted.
    subscriber.on('ready', () => {
      for (const [name, channel] of this.channels) this.syncQuietly(name, channel);
    });
  }

  /**
   * Adds `listener` to `channel` and resolves once Redis has confirmed the subscription, so a
   * message published after that reaches it. Resolves with the function that removes it again
   * (calling it more than once is harmless). Fails with LIVE_UNAVAILABLE when Redis does not
   * take the subscription.
   */
  async listen(name: string, listener: ChannelListener): Promise<() => void> {
    if (this.closing) throw unavailable('the server is shutting down');

    let channel = this.channels.get(name);
    if (!channel) {
      channel = { listeners: new Set(), subscribed: false, pending: Promise.resolve() };
      this.channels.set(name, channel);
    }
    channel.listeners.add(listener);

    try {
      await this.sync(name, channel);
    } catch (error) {
      channel.listeners.delete(listener);
      this.syncQuietly(name, channel);
      throw unavailable(`Redis did not take the subscription: ${(error as Error).message}`, error);
    }

    let listening = true;
    return () => {
      if (!listening) return;
      listening = false;
      channel.listeners.delete(listener);
      this.syncQuietly(name, channel);
    };
  }

  stats(): HubStats {
    let listeners = 0;
    for (const channel of this.channels.values()) listeners += channel.listeners.size;
    return { channels: this.channels.size, listeners };
  }

  /**
   * Tells every listener that nothing more will come and takes no more. The subscriber
   * connection is its owner's to close; closing it ends the Redis subscriptions.
   */
  close(): void {
    this.closing = true;
    for (const channel of this.channels.values()) {
      for (const listener of [...channel.listeners]) listener.closed();
      channel.listeners.clear();
    }
    this.channels.clear();
  }

  private deliver(name: string, text: string): void {
    const channel = this.channels.get(name);
    if (!channel) return;
    // A listener may leave while it is being given the message.
    for (const listener of [...channel.listeners]) listener.message(text);
  }

  /**
   * Queues a step that brings the Redis subscription in line with whether the channel has
   * listeners, and forgets the channel once it has none and is unsubscribed.
   */
  private sync(name: string, channel: Channel): Promise<void> {
    const step = channel.pending.then(async () => {
      const wanted = channel.listeners.size > 0 && !this.closing;
      if (wanted && !channel.subscribed) {
        await this.subscriber.subscribe(name);
        channel.subscribed = true;
      } else if (!wanted && channel.subscribed && !this.closing) {
        await this.subscriber.unsubscribe(name);
        channel.subscribed = false;
      }
    });

    const settled: Promise<void> = step
      .catch(() => undefined)
      .then(() => {
        const idle = channel.listeners.size === 0 && !channel.subscribed;
        if (idle && channel.pending === settled && this.channels.get(name) === channel) {
          this.channels.delete(name);
        }
      });
    channel.pending = settled;
    return step;
  }

  private syncQuietly(name: string, channel: Channel): void {
    this.sync(name, channel).catch((error: unknown) => {
      this.log.warn('could not update a live channel subscription; retrying on reconnection', {
        error,
      });
    });
  }
}

function unavailable(reason: string, cause?: unknown): AlmanacError {
  return new AlmanacError('LIVE_UNAVAILABLE', `live updates are unavailable: ${reason}`, {
    hint: 'Try again shortly',
    retriable: true,
    cause,
  });
}
