-- A digest of the last message applied in each partition. Finding a different message at that
-- offset later means the topic was deleted and created again: its offsets start over.
ALTER TABLE "stream_offsets" ADD COLUMN "last_fingerprint" TEXT;
