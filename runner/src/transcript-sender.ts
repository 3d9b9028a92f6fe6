/**
 * Sends what the outbox holds to the control plane: each attempt's stored events in
 * `task.events` frames, then its report once every event is out. After each (re)connect it
 * resends everything unacked, attempt by attempt, oldest first. runner.ts wires it between the
 * outbox (`onStored`), the connection (`send`) and incoming `ack` / `report.ack` frames.
 *
 * Bounded: at most WINDOW events per attempt are in flight unacked; the rest wait on disk and
 * are read back when acks open the window.
 */
import { MAX_EVENTS_PER_FRAME, type RunnerMessage, type SequencedEvent } from "@multica/shared";
import { describeError, type Logger } from "./log";
import type { AttemptRef, Outbox } from "./outbox";

/** Events per attempt sent but not yet acked. */
export const WINDOW = 1000;
/** Target size of one `task.events` frame; well under MAX_FRAME_BYTES (256 KiB). */
const FRAME_BUDGET_BYTES = 160 * 1024;

type State = { sentSeq: number; ackedSeq: number; reportSent: boolean; pumping: boolean; again: boolean };

const key = (ref: AttemptRef) => `${ref.taskId}#${ref.attempt}`;

export class TranscriptSender {
  private readonly states = new Map<string, State>();
  /** Bumped on every connect and disconnect, so work for an old connection stops. */
  private generation = 0;
  private online = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly send: (msg: RunnerMessage) => boolean,
    private readonly log: Logger,
  ) {}

  /** The connection got its welcome: resend everything the outbox holds, in order. */
  async connected(): Promise<void> {
    this.generation++;
    this.online = true;
    this.states.clear();
    const gen = this.generation;
    try {
      for (const a of await this.outbox.attempts()) {
        if (gen !== this.generation) return;
        await this.pump(a);
      }
    } catch (err) {
      this.log.error(`reading the outbox to resend failed: ${describeError(err)}`);
    }
  }

  /** The connection dropped: forget what was in flight (it is resent after the next welcome). */
  disconnected(): void {
    this.generation++;
    this.online = false;
    this.states.clear();
  }

  /** New events or a report of this attempt are durable: send them if the window allows. */
  stored(ref: AttemptRef): void {
    void this.pump(ref);
  }

  /** The control plane stored events up to `seq`. */
  acked(ref: AttemptRef, seq: number): void {
    this.outbox.ack(ref, seq);
    const st = this.states.get(key(ref));
    if (st && seq > st.ackedSeq) {
      // An ack beyond what this connection sent: the control plane kept them from an earlier one.
      st.ackedSeq = seq;
      st.sentSeq = Math.max(st.sentSeq, seq);
      void this.pump(ref);
    }
  }

  /** The control plane stored the report: the attempt is done. */
  async reportAcked(ref: AttemptRef): Promise<void> {
    this.states.delete(key(ref));
    try {
      await this.outbox.reportAcked(ref);
    } catch (err) {
      // The report stays stored and is sent again after a restart; the control plane acks it again.
      this.log.error(`forgetting ${ref.taskId}/${ref.attempt} failed: ${describeError(err)}`);
    }
  }

  /** Sends what it can for one attempt. Never rejects: a failure waits for the next reconnect. */
  private async pump(ref: AttemptRef): Promise<void> {
    try {
      await this.pumpAttempt(ref);
    } catch (err) {
      this.log.error(`sending ${ref.taskId}/${ref.attempt} failed: ${describeError(err)}; it is resent after the next reconnect`);
    }
  }

  private async pumpAttempt(ref: AttemptRef): Promise<void> {
    if (!this.online) return;
    const gen = this.generation;
    let st = this.states.get(key(ref));
    if (!st) {
      const start = await this.outbox.sendStart(ref);
      if (!start || gen !== this.generation) return;
      st = this.states.get(key(ref));
      if (!st) {
        const before = start.firstSeq === null ? start.lastSeq : start.firstSeq - 1;
        st = { sentSeq: before, ackedSeq: before, reportSent: false, pumping: false, again: false };
        this.states.set(key(ref), st);
      }
    }
    if (st.pumping) {
      st.again = true;
      return;
    }
    st.pumping = true;
    try {
      do {
        st.again = false;
        if (!(await this.pumpOnce(ref, st, gen))) return;
      } while (st.again);
    } finally {
      st.pumping = false;
    }
  }

  /** Sends what the window allows, then the report if all events are out. False when offline. */
  private async pumpOnce(ref: AttemptRef, st: State, gen: number): Promise<boolean> {
    for (;;) {
      const room = WINDOW - (st.sentSeq - st.ackedSeq);
      if (room <= 0) return true;
      const events = await this.outbox.eventsAfter(ref, st.sentSeq, room);
      if (gen !== this.generation) return false;
      if (events.length === 0) break;
      for (const batch of frames(events)) {
        if (!this.send({ type: "task.events", taskId: ref.taskId, attempt: ref.attempt, events: batch })) return false;
        st.sentSeq = Math.max(st.sentSeq, batch.at(-1)?.seq ?? 0);
      }
    }
    if (st.reportSent) return true;
    const report = await this.outbox.report(ref);
    if (gen !== this.generation) return false;
    if (report && report.lastSeq <= st.sentSeq) {
      if (!this.send(report)) return false;
      st.reportSent = true;
    }
    return true;
  }
}

/** Splits events into frames of at most MAX_EVENTS_PER_FRAME events and about FRAME_BUDGET_BYTES. */
export function* frames(events: SequencedEvent[]): Generator<SequencedEvent[]> {
  let batch: SequencedEvent[] = [];
  let bytes = 0;
  for (const e of events) {
    const size = Buffer.byteLength(JSON.stringify(e));
    if (batch.length > 0 && (batch.length >= MAX_EVENTS_PER_FRAME || bytes + size > FRAME_BUDGET_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(e);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
