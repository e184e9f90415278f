import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { Profile, RecentEvent } from '../src/api/profile.ts';
import type {
  Spotlight as SpotlightModel,
  Achievement as AchievementModel,
  EmergingInterest as EmergingInterestModel,
  Session as SessionModel,
} from '../src/api/insights.ts';
import type { ApiContext } from '../src/api/context.ts';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string };
  String: { input: string; output: string };
  Boolean: { input: boolean; output: boolean };
  Int: { input: number; output: number };
  Float: { input: number; output: number };
  /**
   * A count that may pass 2^31 − 1, the limit of Int. Sent as a JSON number, which is exact up to
   * 2^53 − 1; a larger count is refused with an error rather than rounded.
   */
  Count: { input: bigint; output: bigint | number };
  /** An instant as an ISO 8601 string in UTC with milliseconds, like 2018-09-24T14:03:00.000Z. */
  DateTime: { input: Date; output: Date | string };
  _FieldSet: { input: unknown; output: unknown };
};

/** A milestone, reached once. */
export type Achievement = {
  __typename?: 'Achievement';
  /** Kind and threshold together, like events-100, anniversary-2 or streak-7. */
  code: Scalars['String']['output'];
  /** What is counted: events, anniversary (years since the first event) or streak (days in a row). */
  kind: Scalars['String']['output'];
  /** The time of the event that reached it. */
  reachedAt: Scalars['DateTime']['output'];
  /** The number reached: events counted, years, or days in a row. */
  threshold: Scalars['Int']['output'];
};

/** A tag new to a reader that quickly gathered several events. */
export type EmergingInterest = {
  __typename?: 'EmergingInterest';
  /** The time of the event that made it an emerging interest. */
  emergedAt: Scalars['DateTime']['output'];
  /** Events with this tag when it emerged. */
  events: Scalars['Int']['output'];
  /** The time of the reader's first event with this tag. */
  firstSeenAt: Scalars['DateTime']['output'];
  tag: Scalars['String']['output'];
};

/** One event as the reader's recent history keeps it. */
export type Event = {
  __typename?: 'Event';
  domain?: Maybe<Scalars['String']['output']>;
  eventId: Scalars['ID']['output'];
  tags: Array<Scalars['String']['output']>;
  timestamp: Scalars['DateTime']['output'];
  title?: Maybe<Scalars['String']['output']>;
  /** What happened: view, read, rating, share and so on. */
  type: Scalars['String']['output'];
  url?: Maybe<Scalars['String']['output']>;
};

export type PublicationCount = {
  __typename?: 'PublicationCount';
  count: Scalars['Count']['output'];
  /** The publication's host name. */
  domain: Scalars['String']['output'];
};

export type Query = {
  __typename?: 'Query';
  /** One reader, or null when no reader has that id. */
  user?: Maybe<User>;
  /**
   * Several readers at once (at most 100 ids), in the order asked; an unknown id gives null in
   * its place.
   */
  users: Array<Maybe<User>>;
};

export type QueryUserArgs = {
  id: Scalars['ID']['input'];
};

export type QueryUsersArgs = {
  ids: Array<Scalars['ID']['input']>;
};

/**
 * A run of events with no idle gap longer than the session limit (30 minutes unless configured).
 * Times are event times.
 */
export type Session = {
  __typename?: 'Session';
  /**
   * How it ended: gap (a later event came after the idle limit) or idle (no event arrived for
   * that long); null while ongoing.
   */
  closedBy?: Maybe<Scalars['String']['output']>;
  /** The last event's time; for the ongoing session, the latest event so far. */
  endedAt: Scalars['DateTime']['output'];
  events: Scalars['Int']['output'];
  /** Whether the session is still open: more events may join it. */
  ongoing: Scalars['Boolean']['output'];
  startedAt: Scalars['DateTime']['output'];
  /** The session's most frequent tags, most first (at most 5). */
  topTags: Array<TagCount>;
};

