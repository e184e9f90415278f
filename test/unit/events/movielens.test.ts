import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReadingEvent } from '../../../src/events/contract.ts';
import { readMovieLens } from '../../../src/events/movielens.ts';

async function folder(files: Record<string, string>): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'movielens-'));
  for (const [name, text] of Object.entries(files)) {
    await writeFile(path.join(directory, name), text);
  }
  return directory;
}

async function collect(directory: string): Promise<ReadingEvent[]> {
  const events: ReadingEvent[] = [];
  for await (const event of readMovieLens(directory)) events.push(event);
  return events;
}

const movies = [
  'movieId,title,genres',
  '1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy',
  '2,"American President, The (1995)",Comedy|Drama|Romance',
  '3,Unknown (2001),(no genres listed)',
  '4,Sci Story (1999),Science Fiction|Film-Noir',
].join('\n');

describe('the MovieLens mapping', () => {
  it('makes one rating event per ratings row and one tag event per tags row', async () => {
    const directory = await folder({
      'movies.csv': movies,
      'ratings.csv': 'userId,movieId,rating,timestamp\n7,2,4.0,964982703\n7,3,1.5,964982710\n',
      'tags.csv':
        'userId,movieId,tag,timestamp\n7,4,"Dark, Moody  ",1445714994\n9,2,comedy,1445714995\n',
    });
    const events = await collect(directory);

    expect(events).toEqual([
      {
        event_id: 'ml-rating-7-2-964982703',
        type: 'rating',
        user_id: '7',
        timestamp: '2000-07-30T18:45:03.000Z',
        url: 'https://movielens.org/movies/2',
        domain: 'movielens.org',
        title: 'American President, The (1995)',
        tags: ['comedy', 'drama', 'romance'],
      },
      {
        event_id: 'ml-rating-7-3-964982710',
        type: 'rating',
        user_id: '7',
        timestamp: '2000-07-30T18:45:10.000Z',
        url: 'https://movielens.org/movies/3',
        domain: 'movielens.org',
        title: 'Unknown (2001)',
        tags: [],
      },
      expect.objectContaining({
        type: 'tag',
        user_id: '7',
        tags: ['science-fiction', 'film-noir', 'dark,-moody'],
      }),
      expect.objectContaining({ type: 'tag', user_id: '9', tags: ['comedy', 'drama', 'romance'] }),
    ]);
  });

  it("delivers each user's ratings and tags merged in time order, one user after another", async () => {
    const directory = await folder({
      'movies.csv': movies,
      'ratings.csv':
        'userId,movieId,rating,timestamp\n7,1,4.0,300\n7,2,4.0,100\n8,1,3.0,50\n7,4,2.0,200\n',
      'tags.csv': 'userId,movieId,tag,timestamp\n7,3,odd,150\n9,2,fun,10\n8,2,dull,60\n',
    });
    const events = await collect(directory);
    expect(events.map((event) => [event.user_id, Date.parse(event.timestamp) / 1000])).toEqual([
      ['7', 100],
      ['7', 150],
      ['7', 300],
      ['8', 50],
      ['8', 60],
      ['7', 200],
      ['9', 10],
    ]);
  });

  it('derives the same event ids from the same rows, and different ids from different tags', async () => {
    const files = {
      'movies.csv': movies,
      'ratings.csv': 'userId,movieId,rating,timestamp\n',
      'tags.csv': 'userId,movieId,tag,timestamp\n1,1,funny,100000000\n1,1,Funny,100000000\n',
    };
    const first = await collect(await folder(files));
    const second = await collect(await folder(files));
    expect(first.map((e) => e.event_id)).toEqual(second.map((e) => e.event_id));
    expect(new Set(first.map((e) => e.event_id)).size).toBe(2);
  });

  it('says which file is missing', async () => {
    const directory = await folder({ 'movies.csv': movies });
    await expect(collect(directory)).rejects.toThrow(/ratings\.csv does not exist/);
  });

  it('names the line of a malformed row', async () => {
    const directory = await folder({
      'movies.csv': movies,
      'ratings.csv': 'userId,movieId,rating,timestamp\n1,2,3\n',
      'tags.csv': 'userId,movieId,tag,timestamp\n',
    });
    await expect(collect(directory)).rejects.toThrow(/ratings\.csv:2: expected 4 fields, found 3/);
  });
});
