/**
 * Reads profiles from PostgreSQL, many readers at a time: three statements per batch whatever
 * its size (the users, their top tags, their top publications), run side by side.
 *
 * Ties in count are broken by code point order of the tag or domain (COLLATE "C"), so the order
 * does not depend on the database's locale.
 *
 * Every statement finds its rows through a primary key whose first column is user_id. The top-N
 * cut ranks all of a reader's tags (or publications) and keeps TOP_KEPT, so its cost grows with
 * how many distinct tags a reader has, not with the table; an index on (user_id, count DESC, tag)
 * would let it stop after TOP_KEPT rows, should readers with very many tags appear.
 */
import type { PrismaClient } from '../generated/prisma/client.ts';
import { fixedCounts, TOP_KEPT, type Profile } from './profile.ts';

interface RankedTag {
  user_id: string;
  tag: string;
  count: bigint;
}

interface RankedPublication {
  user_id: string;
  domain: string;
  count: bigint;
}

/** The profiles of those of `ids` that exist, by id. */
export async function readProfiles(
  prisma: PrismaClient,
  ids: readonly string[],
): Promise<Map<string, Profile>> {
  const profiles = new Map<string, Profile>();
  if (ids.length === 0) return profiles;

  const wanted = [...ids];
  const [users, tags, publications] = await Promise.all([
    prisma.user.findMany({
      where: { id: { in: wanted } },
      select: {
        id: true,
        totalEvents: true,
        activeDays: true,
        firstEventAt: true,
        lastEventAt: true,
        hourCounts: true,
        weekdayCounts: true,
      },
    }),
    prisma.$queryRaw<RankedTag[]>`
      SELECT user_id, tag, count FROM (
        SELECT user_id, tag, count, row_number() OVER (
                 PARTITION BY user_id ORDER BY count DESC, tag COLLATE "C" ASC
               ) AS rank
        FROM user_tag_counts WHERE user_id = ANY(${wanted})
      ) AS ranked
      WHERE rank <= ${TOP_KEPT}
      ORDER BY user_id, rank`,
    prisma.$queryRaw<RankedPublication[]>`
      SELECT user_id, domain, count FROM (
        SELECT user_id, domain, count, row_number() OVER (
                 PARTITION BY user_id ORDER BY count DESC, domain COLLATE "C" ASC
               ) AS rank
        FROM user_publication_counts WHERE user_id = ANY(${wanted})
      ) AS ranked
      WHERE rank <= ${TOP_KEPT}
      ORDER BY user_id, rank`,
  ]);

  for (const user of users) {
    profiles.set(user.id, {
      id: user.id,
      totalEvents: user.totalEvents,
      activeDays: user.activeDays,
      firstEventAt: user.firstEventAt,
      lastEventAt: user.lastEventAt,
      hourOfDay: fixedCounts(user.hourCounts, 24),
      dayOfWeek: fixedCounts(user.weekdayCounts, 7),
      topTags: [],
      topPublications: [],
    });
  }
  // Rows arrive ranked within each user, so appending keeps the order.
  for (const row of tags) {
    profiles.get(row.user_id)?.topTags.push({ tag: row.tag, count: BigInt(row.count) });
  }
  for (const row of publications) {
    profiles.get(row.user_id)?.topPublications.push({
      domain: row.domain,
      count: BigInt(row.count),
    });
  }
  return profiles;
}