/**
 * A few sentences about a reader's latest session, written by a language model or, when none
 * answered, by the offline narrator.
 */
export type Spotlight = {
  __typename?: 'Spotlight';
  /** When the spotlight was written. */
  createdAt: Scalars['DateTime']['output'];
  /** The model asked first, when the offline narrator wrote the text instead; null otherwise. */
  fallbackFrom?: Maybe<Scalars['String']['output']>;
  /** The model that wrote it, or offline. */
  model: Scalars['String']['output'];
  /** When the narrated session's last event happened (event time). */
  sessionEndedAt: Scalars['DateTime']['output'];
  /** When the narrated session began (event time). */
  sessionStartedAt: Scalars['DateTime']['output'];
  text: Scalars['String']['output'];
};

export type TagCount = {
  __typename?: 'TagCount';
  count: Scalars['Count']['output'];
  tag: Scalars['String']['output'];
};

/** When a reader reads, in UTC. */
export type TemporalPatterns = {
  __typename?: 'TemporalPatterns';
  /** 7 event counts, Monday first. */
  dayOfWeek: Array<Scalars['Int']['output']>;
  /** 24 event counts, hour 00 first. */
  hourOfDay: Array<Scalars['Int']['output']>;
};

/** A reader and what they have read so far. */
export type User = {
  __typename?: 'User';
  /** Milestones reached, earliest first. */
  achievements: Array<Achievement>;
  /** UTC calendar days with at least one event. */
  activeDays: Scalars['Int']['output'];
  /** Tags that became a regular part of this reader's reading, most recent first. */
  emergingInterests: Array<EmergingInterest>;
  firstEventAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  lastEventAt?: Maybe<Scalars['DateTime']['output']>;
  /** The latest events, newest first. Only the last 50 are kept, so limit is 0 to 50. */
  recentEvents: Array<Event>;
  /**
   * The latest sessions, newest first: the ongoing one, if any, then those that have ended.
   * last is 1 to 100; null means the default, 10.
   */
  sessions: Array<Session>;
  /** The newest spotlight, or null when none has been written for this reader. */
  spotlight?: Maybe<Spotlight>;
  temporalPatterns: TemporalPatterns;
  /** Most read publications: highest count first, ties by domain; limit 0 to 100. */
  topPublications: Array<PublicationCount>;
  /** Most frequent tags: highest count first, ties in code point order of tag; limit 0 to 100. */
  topTags: Array<TagCount>;
  /** Events counted for this reader, duplicates excluded. */
  totalEvents: Scalars['Count']['output'];
};

/** A reader and what they have read so far. */
export type UserRecentEventsArgs = {
  limit?: Scalars['Int']['input'];
};

/** A reader and what they have read so far. */
export type UserSessionsArgs = {
  last?: InputMaybe<Scalars['Int']['input']>;
};

/** A reader and what they have read so far. */
export type UserTopPublicationsArgs = {
  limit?: Scalars['Int']['input'];
};

/** A reader and what they have read so far. */
export type UserTopTagsArgs = {
  limit?: Scalars['Int']['input'];
};

export type ResolverTypeWrapper<T> = Promise<T> | T;

export type ReferenceResolver<TResult, TReference, TContext> = (
  reference: TReference,
  context: TContext,
  info: GraphQLResolveInfo,
) => Promise<TResult> | TResult;

type ScalarCheck<T, S> = S extends true ? T : NullableCheck<T, S>;
type NullableCheck<T, S> =
  Maybe<T> extends T ? Maybe<ListCheck<NonNullable<T>, S>> : ListCheck<T, S>;
type ListCheck<T, S> = T extends (infer U)[] ? NullableCheck<U, S>[] : GraphQLRecursivePick<T, S>;
export type GraphQLRecursivePick<T, S> = { [K in keyof T & keyof S]: ScalarCheck<T[K], S[K]> };

export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<
  TResult,
  TParent = Record<PropertyKey, never>,
  TContext = Record<PropertyKey, never>,
  TArgs = Record<PropertyKey, never>,
