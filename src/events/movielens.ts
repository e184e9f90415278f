/**
 * MovieLens as reading events, mapped so that every figure can be checked against the CSV files
 * by hand:
 * - each ratings.csv row is one `rating` event and each tags.csv row one `tag` event;
 * - user_id is the dataset's userId, the time its Unix seconds;
 * - tags are the movie's genres, normalised (lower case, spaces as hyphens; none for
 *   "(no genres listed)"), plus for a tag event its own text normalised the same way, each tag
 *   once per event;
 * - domain movielens.org, url https://movielens.org/movies/<movieId>;
 * - event_id comes from the row's content, so importing the same files again yields the same ids.
 */
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { AlmanacError } from '../errors.ts';
import { normalizeTag, type ReadingEvent } from './contract.ts';
import { readCsv } from './csv.ts';

export const MOVIELENS_DOMAIN = 'movielens.org';
const NO_GENRES = '(no genres listed)';

export interface Movie {
  title: string;
  genres: string[];
}

export async function loadMovies(directory: string): Promise<Map<number, Movie>> {
  const movies = new Map<number, Movie>();
  for await (const { values } of readCsv(path.join(directory, 'movies.csv'))) {
    const genres = values.genres === NO_GENRES ? [] : (values.genres ?? '').split('|');
    movies.set(Number(values.movieId), {
      title: values.title ?? '',
      genres: genres.map(normalizeTag).filter(Boolean),
    });
  }
  return movies;
}

function shortDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

function baseEvent(
  userId: string,
  movieId: string,
  seconds: string,
  movies: Map<number, Movie>,
  where: string,
) {
  if (!/^\d{1,11}$/.test(seconds) || !/^\d{1,10}$/.test(movieId) || !/^\d{1,10}$/.test(userId)) {
    throw new AlmanacError(
      'IMPORT_BAD_CSV',
      `${where}: userId, movieId and timestamp must be whole numbers`,
    );
  }
  const movie = movies.get(Number(movieId));
  return {
    user_id: userId,
    timestamp: new Date(Number(seconds) * 1000).toISOString(),
    url: `https://movielens.org/movies/${movieId}`,
    domain: MOVIELENS_DOMAIN,
    title: movie?.title,
    genres: movie?.genres ?? [],
  };
}

export async function assertMovieLensDirectory(directory: string): Promise<void> {
  for (const file of ['movies.csv', 'ratings.csv', 'tags.csv']) {
    try {
      await access(path.join(directory, file));
    } catch {
      throw new AlmanacError('IMPORT_NOT_FOUND', `${path.join(directory, file)} does not exist`, {
        hint: 'Point at a MovieLens folder holding movies.csv, ratings.csv and tags.csv',
      });
    }
  }
}

/**
 * Every event of a MovieLens folder, each user's in time order, users in the order ratings.csv
 * first names them (then users with tags only). Sessions, streaks and milestones are found in
 * event time as a reader's events arrive, so a replay must deliver each reader's history in the
 * order it happened; the files list it by movie.
 *
 * MovieLens files are grouped by user, so this holds one user's ratings at a time, plus all tag
 * rows (a small file). Equal times keep file order, ratings first.
 */
export async function* readMovieLens(directory: string): AsyncGenerator<ReadingEvent> {
  await assertMovieLensDirectory(directory);
  const movies = await loadMovies(directory);
  const tagsByUser = await readTagEvents(path.join(directory, 'tags.csv'), movies);

  const ratingsFile = path.join(directory, 'ratings.csv');
  let user: string | undefined;
  let pending: ReadingEvent[] = [];
  const flush = () => {
    const events = [...pending, ...(tagsByUser.get(user!) ?? [])];
    tagsByUser.delete(user!);
    pending = [];
    return inTimeOrder(events);
  };

  for await (const { line, values } of readCsv(ratingsFile)) {
    const { genres, ...event } = baseEvent(
      values.userId ?? '',
      values.movieId ?? '',
      values.timestamp ?? '',
      movies,
      `${ratingsFile}:${line}`,
    );
    if (user !== undefined && event.user_id !== user) yield* flush();
    user = event.user_id;
    pending.push({
      event_id: `ml-rating-${values.userId}-${values.movieId}-${values.timestamp}`,
      type: 'rating',
      ...event,
      tags: genres,
    });
  }
  if (user !== undefined) yield* flush();

  for (const events of tagsByUser.values()) yield* inTimeOrder(events);
}

/** Sorts by time; Array.prototype.sort is stable, so equal times keep their order. */
function inTimeOrder(events: ReadingEvent[]): ReadingEvent[] {
  return events
    .map((event) => ({ event, time: Date.parse(event.timestamp) }))
    .sort((a, b) => a.time - b.time)
    .map(({ event }) => event);
}

async function readTagEvents(
  tagsFile: string,
  movies: Map<number, Movie>,
): Promise<Map<string, ReadingEvent[]>> {
  const byUser = new Map<string, ReadingEvent[]>();
  for await (const { line, values } of readCsv(tagsFile)) {
    const { genres, ...event } = baseEvent(
      values.userId ?? '',
      values.movieId ?? '',
      values.timestamp ?? '',
      movies,
      `${tagsFile}:${line}`,
    );
    const tag = normalizeTag(values.tag ?? '');
    let events = byUser.get(event.user_id);
    if (!events) byUser.set(event.user_id, (events = []));
    events.push({
      event_id: `ml-tag-${values.userId}-${values.movieId}-${values.timestamp}-${shortDigest(values.tag ?? '')}`,
      type: 'tag',
      ...event,
      tags: [...new Set(tag ? [...genres, tag] : genres)],
    });
  }
  return byUser;
}
