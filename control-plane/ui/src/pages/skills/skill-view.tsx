/**
 * One skill (`/w/:ws/skills/:name`): what it is for and how its runs went, its versions (who made
 * each: a person, a runner's push, or an agent run whose proposal was accepted), the chosen
 * version's files, and what changed between it and another version.
 */
import { useState } from "preact/hooks";
import { wsApi } from "../../lib/api";
import { useLoad } from "../../lib/use-load";
import { actorName } from "../../state/board";
import { LoadState, when } from "../settings/section";
import { DiffView } from "./diff-view";
import { FileViewer } from "./file-viewer";
import type { FileDiff, SkillFile, SkillSummary, VersionSummary } from "./skill-types";

function authorOf(v: VersionSummary): string {
  if (v.author.kind === "user") return actorName(`user:${v.author.id}`);
  if (v.author.kind === "runner") return "a runner's push";
  return `an agent run (${v.author.id})`;
}

function VersionFiles({ workspaceId, name, version }: { workspaceId: string; name: string; version: number }) {
  const load = useLoad(() => wsApi<{ files: SkillFile[] }>(workspaceId, "GET", `/skills/${encodeURIComponent(name)}/versions/${version}`), [workspaceId, name, version]);
  return <LoadState load={load} what="files">{({ files }) => <FileViewer key={version} files={files} />}</LoadState>;
}

function VersionDiff({ workspaceId, name, from, to }: { workspaceId: string; name: string; from: number; to: number }) {
  const load = useLoad(() => wsApi<{ diff: FileDiff[] }>(workspaceId, "GET", `/skills/${encodeURIComponent(name)}/diff?from=${from}&to=${to}`), [workspaceId, name, from, to]);
  return <LoadState load={load} what="changes">{({ diff }) => <DiffView diff={diff} empty={`Versions ${from} and ${to} have the same files.`} />}</LoadState>;
}

export function SkillView({ workspaceId, name }: { workspaceId: string; name: string }) {
  const load = useLoad(() => wsApi<{ skill: SkillSummary; versions: VersionSummary[] }>(workspaceId, "GET", `/skills/${encodeURIComponent(name)}`), [workspaceId, name]);
  const [picked, setPicked] = useState<number | null>(null);
  const [against, setAgainst] = useState<number | null>(null);
  return (
    <div class="skill-view">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={`/w/${workspaceId}/skills`}>Skills</a>
        <span aria-hidden="true">/</span>
        <span>{name}</span>
      </nav>
      <LoadState load={load} what="skill">
        {({ skill, versions }) => {
          const version = picked ?? skill.latestVersion;
          const older = versions.filter((v) => v.version !== version);
          const base = against ?? older.find((v) => v.version < version)?.version ?? older[0]?.version ?? null;
          return (
            <>
              <header class="skill-head">
                <h2 class="mono">{skill.name}</h2>
                {skill.archived && <span class="state-pill state-off">Archived</span>}
                <p>{skill.description}</p>
                <p class="muted">
                  {skill.runs === 0 ? "Not used in a run yet" : `${skill.runs} runs, ${skill.succeeded} succeeded${skill.successRate === null ? "" : ` (${Math.round(skill.successRate * 100)}%)`}`} · latest version {skill.latestVersion}
                </p>
              </header>
              <div class="skill-body">
                <section class="versions" aria-labelledby="versions-title">
                  <h3 id="versions-title">Versions</h3>
                  <ol class="version-list">
                    {versions.map((v) => (
                      <li key={v.version}>
                        <button type="button" class="version" aria-current={v.version === version ? "true" : undefined} onClick={() => (setPicked(v.version), setAgainst(null))}>
                          <strong>Version {v.version}</strong>
                          <span class="muted">
                            {when(v.createdAt)} · {authorOf(v)}
                          </span>
                        </button>
                      </li>
                    ))}
                  </ol>
                </section>
                <div class="skill-main">
                  <h3>Files of version {version}</h3>
                  <VersionFiles workspaceId={workspaceId} name={skill.name} version={version} />
                  <div class="diff-bar">
                    <h3>Changes</h3>
                    {base === null ? (
                      <span class="muted">The only version: nothing to compare with.</span>
                    ) : (
                      <label>
                        <span class="muted">from version</span>
                        <select aria-label="Compare from version" value={String(base)} onChange={(e) => setAgainst(Number(e.currentTarget.value))}>
                          {older.map((v) => (
                            <option key={v.version} value={v.version}>
                              {v.version}
                            </option>
                          ))}
                        </select>
                        <span class="muted">to version {version}</span>
                      </label>
                    )}
                  </div>
                  {base !== null && <VersionDiff workspaceId={workspaceId} name={skill.name} from={base} to={version} />}
                </div>
              </div>
            </>
          );
        }}
      </LoadState>
    </div>
  );
}