> =
  | ResolverFn<TResult, TParent, TContext, TArgs>
  | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo,
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo,
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo,
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<
  TResult,
  TKey extends string,
  TParent,
  TContext,
  TArgs,
> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<
  TResult,
  TKey extends string,
  TParent = Record<PropertyKey, never>,
  TContext = Record<PropertyKey, never>,
  TArgs = Record<PropertyKey, never>,
> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<
  TTypes,
  TParent = Record<PropertyKey, never>,
  TContext = Record<PropertyKey, never>,
> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo,
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<
  T = Record<PropertyKey, never>,
  TContext = Record<PropertyKey, never>,
> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<
  TResult = Record<PropertyKey, never>,
  TParent = Record<PropertyKey, never>,
  TContext = Record<PropertyKey, never>,
  TArgs = Record<PropertyKey, never>,
> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo,
) => TResult | Promise<TResult>;

/** Mapping of federation types */
export type FederationTypes = {
  User: User;
};

/** Mapping of federation reference types */
export type FederationReferenceTypes = {
  User: { __typename: 'User' } & GraphQLRecursivePick<FederationTypes['User'], { id: true }>;
};

/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  Achievement: ResolverTypeWrapper<AchievementModel>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Count: ResolverTypeWrapper<Scalars['Count']['output']>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  EmergingInterest: ResolverTypeWrapper<EmergingInterestModel>;
  Event: ResolverTypeWrapper<RecentEvent>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  PublicationCount: ResolverTypeWrapper<PublicationCount>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Session: ResolverTypeWrapper<SessionModel>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Spotlight: ResolverTypeWrapper<SpotlightModel>;
  TagCount: ResolverTypeWrapper<TagCount>;
  TemporalPatterns: ResolverTypeWrapper<TemporalPatterns>;
  User: ResolverTypeWrapper<Profile>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  Achievement: AchievementModel;
  String: Scalars['String']['output'];
  Int: Scalars['Int']['output'];
  Count: Scalars['Count']['output'];
  DateTime: Scalars['DateTime']['output'];
  EmergingInterest: EmergingInterestModel;
  Event: RecentEvent;
  ID: Scalars['ID']['output'];
  PublicationCount: PublicationCount;
  Query: Record<PropertyKey, never>;
  Session: SessionModel;
  Boolean: Scalars['Boolean']['output'];
  Spotlight: SpotlightModel;
  TagCount: TagCount;
  TemporalPatterns: TemporalPatterns;
  User: Profile;
};

export type AchievementResolvers<
  ContextType = ApiContext,
  ParentType extends ResolversParentTypes['Achievement'] = ResolversParentTypes['Achievement'],
