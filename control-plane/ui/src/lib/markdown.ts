/**
 * A small Markdown reader for issue descriptions and comments: headings, paragraphs, lists,
 * quotes, fenced code, rules; inline code, bold, italic, strikethrough and links. It builds a
 * tree of plain objects that components/markdown.tsx renders as elements, so text can never
 * become HTML (no innerHTML anywhere) and links keep only http(s) and mailto targets. Pure.
 */

export type Inline =
  | { t: "text"; text: string }
  | { t: "code"; text: string }
  | { t: "strong" | "em" | "del"; children: Inline[] }
  | { t: "link"; href: string; children: Inline[] };

export type Block =
  | { t: "heading"; level: 1 | 2 | 3 | 4; children: Inline[] }
  | { t: "paragraph"; children: Inline[] }
  | { t: "code"; lang: string; text: string }
  | { t: "quote"; children: Block[] }
  | { t: "list"; ordered: boolean; items: Block[][] }
  | { t: "rule" };

const SAFE_HREF = /^(https?:\/\/|mailto:)/i;

/** Inline markup: the earliest match of any rule wins; text between matches stays text. */
const INLINE = /`([^`\n]+)`|\*\*(.+?)\*\*|__(.+?)__|~~(.+?)~~|\*([^*\s](?:[^*]*[^*\s])?)\*|_([^_\s](?:[^_]*[^_\s])?)_|\[([^\]]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/g;

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const at = m.index;
    if (at > last) out.push({ t: "text", text: text.slice(last, at) });
    last = at + m[0].length;
    if (m[1] !== undefined) out.push({ t: "code", text: m[1] });
    else if (m[2] !== undefined || m[3] !== undefined) out.push({ t: "strong", children: parseInline(m[2] ?? m[3] ?? "") });
    else if (m[4] !== undefined) out.push({ t: "del", children: parseInline(m[4]) });
    else if (m[5] !== undefined || m[6] !== undefined) out.push({ t: "em", children: parseInline(m[5] ?? m[6] ?? "") });
    else if (m[7] !== undefined && m[8] !== undefined) {
      // An unsafe target (javascript:, data:…) keeps its text and loses the link.
      if (SAFE_HREF.test(m[8])) out.push({ t: "link", href: m[8], children: parseInline(m[7]) });
      else out.push({ t: "text", text: m[7] });
    } else if (m[9] !== undefined) out.push({ t: "link", href: m[9], children: [{ t: "text", text: m[9] }] });
  }
  if (last < text.length) out.push({ t: "text", text: text.slice(last) });
  return out;
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})\s*([\w+-]*)/;
const HEADING = /^\s{0,3}(#{1,4})\s+(.*?)\s*#*\s*$/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const BULLET = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      const close = fence[1]!;
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trim().startsWith(close)) body.push(lines[i++]!);
      i++;
      blocks.push({ t: "code", lang: fence[2] ?? "", text: body.join("\n") });
      continue;
    }
    if (!line.trim()) {
      i++;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ t: "heading", level: heading[1]!.length as 1 | 2 | 3 | 4, children: parseInline(heading[2]!) });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ t: "rule" });
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const inner: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) inner.push(QUOTE.exec(lines[i++]!)![1]!);
      blocks.push({ t: "quote", children: parseMarkdown(inner.join("\n")) });
      continue;
    }
    const bullet = BULLET.exec(line);
    if (bullet) {
      const ordered = /\d/.test(bullet[2]!);
      const indent = bullet[1]!.length;
      const items: string[][] = [[bullet[3]!]];
      i++;
      while (i < lines.length) {
        const b = BULLET.exec(lines[i]!);
        if (b && /\d/.test(b[2]!) === ordered && b[1]!.length <= indent + 1) items.push([b[3]!]);
        else if (lines[i]!.trim() && /^\s+/.test(lines[i]!)) items[items.length - 1]!.push(lines[i]!.slice(Math.min(indent + 2, lines[i]!.search(/\S/))));
        else break;
        i++;
      }
      blocks.push({ t: "list", ordered, items: items.map((item) => parseMarkdown(item.join("\n"))) });
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i]!.trim() && !FENCE.test(lines[i]!) && !HEADING.test(lines[i]!) && !QUOTE.test(lines[i]!) && !BULLET.test(lines[i]!) && !RULE.test(lines[i]!)) {
      para.push(lines[i++]!.trim());
    }
    blocks.push({ t: "paragraph", children: parseInline(para.join("\n")) });
  }
  return blocks;
}
