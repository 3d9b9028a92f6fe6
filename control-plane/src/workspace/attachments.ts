/**
 * Per-connection data kept in the WebSocket attachment, so it survives hibernation: the Durable
 * Object rebuilds who is who from these after it wakes. Attachments are limited to 2 KiB, so
 * runner details (runtimes, …) live in storage and only ids live here.
 */

export type Attachment =
  | { role: "runner"; tokenId: string; runnerId: string | null; connectedAt: number }
  | { role: "viewer"; taskId: string }
  | { role: "board" };

export function readAttachment(ws: WebSocket): Attachment | null {
  try {
    return (ws.deserializeAttachment() as Attachment | null) ?? null;
  } catch {
    return null;
  }
}

export function writeAttachment(ws: WebSocket, a: Attachment): void {
  ws.serializeAttachment(a);
}

/** Sends a frame, ignoring a socket that is already closing (its close handler cleans up). */
export function sendJson(ws: WebSocket, message: unknown): boolean {
  try {
    ws.send(JSON.stringify(message));
    return true;
  } catch {
    return false;
  }
}

/** Closes a socket, ignoring errors from one that is already closed. Codes 1005/1006 may not be sent. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  const sendable = code === 1000 || (code >= 3000 && code <= 4999) || code === 1001 || code === 1009 || code === 1011;
  try {
    ws.close(sendable ? code : 1000, reason.slice(0, 120));
  } catch {
    // already closed
  }
}
