/**
 * Which agents a comment mentions, so board/post-comment.ts can ask each for a follow-up run. Pure.
 *
 * The rule: a mention is `@` followed by an agent's name, ignoring case, where the name's spaces
 * may be written as spaces or as `-` (`@Review Bot`, `@review-bot`). The `@` starts the text or
 * follows a character that cannot be part of an e-mail address's local part (so `me@review-bot`
 * is no mention), and the name ends the text or is followed by a character that is not a letter,
 * a digit, `_` or `-` (so `@fixer` does not mention `fix`). When several names fit, the longest
 * wins (`@Fix Bot now` is "Fix Bot", not "Fix"). Mentions inside code (`inline` spans, fenced
 * blocks) do not count.
 */

export interface NamedAgent {
  id: string;
  name: string;
}

/** Agents asked for at most per comment: the rest of a long list of mentions is ignored. */
export const MAX_MENTIONS = 10;

const BEFORE_AT = /[\p{L}\p{N}_.+\-@]/u;
const IN_NAME = /[\p{L}\p{N}_-]/u;
const CODE = /```[\s\S]*?(?:```|$)|~~~[\s\S]*?(?:~~~|$)|`[^`\n]*`/g;

/** The text with code blanked out (same length, so positions stay put). */
function withoutCode(text: string): string {
  return text.replace(CODE, (m) => " ".repeat(m.length));
}

/** Ids of the agents `text` mentions, in order of first mention, each once. */
export function findMentions(text: string, agents: readonly NamedAgent[]): string[] {
  // Every way to write each name, longest first so the longest name wins.
  const handles = agents
    .flatMap((a) => {
      const name = a.name.trim().replace(/\s+/g, " ").toLowerCase();
      return name ? [...new Set([name, name.replace(/ /g, "-")])].map((h) => ({ id: a.id, h })) : [];
    })
    .sort((x, y) => y.h.length - x.h.length);
  const plain = withoutCode(text);
  const found: string[] = [];
  for (let at = plain.indexOf("@"); at !== -1 && found.length < MAX_MENTIONS; at = plain.indexOf("@", at + 1)) {
    if (at > 0 && BEFORE_AT.test(plain[at - 1]!)) continue;
    const start = at + 1;
    let matched: string | null = null;
    for (const { id, h } of handles) {
      if (matched !== null && h.length < matched.length) break;
      const next = plain[start + h.length];
      if (plain.slice(start, start + h.length).toLowerCase() === h && (next === undefined || !IN_NAME.test(next))) {
        matched ??= h;
        // Agents may share a name: a mention of it asks each of them.
        if (!found.includes(id)) found.push(id);
      }
    }
  }
  return found.slice(0, MAX_MENTIONS);
}
