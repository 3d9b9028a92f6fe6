/**
 * The skill library (`/w/:ws/skills`): full-text search over names, descriptions and SKILL.md
 * (routes/skills.ts, ranked by D1's FTS5), every skill with its latest version and how its runs
 * went, and the proposals agent runs left for review. `/w/:ws/skills/:name` shows one skill.
 */
import { useEffect, useState } from "preact/hooks";
import { wsApi } from "../../lib/api";
import { ago } from "../../lib/format";
import { useLoad } from "../../lib/use-load";
import { Empty, LoadState } from "../settings/section";
import { Proposals } from "./proposals";
import type { SkillSummary } from "./skill-types";
import { SkillView } from "./skill-view";

/** Wait this long after the last keystroke before searching: one request per pause, not per key. */
const SEARCH_DELAY_MS = 250;

function SkillList({ workspaceId, query, version }: { workspaceId: string; query: string; version: number }) {
  const load = useLoad(() => wsApi<{ skills: SkillSummary[] }>(workspaceId, "GET", `/skills${query ? `?q=${encodeURIComponent(query)}` : ""}`), [workspaceId, query, version]);
  return (
    <LoadState load={load} what="skills">
      {({ skills }) =>
        skills.length === 0 ? (
          <Empty>
            {query ? `No skill matches “${query}”.` : "No skills yet. Push one with `multica-runner skills push <folder>`, or POST its files to /api/v1/workspaces/:ws/skills."}
          </Empty>
        ) : (
          <ul class="skill-list" aria-label={query ? `Skills matching ${query}` : "All skills"}>
            {skills.map((s) => (
              <li key={s.id} class="skill-card">
                <a class="skill-name mono" href={`/w/${workspaceId}/skills/${encodeURIComponent(s.name)}`}>
                  {s.name}
                </a>
                <p>{s.description}</p>
                <p class="muted small">
                  v{s.latestVersion} · updated {ago(s.updatedAt)} ·{" "}
                  {s.runs === 0 ? "no runs yet" : `${s.runs} runs${s.successRate === null ? "" : `, ${Math.round(s.successRate * 100)}% succeeded`}`}
                </p>
              </li>
            ))}
          </ul>
        )
      }
    </LoadState>
  );
}

export function SkillsPage({ workspaceId, sub }: { workspaceId: string; sub?: string | undefined }) {
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  // Bumped when a proposal is accepted: the list then shows the new version.
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const t = setTimeout(() => setQuery(text.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(t);
  }, [text]);

  return (
    <div class="skills-page">
      <div class="toolbar">
        <h1 class="page-title">Skills</h1>
        {!sub && (
          <label class="skill-search">
            <span class="sr-only">Search skills</span>
            <input type="search" placeholder="Search skills…" value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </label>
        )}
      </div>
      {sub ? (
        <SkillView key={sub} workspaceId={workspaceId} name={sub} />
      ) : (
        <div class="skills-body">
          <section class="library" aria-labelledby="library-title">
            <h2 id="library-title">{query ? "Search results" : "Library"}</h2>
            <SkillList workspaceId={workspaceId} query={query} version={version} />
          </section>
          <Proposals workspaceId={workspaceId} onDecided={() => setVersion((v) => v + 1)} />
        </div>
      )}
    </div>
  );
}
