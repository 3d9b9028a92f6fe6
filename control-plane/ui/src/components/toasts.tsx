/** The toast stack: failures of actions (a move refused, a comment not sent) with a close button. */
import { dismiss, toasts } from "../state/toasts";

export function Toasts() {
  return (
    <div class="toasts" role="region" aria-label="Notifications" aria-live="polite">
      {toasts.value.map((t) => (
        <div key={t.id} class={`toast toast-${t.tone}`} role={t.tone === "error" ? "alert" : "status"}>
          <span>{t.text}</span>
          <button type="button" class="icon-button" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
