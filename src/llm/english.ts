/**
 * Small pieces of English for narrations written from numbers: counts in words, plurals that
 * agree, lists joined the way people write them.
 */

const SMALL_NUMBERS = [
  'no',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
];

/** A count as a reader expects it in prose: words up to twelve, digits with commas above. */
export function numberWord(count: number): string {
  return SMALL_NUMBERS[count] ?? count.toLocaleString('en-US');
}

/** "one session", "three sessions", "no sessions"; `many` for irregular plurals. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${numberWord(count)} ${count === 1 ? one : many}`;
}

/** "drama", "drama and comedy", "drama, comedy and romance". */
export function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Upper-cases the first letter. */
export function capitalize(sentence: string): string {
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

/**
 * A tag as a word in a sentence: hyphens become spaces ("film-noir" reads "film noir") except
 * in short compounds that are written with one ("sci-fi").
 */
export function tagLabel(tag: string): string {
  const parts = tag.split('-');
  return parts.every((part) => part.length <= 3) ? tag : parts.join(' ');
}

/** The window as an adverbial phrase: "this week", "these past two weeks", "over the last ten days". */
export function windowPhrase(days: number): string {
  if (days === 1) return 'today';
  if (days === 7) return 'this week';
  if (days === 14) return 'these past two weeks';
  if (days >= 28 && days <= 31) return 'this month';
  return `over the last ${numberWord(days)} days`;
}

/** The window before this one, as a noun phrase: "the week before", "the month before". */
export function previousWindowPhrase(days: number): string {
  if (days === 1) return 'the day before';
  if (days === 7) return 'the week before';
  if (days >= 28 && days <= 31) return 'the month before';
  return 'the stretch before';
}

/** A length of time in rounded, spoken terms: "twenty minutes", "about an hour and a half". */
export function durationPhrase(minutes: number): string {
  if (minutes < 1) return 'under a minute';
  if (minutes < 55) return plural(Math.round(minutes), 'minute');

  const halfHours = Math.round(minutes / 30);
  const hours = Math.floor(halfHours / 2);
  const half = halfHours % 2 === 1;
  if (hours === 1) return half ? 'about an hour and a half' : 'about an hour';
  return half ? `about ${numberWord(hours)} and a half hours` : `about ${numberWord(hours)} hours`;
}
