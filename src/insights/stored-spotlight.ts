/**
 * A spotlight as it is kept in Redis (`user:{id}:spotlight`, one day) and sent to live
 * subscribers. PostgreSQL keeps every one in user_spotlights.
 */
export interface StoredSpotlight {
  userId: string;
  /** The fact id of the session whose end prompted it. */
  factId: string;
  text: string;
  /** The model that wrote it, or 'offline'. */
  model: string;
  /** The model asked first, when the offline narrator wrote it instead. */
  fallbackFrom?: string;
  /** Event time of the narrated session, ISO 8601. */
  sessionStartedAt: string;
  sessionEndedAt: string;
  /** Wall time it was written, ISO 8601. */
  createdAt: string;
}
