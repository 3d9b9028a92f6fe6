/**
 * Renders lib/markdown.ts's tree as Preact elements. Text only ever becomes text nodes, and links
 * open in a new tab without access to this page (noopener), so a description or comment cannot
 * inject markup or script.
 */
import type { ComponentChildren } from "preact";
import { type Block, type Inline, parseMarkdown } from "../lib/markdown";
import { useMemo } from "preact/hooks";

function inline(nodes: Inline[]): ComponentChildren {
  return nodes.map((n, i) => {
    switch (n.t) {
      case "text":
        return n.text;
      case "code":
        return <code key={i}>{n.text}</code>;
      case "strong":
        return <strong key={i}>{inline(n.children)}</strong>;
      case "em":
        return <em key={i}>{inline(n.children)}</em>;
      case "del":
        return <del key={i}>{inline(n.children)}</del>;
      case "link":
        return (
          <a key={i} href={n.href} target="_blank" rel="noopener noreferrer nofollow">
            {inline(n.children)}
          </a>
        );
    }
  });
}

function blocks(nodes: Block[]): ComponentChildren {
  return nodes.map((b, i) => {
    switch (b.t) {
      case "heading": {
        const H = `h${Math.min(6, b.level + 2)}` as "h3";
        return <H key={i}>{inline(b.children)}</H>;
      }
      case "paragraph":
        return <p key={i}>{inline(b.children)}</p>;
      case "code":
        return (
          <pre key={i} data-lang={b.lang || undefined}>
            <code>{b.text}</code>
          </pre>
        );
      case "quote":
        return <blockquote key={i}>{blocks(b.children)}</blockquote>;
      case "list": {
        const L = b.ordered ? "ol" : "ul";
        return (
          <L key={i}>
            {b.items.map((item, j) => (
              <li key={j}>{blocks(item)}</li>
            ))}
          </L>
        );
      }
      case "rule":
        return <hr key={i} />;
    }
  });
}

export function Markdown({ source, class: cls = "" }: { source: string; class?: string }) {
  const tree = useMemo(() => parseMarkdown(source), [source]);
  return <div class={`markdown ${cls}`}>{blocks(tree)}</div>;
}
