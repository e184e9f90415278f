import type { Admin, Kafka } from 'kafkajs';
import { topicNames, type Config } from '../config/config.ts';
import { AlmanacError } from '../errors.ts';

/**
 * Creates the events, insights and dead-letter topics when missing. Events and insight facts are
 * keyed by user_id, so the partition count bounds how many aggregators (and bridges) can share
 * the load; it can grow later but never shrink, and growing it moves users between partitions.
 */
export async function ensureTopics(
  kafka: Kafka,
  config: Pick<Config, 'topicPrefix' | 'eventPartitions'>,
): Promise<void> {
  const topics = topicNames(config);
  const wanted = [
    { topic: topics.events, numPartitions: config.eventPartitions },
    { topic: topics.deadLetters, numPartitions: 1 },
    { topic: topics.insights, numPartitions: config.eventPartitions },
    { topic: topics.insightDeadLetters, numPartitions: 1 },
  ];
  const admin = kafka.admin();
  try {
    await admin.connect();
    // A topic just created may be unknown to the broker answering the next metadata request
    // for a moment; kafkajs gives up on that at once, so the whole step is tried again.
    for (let attempt = 1; ; attempt++) {
      try {
        await createMissing(admin, wanted);
        await waitForLeaders(
          admin,
          wanted.map(({ topic }) => topic),
        );
        return;
      } catch (error) {
        if (attempt >= 10 || (error as { retriable?: boolean }).retriable !== true) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  } catch (cause) {
    throw new AlmanacError(
      'KAFKA_TOPICS_FAILED',
      `could not create topics on ${config.topicPrefix}`,
      {
        cause,
        retriable: true,
        hint: 'Check that KAFKA_BROKERS points at a running broker',
      },
    );
  } finally {
    await admin.disconnect();
  }
}

async function createMissing(
  admin: Admin,
  wanted: { topic: string; numPartitions: number }[],
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter(({ topic }) => !existing.has(topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: false,
    topics: missing.map((topic) => ({
      ...topic,
      replicationFactor: -1,
      configEntries: [{ name: 'retention.ms', value: String(7 * 86_400_000) }],
    })),
  });
}

async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
  const leaderless = metadata.some(({ partitions }) =>
    partitions.some((partition) => partition.leader < 0),
  );
  if (leaderless) {
    throw Object.assign(new Error('a partition has no leader yet'), { retriable: true });
  }
}

/**
 * The end offset of every partition of a topic (the offset the next message will get) and the
 * id of the cluster that holds it, through one admin connection.
 */
export async function topicEnds(
  kafka: Kafka,
  topic: string,
): Promise<{ ends: Map<number, bigint>; clusterId: string }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const { clusterId } = await admin.describeCluster();
    return {
      ends: new Map(offsets.map(({ partition, high }) => [partition, BigInt(high)])),
      clusterId,
    };
  } finally {
    await admin.disconnect();
  }
}

export async function clusterId(kafka: Kafka): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.describeCluster()).clusterId;
  } finally {
    await admin.disconnect();
  }
}
