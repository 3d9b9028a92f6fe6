/**
 * Follows one task's transcript over the viewer WebSocket (GET /tasks/:id/stream): the snapshot
 * of its attempts, every stored event, then live events and status changes. After a drop it
 * reconnects with a `cursor` naming the last seq it holds of each attempt, so the server replays
 * exactly what was missed — late events of an earlier attempt included — and the model drops
 * anything it already has. Renders at most once a frame, so
 * a replay of 10,000 events is one paint, not 10,000.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { socketUrl } from "../../lib/api";
import { type AttemptView, parseViewerFrame } from "../../lib/protocol";
import { LiveSocket, type SocketState } from "../../lib/socket";
import { TranscriptModel } from "../../lib/transcript-model";

export interface TranscriptState {
  model: TranscriptModel;
  version: number;
  attempts: AttemptView[];
  /** True once the stored part has arrived (what follows is live). */
  replayed: boolean;
  socket: SocketState;
}

export function useTranscript(workspaceId: string, taskId: string): TranscriptState {
  const model = useRef(new TranscriptModel());
  const [version, setVersion] = useState(0);
  const [attempts, setAttempts] = useState<AttemptView[]>([]);
  const [replayed, setReplayed] = useState(false);
  const [socket, setSocket] = useState<SocketState>("connecting");

  useEffect(() => {
    model.current = new TranscriptModel();
    setVersion(0);
    setAttempts([]);
    setReplayed(false);
    let frame = 0;
    const paint = () => {
      if (!frame) frame = requestAnimationFrame(() => ((frame = 0), setVersion(model.current.version)));
    };
    const putAttempt = (a: AttemptView) => setAttempts((list) => [...list.filter((x) => x.attempt !== a.attempt), a].sort((x, y) => x.attempt - y.attempt));
    const live = new LiveSocket({
      url: () => socketUrl(`/workspaces/${workspaceId}/tasks/${taskId}/stream?cursor=${model.current.cursor()}`),
      onMessage: (raw) => {
        const m = parseViewerFrame(raw);
        if (!m) return;
        if (m.type === "task.event") {
          if (model.current.apply(m)) paint();
        } else if (m.type === "task.snapshot") setAttempts(m.attempts);
        else if (m.type === "task.status") putAttempt(m.attempt);
        else if (m.type === "replay.done") setReplayed(true);
      },
      onState: setSocket,
    });
    return () => {
      live.close();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [workspaceId, taskId]);

  return { model: model.current, version, attempts, replayed, socket };
}
