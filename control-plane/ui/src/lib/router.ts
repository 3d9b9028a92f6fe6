/**
 * A small history router: the current path as a signal, `navigate` to change it, and `match` to
 * read a route's parameters. Links are plain <a href> elements; `interceptLinks` turns clicks on
 * same-origin links into navigations without a page load (modifier clicks still open new tabs).
 */
import { signal } from "@preact/signals";

export const path = signal(location.pathname);

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  path.value = location.pathname;
  window.scrollTo(0, 0);
}

/** `/w/:ws/issues/:id` against `/w/ws_1/issues/iss_2` → { ws: "ws_1", id: "iss_2" }; null when it does not fit. */
export function match(pattern: string, pathname: string): Record<string, string> | null {
  const want = pattern.split("/").filter(Boolean);
  const got = pathname.split("/").filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = decodeURIComponent(got[i]!);
    if (w.startsWith(":")) params[w.slice(1)] = g;
    else if (w !== g) return null;
  }
  return params;
}

export function interceptLinks(): void {
  addEventListener("popstate", () => {
    path.value = location.pathname;
  });
  document.addEventListener("click", (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.("a");
    if (!a || a.target || a.hasAttribute("download") || a.origin !== location.origin) return;
    if (a.pathname.startsWith("/api/")) return;
    e.preventDefault();
    navigate(a.pathname + a.search);
  });
}
