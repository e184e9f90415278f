/**
 * What a consumer process does when its kafkajs consumer crashes.
 *
 * kafkajs restarts a crashed consumer only when the cause was retriable. Otherwise (a TypeError
 * in a batch handler, an error it does not know, a protocol error it cannot retry) the consumer
 * leaves its group and stays stopped while the process lives on, connected and healthy-looking,
 * and its partitions go to the other members, if there are any. Such a process is of no use: it
 * exits with a non-zero code so that its supervisor starts a fresh one, which resumes from the
 * committed offsets.
 */
import type { Consumer } from 'kafkajs';
import type { Logger } from '../logger.ts';

/** The exit code of a process whose consumer crashed for good. */
export const CONSUMER_CRASH_EXIT_CODE = 1;

/**
 * Logs every crash of `consumer` at error level, and calls `exit` when kafkajs will not restart
 * it. `exit` is process.exit unless given.
 */
export function exitOnConsumerCrash(
  consumer: Consumer,
  log: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const { error, groupId, restart } = payload;
    const context = {
      groupId,
      error,
      ...(error.cause instanceof Error ? { cause: error.cause } : {}),
    };
    if (restart) {
      log.error('Kafka consumer crashed; kafkajs restarts it', context);
      return;
    }
    log.error('Kafka consumer crashed and will not restart; exiting', context);
    exit(CONSUMER_CRASH_EXIT_CODE);
  });
}
