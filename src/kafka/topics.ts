import type { Kafka } from 'kafkajs';
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
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = [
      { topic: topics.events, numPartitions: config.eventPartitions },
      { topic: topics.deadLetters, numPartitions: 1 },
      { topic: topics.insights, numPartitions: config.eventPartitions },
      { topic: topics.insightDeadLetters, numPartitions: 1 },
    ].filter(({ topic }) => !existing.has(topic));
    if (missing.length === 0) return;

    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        ...topic,
        replicationFactor: -1,
        configEntries: [{ name: 'retention.ms', value: String(7 * 86_400_000) }],
      })),
    });
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
