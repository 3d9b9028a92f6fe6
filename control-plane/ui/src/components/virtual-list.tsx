/**
 * A virtualized list of rows of varying height: only the rows in view (plus a margin) are in the
 * DOM, so a transcript of 10,000+ events scrolls as smoothly as one of ten. Heights are measured
 * as rows render (ResizeObserver) and remembered by row id; until then an estimate stands in.
 *
 * No layout jumps: when a row above the viewport changes height (measured, or a fold opened), the
 * scroll position moves by the same amount, so what is on screen stays put. While the view is at
 * the bottom it follows new rows (a live stream); scrolling up stops following, and a button
 * jumps back.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useReducer, useRef, useState } from "preact/hooks";

const OVERSCAN_PX = 600;
/** How near the bottom still counts as "at the bottom". */
const BOTTOM_SLACK_PX = 32;

/** One positioned row, measured while it is mounted. */
function Row(p: { id: string; top: number; observer: ResizeObserver | null; children: ComponentChildren }) {
  const el = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const row = el.current;
    if (!row || !p.observer) return;
    p.observer.observe(row);
    return () => p.observer?.unobserve(row);
  }, [p.observer]);
  return (
    <div ref={el} data-vid={p.id} class="vrow" style={{ transform: `translateY(${p.top}px)` }}>
      {p.children}
    </div>
  );
}

export interface VirtualListProps<T extends { id: string }> {
  items: readonly T[];
  /** Changes whenever `items` changed in place (rows appended or grown). */
  version: number;
  estimate: (item: T) => number;
  render: (item: T) => ComponentChildren;
  label: string;
  class?: string;
}

export function VirtualList<T extends { id: string }>(p: VirtualListProps<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const following = useRef(true);
  const layout = useRef<{ index: Map<string, number>; offsets: Float64Array }>({ index: new Map(), offsets: new Float64Array(1) });
  const [view, setView] = useState({ top: 0, height: 600 });
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const [behind, setBehind] = useState(false);

  const n = p.items.length;
  const offsets = new Float64Array(n + 1);
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const item = p.items[i]!;
    index.set(item.id, i);
    offsets[i + 1] = offsets[i]! + (heights.current.get(item.id) ?? p.estimate(item));
  }
  layout.current = { index, offsets };
  const total = offsets[n]!;

  // First row whose bottom is below the top of the rendered window, by binary search.
  const from = view.top - OVERSCAN_PX;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid + 1]! <= from) lo = mid + 1;
    else hi = mid;
  }
  const start = lo;
  let end = start;
  while (end < n && offsets[end]! < view.top + view.height + OVERSCAN_PX) end++;

  const observer = useRef<ResizeObserver | null>(null);
  observer.current ??= new ResizeObserver((entries) => {
    let shift = 0;
    let changed = false;
    const el = scroller.current;
    for (const entry of entries) {
      const row = entry.target as HTMLElement;
      const id = row.dataset.vid;
      if (!id || !row.isConnected) continue;
      const h = row.offsetHeight;
      const i = layout.current.index.get(id);
      const old = heights.current.get(id) ?? (i === undefined ? h : layout.current.offsets[i + 1]! - layout.current.offsets[i]!);
      if (h === old) continue;
      heights.current.set(id, h);
      changed = true;
      // A row wholly above the viewport grew or shrank: move the view with it.
      if (el && i !== undefined && !following.current && layout.current.offsets[i + 1]! <= el.scrollTop) shift += h - old;
    }
    if (!changed) return;
    if (el && shift !== 0) el.scrollTop += shift;
    rerender(0);
  });
  useEffect(() => () => observer.current?.disconnect(), []);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (following.current) el.scrollTop = el.scrollHeight;
    else if (!behind) setBehind(true);
  }, [p.version, n]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const resize = new ResizeObserver(() => setView({ top: el.scrollTop, height: el.clientHeight }));
    resize.observe(el);
    return () => resize.disconnect();
  }, []);

  const onScroll = (e: Event) => {
    // The event's own element: a scroll can still be delivered while the list unmounts.
    const el = e.currentTarget as HTMLDivElement | null;
    if (!el) return;
    following.current = el.scrollTop + el.clientHeight >= el.scrollHeight - BOTTOM_SLACK_PX;
    if (following.current && behind) setBehind(false);
    setView({ top: el.scrollTop, height: el.clientHeight });
  };

  const rows: ComponentChildren[] = [];
  for (let i = start; i < end; i++) {
    const item = p.items[i]!;
    rows.push(
      <Row key={item.id} id={item.id} top={offsets[i]!} observer={observer.current}>
        {p.render(item)}
      </Row>,
    );
  }

  return (
    <div class={`vlist-wrap ${p.class ?? ""}`}>
      <div ref={scroller} class="vlist" role="region" aria-label={p.label} tabIndex={0} onScroll={onScroll} data-rows={n}>
        <div class="vlist-inner" style={{ height: `${total}px` }}>
          {rows}
        </div>
      </div>
      {behind && !following.current && (
        <button
          type="button"
          class="button small jump"
          onClick={() => {
            following.current = true;
            setBehind(false);
            const el = scroller.current;
            if (el) el.scrollTop = el.scrollHeight;
          }}
        >
          Jump to latest ↓
        </button>
      )}
    </div>
  );
}