> = {
  code?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  reachedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  threshold?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export interface CountScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['Count'], any> {
  name: 'Count';
}

export interface DateTimeScalarConfig
  extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type EmergingInterestResolvers<
  ContextType = ApiContext,
  ParentType extends
    ResolversParentTypes['EmergingInterest'] = ResolversParentTypes['EmergingInterest'],
> = {
  emergedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  events?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  firstSeenAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  tag?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type EventResolvers<
  ContextType = ApiContext,
  ParentType extends ResolversParentTypes['Event'] = ResolversParentTypes['Event'],
> = {
  domain?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  eventId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  tags?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  timestamp?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  title?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  type?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  url?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type PublicationCountResolvers<
  ContextType = ApiContext,
  ParentType extends
    ResolversParentTypes['PublicationCount'] = ResolversParentTypes['PublicationCount'],
> = {
  count?: Resolver<ResolversTypes['Count'], ParentType, ContextType>;
  domain?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type QueryResolvers<
  ContextType = ApiContext,
  ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query'],
> = {
  user?: Resolver<
    Maybe<ResolversTypes['User']>,
    ParentType,
    ContextType,
    RequireFields<QueryUserArgs, 'id'>
  >;
  users?: Resolver<
    Array<Maybe<ResolversTypes['User']>>,
    ParentType,
    ContextType,
    RequireFields<QueryUsersArgs, 'ids'>
  >;
};

export type SessionResolvers<
  ContextType = ApiContext,
  ParentType extends ResolversParentTypes['Session'] = ResolversParentTypes['Session'],
> = {
  closedBy?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  endedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  events?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  ongoing?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  startedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  topTags?: Resolver<Array<ResolversTypes['TagCount']>, ParentType, ContextType>;
};

export type SpotlightResolvers<
  ContextType = ApiContext,
  ParentType extends ResolversParentTypes['Spotlight'] = ResolversParentTypes['Spotlight'],
> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  fallbackFrom?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  model?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  sessionEndedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  sessionStartedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  text?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type TagCountResolvers<
  ContextType = ApiContext,
  ParentType extends ResolversParentTypes['TagCount'] = ResolversParentTypes['TagCount'],
> = {
  count?: Resolver<ResolversTypes['Count'], ParentType, ContextType>;
  tag?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type TemporalPatternsResolvers<
  ContextType = ApiContext,
  ParentType extends
    ResolversParentTypes['TemporalPatterns'] = ResolversParentTypes['TemporalPatterns'],
> = {
  dayOfWeek?: Resolver<Array<ResolversTypes['Int']>, ParentType, ContextType>;
  hourOfDay?: Resolver<Array<ResolversTypes['Int']>, ParentType, ContextType>;
};

export type UserResolvers<
  ContextType = ApiContext,
  ParentType extends ResolversParentTypes['User'] = ResolversParentTypes['User'],
  FederationReferenceType extends
    FederationReferenceTypes['User'] = FederationReferenceTypes['User'],
> = {
  __resolveReference?: ReferenceResolver<
    Maybe<ResolversTypes['User']> | FederationReferenceType,
    FederationReferenceType,
    ContextType
  >;
  achievements?: Resolver<Array<ResolversTypes['Achievement']>, ParentType, ContextType>;
  activeDays?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  emergingInterests?: Resolver<Array<ResolversTypes['EmergingInterest']>, ParentType, ContextType>;
  firstEventAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastEventAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  recentEvents?: Resolver<
    Array<ResolversTypes['Event']>,
    ParentType,
    ContextType,
    RequireFields<UserRecentEventsArgs, 'limit'>
  >;
  sessions?: Resolver<
    Array<ResolversTypes['Session']>,
    ParentType,
    ContextType,
    RequireFields<UserSessionsArgs, 'last'>
  >;
  spotlight?: Resolver<Maybe<ResolversTypes['Spotlight']>, ParentType, ContextType>;
  temporalPatterns?: Resolver<ResolversTypes['TemporalPatterns'], ParentType, ContextType>;
  topPublications?: Resolver<
    Array<ResolversTypes['PublicationCount']>,
    ParentType,
    ContextType,
    RequireFields<UserTopPublicationsArgs, 'limit'>
  >;
  topTags?: Resolver<
    Array<ResolversTypes['TagCount']>,
    ParentType,
    ContextType,
    RequireFields<UserTopTagsArgs, 'limit'>
  >;
  totalEvents?: Resolver<ResolversTypes['Count'], ParentType, ContextType>;
};

export type Resolvers<ContextType = ApiContext> = {
  Achievement?: AchievementResolvers<ContextType>;
  Count?: GraphQLScalarType;
  DateTime?: GraphQLScalarType;
  EmergingInterest?: EmergingInterestResolvers<ContextType>;
  Event?: EventResolvers<ContextType>;
  PublicationCount?: PublicationCountResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Session?: SessionResolvers<ContextType>;
  Spotlight?: SpotlightResolvers<ContextType>;
  TagCount?: TagCountResolvers<ContextType>;
  TemporalPatterns?: TemporalPatternsResolvers<ContextType>;
  User?: UserResolvers<ContextType>;
};
