/**
 * One row of a transcript: agent text (Markdown), a process output line, thinking (folded), a tool
 * call with its input and output (folded), a result with turns, tokens and cost, or a note. Folds
 * remember whether they are open by row id, so scrolling a row out of view and back keeps it.
 */
import type { ComponentChildren } from "preact";
import { Markdown } from "../../components/markdown";
import { compact, duration, usd } from "../../lib/format";
import type { TranscriptItem } from "../../lib/transcript-model";

/** Row ids of open folds, per page view (rows unmount when virtualized away). */
export type OpenFolds = Set<string>;

function Fold(p: { id: string; open: OpenFolds; summary: ComponentChildren; class: string; children: ComponentChildren }) {
  return (
    <details class={p.class} open={p.open.has(p.id)} onToggle={(e) => (e.currentTarget.open ? p.open.add(p.id) : p.open.delete(p.id))}>
      <summary>{p.summary}</summary>
      {p.children}
    </details>
  );
}

/** A first line of a tool's JSON input, for the folded summary. */
function preview(input: string): string {
  const flat = input.replace(/\s+/g, " ").trim();
  return flat.length > 90 ? `${flat.slice(0, 90)}…` : flat;
}

export function TranscriptRow({ item, open }: { item: TranscriptItem; open: OpenFolds }) {
  switch (item.kind) {
    case "attempt":
      return <div class="t-attempt">Attempt {item.attempt}</div>;
    case "text":
      return (
        <div class={`t-text ${item.streaming ? "streaming" : ""}`}>
          <Markdown source={item.text} />
        </div>
      );
    case "output":
      return <div class={`t-line ${item.stream}`}>{item.text}</div>;
    case "thinking":
      return (
        <Fold id={item.id} open={open} class="t-fold t-thinking" summary="Thinking">
          <pre>{item.text}</pre>
        </Fold>
      );
    case "tool":
      return (
        <Fold
          id={item.id}
          open={open}
          class={`t-fold t-tool ${item.isError ? "error" : ""}`}
          summary={
            <>
              <span class="t-tool-name">{item.name}</span>
              <span class="t-tool-input">{preview(item.input)}</span>
              <span class={`t-tool-state ${item.output === null ? "pending" : item.isError ? "error" : "ok"}`}>{item.output === null ? "running…" : item.isError ? "error" : "done"}</span>
            </>
          }
        >
          <div class="t-tool-body">
            <h4>Input</h4>
            <pre>{item.input || "(none)"}</pre>
            <h4>Output</h4>
            <pre>{item.output ?? "(no result yet)"}</pre>
            {item.cutFrom !== null && <p class="hint">Cut to fit: the full output had {compact(item.cutFrom)} characters.</p>}
          </div>
        </Fold>
      );
    case "note":
      return <div class={`t-note ${item.tone}`}>{item.text}</div>;
    case "raw":
      return (
        <Fold id={item.id} open={open} class="t-fold t-raw" summary={`Event ${item.type}`}>
          <pre>{item.json}</pre>
        </Fold>
      );
    case "result":
      return (
        <div class={`t-result ${item.isError ? "error" : ""}`}>
          <strong>{item.isError ? "Finished with an error" : "Finished"}</strong>
          {item.turns !== null && <span>{item.turns} turns</span>}
          {item.durationMs !== null && <span>{duration(item.durationMs)}</span>}
          {item.tokens !== null && <span>{compact(item.tokens)} tokens</span>}
          {item.costUsd !== null && <span>{usd(item.costUsd)}</span>}
          {item.summary && <Markdown source={item.summary} />}
        </div>
      );
  }
}

/** Estimated heights before a row is measured; close estimates keep the scrollbar steady. */
export function estimateRow(item: TranscriptItem): number {
  switch (item.kind) {
    case "output":
      return 20;
    case "text":
      return 28 + Math.ceil(item.text.length / 90) * 20;
    case "attempt":
    case "note":
      return 28;
    case "result":
      return 64;
    default:
      return 32;
  }
}
