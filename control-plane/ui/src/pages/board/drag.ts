/**
 * Drag and drop on the board (HTML5 drag events): which card is in flight, where it would land
 * (column and index, drawn as a line between cards), and the index under the pointer computed from
 * the cards' midpoints. Pure DOM reads; the move itself goes through state/issue-actions.ts.
 */
import { signal } from "@preact/signals";
import type { IssueStatus } from "../../lib/protocol";

export const dragging = signal<string | null>(null);
export const dropTarget = signal<{ status: IssueStatus; index: number } | null>(null);

/** The index among the list's cards (the dragged one excluded) before which the pointer is. */
export function indexAt(list: HTMLElement, clientY: number): number {
  const cards = [...list.querySelectorAll<HTMLElement>(".card[data-issue-id]")].filter((c) => c.dataset.issueId !== dragging.value);
  const i = cards.findIndex((c) => {
    const r = c.getBoundingClientRect();
    return clientY < r.top + r.height / 2;
  });
  return i === -1 ? cards.length : i;
}
