/**
 * Produces events to the events topic in batches, keyed by user_id so each user's events keep
 * their order and meet one aggregator.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { topicNames, type Config } from '../config/config.ts';
import type { ReadingEvent } from '../events/contract.ts';

/** Kafka refuses messages over about 1 MB; such a line goes straight to the dead-letter topic. */
const LARGEST_PRODUCIBLE_BYTES = 900 * 1024;
const BATCH_SIZE = 2000;
/**
 * A request's messages for one partition travel as one record batch, which the broker refuses
 * over its message.max.bytes (1 MiB by default); bounding the whole request keeps every
 * partition's share under it.
 */
const BATCH_BYTES = 900 * 1024;
/**
 * Batches ready to send while one is on its way; reading the input goes on meanwhile. Sends go
 * one after another: two requests in flight to one partition land out of order when the first
 * is retried, and each reader's events must arrive in the order they were produced.
 */
const BATCHES_QUEUED = 4;

/** A line refused before Kafka because Kafka could not carry it. */
export interface ImportRejection {
  /** Line number in the imported file. */
  line: number;
  bytes: number;
  reason: string;
  /** The first KiB of the line. */
  head: Buffer;
}

export interface ProduceCounts {
  produced: number;
  deadLettered: number;
}

export class EventProducer {
  readonly counts: ProduceCounts = { produced: 0, deadLettered: 0 };
  readonly rejections: ImportRejection[] = [];
  private readonly producer: Producer;
  private readonly topics: ReturnType<typeof topicNames>;
  private pending: Message[] = [];
  private pendingBytes = 0;
  /** The send of the latest batch, which starts when every earlier one has been acknowledged. */
  private sending: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(kafka: Kafka, config: Pick<Config, 'topicPrefix'>) {
    // Idempotent: a request retried after a lost acknowledgement is not written twice, which
    // would otherwise show up as duplicates the aggregator has to drop.
    this.producer = kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    this.topics = topicNames(config);
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  /** Queues one event; sends when a batch is full. */
  async add(event: ReadingEvent): Promise<void> {
    await this.addRaw(Buffer.from(JSON.stringify(event)), event.user_id);
  }

  /**
   * Queues a message as it came, valid or not: the aggregator is the one judge of validity and
   * dead-letters what it refuses, so every input line is accounted for in one place.
   */
  async addRaw(value: Buffer, key: string | null, line = 0): Promise<void> {
    if (value.length > LARGEST_PRODUCIBLE_BYTES) {
      const reason = `line ${line} is ${value.length} bytes; Kafka takes at most ${LARGEST_PRODUCIBLE_BYTES} here (first 1 KiB kept)`;
      this.rejections.push({ line, bytes: value.length, reason, head: value.subarray(0, 1024) });
      await this.producer.send({
        topic: this.topics.deadLetters,
        acks: -1,
        messages: [
          {
            key: null,
            value: value.subarray(0, 1024),
            headers: {
              'almanac-reason-code': 'OVERSIZE',
              'almanac-reason': reason,
            },
          },
        ],
      });
      this.counts.deadLettered++;
      return;
    }

    if (this.pendingBytes + value.length > BATCH_BYTES) await this.sendPending();
    this.pending.push({ key, value });
    this.pendingBytes += value.length + (key?.length ?? 0);
    if (this.pending.length >= BATCH_SIZE) await this.sendPending();
  }

  private async sendPending(): Promise<void> {
    if (this.pending.length === 0) return;
    const messages = this.pending;
    this.pending = [];
    this.pendingBytes = 0;

    this.queued++;
    this.sending = this.sending.then(async () => {
      await this.producer.send({ topic: this.topics.events, acks: -1, messages });
      this.counts.produced += messages.length;
      this.queued--;
    });
    // A failed send fails every later one in the chain, and the import at its next wait; until
    // then the failure is held, not reported as unhandled.
    this.sending.catch(() => undefined);
    if (this.queued >= BATCHES_QUEUED) await this.sending;
  }

  /** Sends what is queued and waits until the broker has acknowledged everything. */
  async flush(): Promise<void> {
    await this.sendPending();
    await this.sending;
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }
}
