/**
 * The slice of the wire protocol the dashboard uses, imported file by file from shared/ so the
 * bundle carries these schemas and not the rest of the package (skill bundles, yaml, zip).
 * Frames from the control plane are parsed here, at the edge: a bad frame is dropped, never cast.
 */
import { parseFrame } from "../../../../shared/src/protocol/parse";
import { BoardMessage } from "../../../../shared/src/protocol/board";
import { ViewerMessage } from "../../../../shared/src/protocol/viewer";

export type { BoardMessage } from "../../../../shared/src/protocol/board";
export type { ViewerMessage, AttemptView } from "../../../../shared/src/protocol/viewer";
export { formatViewerCursor } from "../../../../shared/src/protocol/viewer";
export type { AgentEvent } from "../../../../shared/src/events";
export { ISSUE_STATUSES, ISSUE_PRIORITIES, type IssueStatus, type IssuePriority } from "../../../../shared/src/board-api";

/** A live-board frame, or null when it is not one (logged: it means a protocol mismatch). */
export function parseBoardFrame(raw: string): BoardMessage | null {
  const r = parseFrame(BoardMessage, raw);
  if (!r.ok) console.warn(`[live] dropped a frame: ${r.reason}`);
  return r.ok ? r.value : null;
}

/** A task-viewer frame, or null when it is not one. */
export function parseViewerFrame(raw: string): ViewerMessage | null {
  const r = parseFrame(ViewerMessage, raw);
  if (!r.ok) console.warn(`[transcript] dropped a frame: ${r.reason}`);
  return r.ok ? r.value : null;
}
