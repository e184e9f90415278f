/**
 * Writes narrations from the numbers alone, with no model and no network: the narrator when no
 * API key is set, and the fallback when the API fails. The same facts always give the same text.
 *
 * A spotlight leads with its strongest signal (a reading streak, a new interest, one dominant
 * topic, or else the spread of topics), then adds at most three supporting sentences that the
 * lead did not already say. Choosing sentences by the data, not filling one template, is what
 * keeps two readers' spotlights from reading alike.
 */
import {
  capitalize,
  durationPhrase,
  joinList,
  numberWord,
  plural,
  previousWindowPhrase,
  tagLabel,
  windowPhrase,
} from './english.ts';
import { OFFLINE_MODEL, type Narration, type Narrator } from './narrator.ts';
import {
  summarizeSpotlight,
  type SpotlightFacts,
  type SpotlightSummary,
} from './spotlight-facts.ts';

type Lead = 'streak' | 'new-interest' | 'dominant' | 'spread';

/** The narrator that needs nothing but the facts. */
export class OfflineNarrator implements Narrator {
  async spotlight(facts: SpotlightFacts): Promise<Narration> {
    return { text: writeSpotlight(facts), model: OFFLINE_MODEL };
  }
}

/** The offline spotlight text for these facts. */
export function writeSpotlight(facts: SpotlightFacts): string {
  const summary = summarizeSpotlight(facts);
  if (summary.sessions === 0) return quietSpotlight(summary);

  const lead = chooseLead(summary);
  const sentences = [leadSentence(lead, summary)];

  if (lead !== 'spread') sentences.push(volumeSentence(summary));
  const habit = dayPartSentence(summary);
  if (habit) sentences.push(habit);
  if (lead !== 'new-interest' && summary.newTags.length > 0) {
    sentences.push(
      `${capitalize(joinList(summary.newTags.map(tagLabel)))} also turned up for the first time.`,
    );
  }
  const fading = fadingSentence(summary);
  if (fading) sentences.push(fading);
  const longest = longestSentence(summary);
  if (longest) sentences.push(longest);

  return sentences.slice(0, 4).join(' ');
}

function chooseLead(summary: SpotlightSummary): Lead {
  if (summary.streakDays >= 3) return 'streak';
  if (summary.newTags.length > 0) return 'new-interest';
  if (summary.topTags.length > 0 && summary.leadShare >= 0.5) return 'dominant';
  return 'spread';
}

function tagNames(summary: SpotlightSummary, from: number, count: number): string[] {
  return summary.topTags.slice(from, from + count).map(({ tag }) => tagLabel(tag));
}

function leadSentence(lead: Lead, summary: SpotlightSummary): string {
  const window = windowPhrase(summary.windowDays);
  const favourites = tagNames(summary, 0, 2);

  switch (lead) {
    case 'streak': {
      const about = favourites.length > 0 ? `, mostly ${joinList(favourites)}` : '';
      return `You've read something every day for ${numberWord(summary.streakDays)} days running${about}.`;
    }
    case 'new-interest': {
      const fresh = joinList(summary.newTags.map(tagLabel));
      const usual = summary.topTags
        .map(({ tag }) => tag)
        .filter((tag) => !summary.newTags.includes(tag))
        .slice(0, 2)
        .map(tagLabel);
      const verb = summary.newTags.length === 1 ? 'is' : 'are';
      return usual.length > 0
        ? `${capitalize(fresh)} ${verb} new to your reading ${window}, alongside your usual ${joinList(usual)}.`
        : `Your reading took a new turn ${window}, towards ${fresh}.`;
    }
    case 'dominant': {
      const [first] = tagNames(summary, 0, 1);
      const others = tagNames(summary, 1, 2);
      return others.length > 0
        ? `${capitalize(first!)} had most of your attention ${window}, well ahead of ${joinList(others)}.`
        : `${capitalize(window)} was all about ${first}.`;
    }
    case 'spread': {
      const topics = tagNames(summary, 0, 3);
      const time = durationPhrase(summary.minutes);
      if (topics.length > 0) {
        return `${capitalize(window)} you've been exploring ${joinList(topics)}, over ${plural(summary.sessions, 'session')} and ${time}.`;
      }
      return summary.sessions === 1
        ? `${capitalize(window)} you read in a single sitting of ${time}.`
        : `${capitalize(window)} you read in ${plural(summary.sessions, 'session')}, ${time} in all.`;
    }
  }
}

function volumeSentence(summary: SpotlightSummary): string {
  const time = durationPhrase(summary.minutes);
  if (summary.sessions === 1) return `It all happened in one sitting of ${time}.`;
  return `That came to ${plural(summary.sessions, 'session')} and ${time} in all.`;
}

function dayPartSentence(summary: SpotlightSummary): string | undefined {
  switch (summary.dayPart) {
    case undefined:
      return undefined;
    case 'late night':
      return 'Most of it happened late at night.';
    case 'early morning':
      return 'You did most of it early in the morning, before nine.';
    default:
      return `Most of it happened in the ${summary.dayPart}.`;
  }
}

function fadingSentence(summary: SpotlightSummary): string | undefined {
  if (summary.fadingTags.length === 0) return undefined;
  const names = joinList(summary.fadingTags.map(tagLabel));
  const verb = summary.fadingTags.length === 1 ? 'has' : 'have';
  return `${capitalize(names)} ${verb} gone quiet since ${previousWindowPhrase(summary.windowDays)}.`;
}

function longestSentence(summary: SpotlightSummary): string | undefined {
  if (summary.sessions < 2 || summary.longestSessionMinutes < 30) return undefined;
  return `Your longest sitting ran ${durationPhrase(summary.longestSessionMinutes)}.`;
}

function quietSpotlight(summary: SpotlightSummary): string {
  const window = windowPhrase(summary.windowDays);
  const quiet = `It has been quiet ${window}, with no reading sessions to speak of.`;
  if (summary.fadingTags.length === 0) return quiet;
  return `${quiet} ${capitalize(joinList(summary.fadingTags.map(tagLabel)))} will be there when you are ready.`;
}
