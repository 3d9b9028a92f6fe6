/**
 * Skills harvested from agent runs, waiting for a person: each proposal with the run it came
 * from and, on demand, its changes against the version that run started with (or its files, for a
 * new skill). Accepting makes it the skill's next version; rejecting drops it. Any member decides.
 */
import { useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import { ago } from "../../lib/format";
import { useLoad } from "../../lib/use-load";
import { actorName } from "../../state/board";
import { Empty, FormError, LoadState } from "../settings/section";
import { DiffView } from "./diff-view";
import type { FileDiff, Proposal } from "./skill-types";

function ProposalChanges({ workspaceId, id }: { workspaceId: string; id: string }) {
  const load = useLoad(() => wsApi<{ diff: FileDiff[] }>(workspaceId, "GET", `/skill-proposals/${id}`), [workspaceId, id]);
  return <LoadState load={load} what="proposed changes">{({ diff }) => <DiffView diff={diff} empty="The run left the files as they were." />}</LoadState>;
}

export function Proposals({ workspaceId, onDecided }: { workspaceId: string; onDecided: () => void }) {
  const [status, setStatus] = useState<"pending" | "accepted" | "rejected">("pending");
  const load = useLoad(() => wsApi<{ proposals: Proposal[] }>(workspaceId, "GET", `/skill-proposals?status=${status}`), [workspaceId, status]);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const decide = async (p: Proposal, verdict: "accept" | "reject") => {
    try {
      await wsApi(workspaceId, "POST", `/skill-proposals/${p.id}/${verdict}`);
      setError(null);
      onDecided();
    } catch (err) {
      setError(describeError(err));
    }
    await load.reload();
  };

  return (
    <section class="proposals" aria-labelledby="proposals-title">
      <header class="proposals-head">
        <h2 id="proposals-title">Proposals from runs</h2>
        <label>
          <span class="sr-only">Show proposals</span>
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value as typeof status)}>
            <option value="pending">Waiting</option>
            <option value="accepted">Accepted</option>
            <option value="rejected">Rejected</option>
          </select>
        </label>
      </header>
      <FormError error={error} />
      <LoadState load={load} what="proposals">
        {({ proposals }) =>
          proposals.length === 0 ? (
            <Empty>{status === "pending" ? "Nothing waiting. When an agent run creates or changes a skill, it shows here for review." : `No ${status} proposals.`}</Empty>
          ) : (
            <ul class="item-list">
              {proposals.map((p) => (
                <li key={p.id} class="item" aria-label={`Proposal ${p.name}`}>
                  <div class="item-head">
                    {p.baseHash ? (
                      <a class="skill-name mono" href={`/w/${workspaceId}/skills/${encodeURIComponent(p.name)}`} title="The skill as the library has it">
                        {p.name}
                      </a>
                    ) : (
                      <strong class="mono">{p.name}</strong>
                    )}
                    <span class="kind-pill">{p.baseHash ? "Changed skill" : "New skill"}</span>
                    <span class="muted">{ago(p.createdAt)}</span>
                    <span class="spacer" />
                    <button type="button" class="button small" aria-expanded={open === p.id} onClick={() => setOpen(open === p.id ? null : p.id)}>
                      {open === p.id ? "Hide changes" : "Review changes"}
                    </button>
                    {p.status === "pending" && (
                      <>
                        <button type="button" class="button small primary" onClick={() => void decide(p, "accept")}>
                          Accept
                        </button>
                        <button type="button" class="button small danger" onClick={() => void decide(p, "reject")}>
                          Reject
                        </button>
                      </>
                    )}
                  </div>
                  <p>{p.description}</p>
                  <p class="muted small">
                    From run <span class="mono">{p.taskId}</span> (attempt {p.attempt}) · {p.files.length} {p.files.length === 1 ? "file" : "files"}
                    {p.status === "accepted" && p.acceptedVersion !== null && ` · became version ${p.acceptedVersion} (${actorName(p.decidedBy)})`}
                    {p.status === "rejected" && ` · rejected by ${actorName(p.decidedBy)}`}
                  </p>
                  {open === p.id && <ProposalChanges workspaceId={workspaceId} id={p.id} />}
                </li>
              ))}
            </ul>
          )
        }
      </LoadState>
    </section>
  );
}
