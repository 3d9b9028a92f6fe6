/**
 * The pieces every settings section is built from: a titled section, the loading / failed / empty
 * states of its list, the note non-admins see instead of controls, and a date format.
 */
import type { ComponentChildren } from "preact";
import type { Loaded } from "../../lib/use-load";

export { FormError } from "../../components/form-error";

export function Section(props: { id: string; title: string; intro: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="settings-section" aria-labelledby={`${props.id}-title`}>
      <header class="settings-head">
        <div>
          <h2 id={`${props.id}-title`}>{props.title}</h2>
          <p class="muted">{props.intro}</p>
        </div>
        {props.actions && <div class="settings-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** Renders `children(data)` once loaded; until then the loading line, or the failure with a retry. */
export function LoadState<T>({ load, what, children }: { load: Loaded<T>; what: string; children: (data: T) => ComponentChildren }) {
  if (load.data === undefined) {
    if (load.error) {
      return (
        <div class="settings-error" role="alert">
          <p>
            The {what} could not be loaded: {load.error}
          </p>
          <button type="button" class="button small" onClick={() => void load.reload()}>
            Try again
          </button>
        </div>
      );
    }
    return (
      <p class="loading" role="status">
        Loading the {what}…
      </p>
    );
  }
  return <>{children(load.data)}</>;
}

/** What a member without the admin role sees where the controls would be. */
export function ReadOnlyNote({ children }: { children: ComponentChildren }) {
  return (
    <p class="read-only-note" role="note">
      {children}
    </p>
  );
}

/** The list's empty state: says what would be here and how it gets here. */
export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="settings-empty">{children}</p>;
}

/** `Tue, 24 Nov, 09:00` in the browser's zone; `—` for null. */
export function when(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return new Date(ms).toLocaleString(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

/** A subscription's or a webhook's delivery log: a titled region with a Refresh button over its list. */
export function DeliveryLog({ onRefresh, children }: { onRefresh: () => void; children: ComponentChildren }) {
  return (
    <div class="log" role="region" aria-label="Delivery log">
      <div class="log-head">
        <h3>Deliveries</h3>
        <button type="button" class="button small ghost" onClick={onRefresh}>
          Refresh
        </button>
      </div>
      {children}
    </div>
  );
}
