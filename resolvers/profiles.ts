/**
 * Resolvers of the profiles subgraph (schema/profiles.graphql). A User resolves to the reader's
 * Profile; every read goes through the request's DataLoaders, so a list of readers, or the
 * gateway's batch of User references, costs one batch per store rather than one lookup per
 * reader.
 */
import { badArgument, checkLimit, checkRange } from '../src/api/arguments.ts';
import { DEFAULT_SESSIONS, MAX_SESSIONS } from '../src/api/insights.ts';
import { TOP_KEPT } from '../src/api/profile.ts';
import { RECENT_EVENTS_KEPT } from '../src/serving/redis-keys.ts';
import type { Resolvers } from './generated-types.ts';
import { Count, DateTime } from './scalars.ts';

/** The most ids one `users` query may ask for. */
export const MAX_USERS_PER_QUERY = 100;

export const profilesResolvers: Resolvers = {
  Count,
  DateTime,

  Query: {
    user: (_parent, { id }, { loaders }) => loaders.profile.load(id),

    users: (_parent, { ids }, { loaders }) => {
      if (ids.length > MAX_USERS_PER_QUERY) {
        throw badArgument(
          'ids',
          `may name at most ${MAX_USERS_PER_QUERY} readers, got ${ids.length}`,
        );
      }
      return Promise.all(ids.map((id) => loaders.profile.load(id)));
    },
  },

  User: {
    // Other subgraphs name a reader by id alone; an unknown id resolves to null.
    __resolveReference: (reference, { loaders }) => loaders.profile.load(reference.id),

    topTags: (profile, { limit }) => profile.topTags.slice(0, checkLimit(limit, TOP_KEPT)),

    topPublications: (profile, { limit }) =>
      profile.topPublications.slice(0, checkLimit(limit, TOP_KEPT)),

    temporalPatterns: (profile) => ({
      hourOfDay: profile.hourOfDay,
      dayOfWeek: profile.dayOfWeek,
    }),

    recentEvents: async (profile, { limit }, { loaders }) => {
      const wanted = checkLimit(limit, RECENT_EVENTS_KEPT);
      if (wanted === 0) return [];
      return (await loaders.recentEvents.load(profile.id)).slice(0, wanted);
    },

    spotlight: (profile, _arguments, { loaders }) => loaders.spotlight.load(profile.id),

    achievements: (profile, _arguments, { loaders }) => loaders.achievements.load(profile.id),

    emergingInterests: (profile, _arguments, { loaders }) =>
      loaders.emergingInterests.load(profile.id),

    sessions: (profile, { last }, { loaders }) =>
      loaders.sessions.load({
        userId: profile.id,
        last: checkRange(last ?? DEFAULT_SESSIONS, 1, MAX_SESSIONS, 'last'),
      }),
  },
};
