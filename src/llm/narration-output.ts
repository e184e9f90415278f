/**
 * Checks a model's text before a reader sees it. Light formatting is removed; anything that
 * cannot be shown as one plain paragraph (markup, a link, an address, nothing at all, too much)
 * is refused, and the caller writes the narration offline instead.
 */

/** The longest narration shown; a spotlight is a few sentences. */
export const MAX_NARRATION_CHARS = 700;

const HTML_TAG = /<\/?[a-z][^>]*>/i;
const LINK = /\[[^\]]*\]\([^)]*\)|https?:\/\/|www\./i;
const EMAIL = /[^\s@]+@[^\s@]+\.[^\s@]+/;
const CODE_FENCE = /```/;

/** The cleaned text, or undefined when it cannot be shown. */
export function cleanNarration(raw: string): string | undefined {
  if (HTML_TAG.test(raw) || LINK.test(raw) || EMAIL.test(raw) || CODE_FENCE.test(raw)) {
    return undefined;
  }

  const text = raw
    .replace(/^\s*#+\s*/gm, '')
    .replace(/\*\*|__|`/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^["'\u201c\u2018]+|["'\u201d\u2019]+$/g, '')
    .trim();

  if (text.length === 0 || text.length > MAX_NARRATION_CHARS) return undefined;
  if (/^\s*([-*\u2022]|\d+\.)\s/.test(text)) return undefined;
  return text;
}
