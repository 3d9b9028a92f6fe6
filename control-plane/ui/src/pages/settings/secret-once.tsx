/**
 * A secret the API shows only in its answer to a create (tokens, webhook and subscription signing
 * secrets): shown once in a read-only field with a Copy button, and gone for good when dismissed.
 * Copying falls back to selecting the text when the clipboard is not available (plain http on a
 * host other than localhost), so the user can press Ctrl+C.
 */
import type { ComponentChildren } from "preact";
import { useRef, useState } from "preact/hooks";

export function SecretOnce(props: { label: string; secret: string; children?: ComponentChildren; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "select" | null>(null);
  const id = `secret-${props.label.replace(/\W+/g, "-").toLowerCase()}`;

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.secret);
      setCopied("yes");
    } catch {
      field.current?.select();
      setCopied("select");
    }
  };

  return (
    <div class="secret-once" role="region" aria-label={`New ${props.label}`}>
      <p>
        <strong>Copy the {props.label} now.</strong> It is not shown again.
      </p>
      <div class="secret-row">
        <label class="sr-only" for={id}>
          {props.label}
        </label>
        <input id={id} ref={field} class="secret-value" readOnly value={props.secret} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" class="button small" onClick={() => void copy()}>
          Copy
        </button>
        <span class="muted" role="status">
          {copied === "yes" ? "Copied" : copied === "select" ? "Selected: press Ctrl+C to copy" : ""}
        </span>
      </div>
      {props.children}
      <div class="row end">
        <button type="button" class="button small" onClick={props.onDone}>
          I have copied it
        </button>
      </div>
    </div>
  );
}
