/**
 * Redis pub/sub channels through which the stream layer and the workers reach live subscribers,
 * whichever API process holds them. ioredis applies its key prefix to keys only, so the
 * deployment's prefix is put on channel names here.
 */
export function channels(prefix: string) {
  return {
    /**
     * JSON array of the user's new events (public form, oldest first, at most the 50 newest of
     * a batch) as each batch of them commits.
     */
    recent: (userId: string) => `${prefix}live:recent:${userId}`,
    /** JSON of the user's newest spotlight, as soon as it is stored. */
    spotlight: (userId: string) => `${prefix}live:spotlight:${userId}`,
  };
}
