import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { Profile, RecentEvent } from '../src/api/profile.ts';
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
  /** UTC calendar days with at least one event. */
  activeDays: Scalars['Int']['output'];
  firstEventAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  lastEventAt?: Maybe<Scalars['DateTime']['output']>;
  /** The latest events, newest first. Only the last 50 are kept, so limit is 0 to 50. */
  recentEvents: Array<Event>;
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
  Count: ResolverTypeWrapper<Scalars['Count']['output']>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  Event: ResolverTypeWrapper<RecentEvent>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  PublicationCount: ResolverTypeWrapper<PublicationCount>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  TagCount: ResolverTypeWrapper<TagCount>;
  TemporalPatterns: ResolverTypeWrapper<TemporalPatterns>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  User: ResolverTypeWrapper<Profile>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  Count: Scalars['Count']['output'];
  DateTime: Scalars['DateTime']['output'];
  Event: RecentEvent;
  String: Scalars['String']['output'];
  ID: Scalars['ID']['output'];
  PublicationCount: PublicationCount;
  Query: Record<PropertyKey, never>;
  TagCount: TagCount;
  TemporalPatterns: TemporalPatterns;
  Int: Scalars['Int']['output'];
  User: Profile;
  Boolean: Scalars['Boolean']['output'];
};

export interface CountScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['Count'], any> {
  name: 'Count';
}

export interface DateTimeScalarConfig
  extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

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
  activeDays?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  firstEventAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastEventAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  recentEvents?: Resolver<
    Array<ResolversTypes['Event']>,
    ParentType,
    ContextType,
    RequireFields<UserRecentEventsArgs, 'limit'>
  >;
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
  Count?: GraphQLScalarType;
  DateTime?: GraphQLScalarType;
  Event?: EventResolvers<ContextType>;
  PublicationCount?: PublicationCountResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  TagCount?: TagCountResolvers<ContextType>;
  TemporalPatterns?: TemporalPatternsResolvers<ContextType>;
  User?: UserResolvers<ContextType>;
};
