/**
 * The options every assignee select offers after its own first entries: "Unassigned", then the
 * workspace's agents and members, valued `agent:<id>` / `user:<id>` as the board filters and the
 * issue page both read them.
 */
import { agents, members } from "../state/board";

export function AssigneeOptions() {
  return (
    <>
      <option value="none">Unassigned</option>
      <optgroup label="Agents">
        {agents.value.map((a) => (
          <option key={a.id} value={`agent:${a.id}`}>
            {a.name}
          </option>
        ))}
      </optgroup>
      <optgroup label="Members">
        {members.value.map((m) => (
          <option key={m.userId} value={`user:${m.userId}`}>
            {m.name}
          </option>
        ))}
      </optgroup>
    </>
  );
}
