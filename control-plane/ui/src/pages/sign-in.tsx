/**
 * Sign-in: paste a personal access token; the control plane checks it and answers with an HttpOnly
 * session cookie (the token itself is not kept in the browser). Says where the first token is.
 */
import { useState } from "preact/hooks";
import { describeError } from "../lib/api";
import { signIn } from "../state/session";
import { FormError } from "../components/form-error";

export function SignInPage({ problem }: { problem: string | null }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(problem);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(token.trim());
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <form class="sign-in-card" onSubmit={submit} aria-labelledby="sign-in-title">
        <div class="brand">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <span>Multica</span>
        </div>
        <h1 id="sign-in-title">Sign in</h1>
        <p class="muted">Paste a personal access token. The dashboard keeps a session of its own; your token is not stored in the browser.</p>
        <label for="token">Access token</label>
        <input id="token" name="token" type="password" autoComplete="off" spellcheck={false} placeholder="mca_…" value={token} onInput={(e) => setToken(e.currentTarget.value)} required aria-describedby="token-help" aria-invalid={error ? "true" : undefined} />
        <p id="token-help" class="hint">
          The first <code>npm start</code> printed an admin token; it is also saved in <code>.multica/admin.json</code>. Members get theirs from an admin (Settings → Members).
        </p>
        <FormError error={error} />
        <button type="submit" class="button primary" disabled={busy || !token.trim()}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
