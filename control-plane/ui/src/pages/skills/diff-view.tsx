/**
 * A list of per-file changes between two versions of a skill (or a proposal and the version its
 * run started from), each a unified patch with added and removed lines marked by colour and by
 * their +/- sign (so the difference does not rest on colour alone).
 */
import type { FileDiff } from "./skill-types";

function lineClass(line: string): string {
  if (line.startsWith("+++") || line.startsWith("---")) return "d-file";
  if (line.startsWith("@@")) return "d-hunk";
  if (line.startsWith("+")) return "d-add";
  if (line.startsWith("-")) return "d-del";
  return "d-ctx";
}

export function DiffView({ diff, empty }: { diff: FileDiff[]; empty: string }) {
  if (diff.length === 0) return <p class="settings-empty">{empty}</p>;
  return (
    <div class="diff">
      {diff.map((f) => (
        <section key={f.path} class="diff-file" aria-label={`Changes to ${f.path}`}>
          <header class="diff-head">
            <span class="mono">{f.path}</span>
            <span class={`state-pill diff-${f.status}`}>{f.status}</span>
          </header>
          {f.binary || f.patch === null ? (
            <p class="hint diff-note">Binary file: contents not shown.</p>
          ) : (
            <pre class="diff-body">
              {f.patch
                .replace(/\n$/, "")
                .split("\n")
                .map((line, i) => (
                  <span key={i} class={lineClass(line)}>
                    {line}
                    {"\n"}
                  </span>
                ))}
            </pre>
          )}
        </section>
      ))}
    </div>
  );
}
