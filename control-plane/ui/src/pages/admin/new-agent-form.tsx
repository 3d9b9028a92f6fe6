/** Creating an agent (admins): a name and the runtimes it runs on; the rest is set in its editor. */
import { useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import { FormError } from "../../components/form-error";

export function NewAgentForm({ workspaceId, onCreated }: { workspaceId: string; onCreated: () => void }) {
  const [name, setName] = useState("");
  const [runtimes, setRuntimes] = useState("");
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await wsApi(workspaceId, "POST", "/agents", { name: name.trim(), runtimes: runtimes.split(/[\s,]+/).filter(Boolean) });
      setName("");
      setRuntimes("");
      setError(null);
      onCreated();
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <form class="new-agent" onSubmit={submit} aria-labelledby="new-agent-title">
      <h2 id="new-agent-title" class="panel-title">
        New agent
      </h2>
      <div class="with-icon">
        <label class="sr-only" for="new-agent-name">
          Name
        </label>
        <input id="new-agent-name" placeholder="Name" value={name} maxLength={100} onInput={(e) => setName(e.currentTarget.value)} required />
        <label class="sr-only" for="new-agent-runtimes">
          Runtimes
        </label>
        <input id="new-agent-runtimes" placeholder="Runtimes, e.g. claude, command:lint" value={runtimes} onInput={(e) => setRuntimes(e.currentTarget.value)} required />
        <button type="submit" class="button primary small">
          Create agent
        </button>
      </div>
      <FormError error={error} />
    </form>
  );
}
