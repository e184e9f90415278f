/**
 * Kafka clients. kafkajs logs through our logger at debug, its errors included: most are the
 * retries of a request, so a missing broker shows up as one clear line from the caller rather
 * than a wall of them. What does need a person, a consumer that crashed, is reported at error
 * level by the consumer's owner (consumer-crash.ts).
 */
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Config } from '../config/config.ts';
import { createLogger } from '../logger.ts';

const kafkaLog = createLogger('kafka');

function logCreator() {
  return ({ level, log }: LogEntry) => {
    const { message, ...context } = log;
    if (level === logLevel.ERROR) kafkaLog.debug(message, context);
    else if (level === logLevel.WARN) kafkaLog.debug(message, context);
  };
}

export function createKafka(
  config: Pick<Config, 'kafkaBrokers' | 'kafkaClientId'>,
  clientSuffix = '',
): Kafka {
  return new Kafka({
    clientId: clientSuffix ? `${config.kafkaClientId}-${clientSuffix}` : config.kafkaClientId,
    brokers: config.kafkaBrokers,
    logLevel: logLevel.WARN,
    logCreator,
    connectionTimeout: 3000,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
  });
}
