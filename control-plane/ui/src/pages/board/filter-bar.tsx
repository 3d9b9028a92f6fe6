/** The board's toolbar: quick filters as labelled selects, a text filter, and "New issue". */
import { ISSUE_PRIORITIES } from "../../lib/protocol";
import { humanize } from "../../lib/format";
import { AssigneeOptions } from "../../components/assignee-options";
import { issues } from "../../state/board";
import { anyFilter, assigneeFilter, clearFilters, labelFilter, priorityFilter, textFilter } from "./filters";

export function FilterBar({ onNewIssue }: { onNewIssue: () => void }) {
  const labels = [...new Set([...issues.value.values()].flatMap((i) => i.labels))].sort((a, b) => a.localeCompare(b));
  return (
    <div class="toolbar" role="toolbar" aria-label="Board filters">
      <h1 class="page-title">Board</h1>
      <div class="filters">
        <label>
          <span class="sr-only">Filter by text</span>
          <input type="search" placeholder="Filter…" value={textFilter.value} onInput={(e) => (textFilter.value = e.currentTarget.value)} />
        </label>
        <label>
          <span class="filter-label">Assignee</span>
          <select value={assigneeFilter.value} onChange={(e) => (assigneeFilter.value = e.currentTarget.value)}>
            <option value="any">Anyone</option>
            <AssigneeOptions />
          </select>
        </label>
        <label>
          <span class="filter-label">Label</span>
          <select value={labelFilter.value} onChange={(e) => (labelFilter.value = e.currentTarget.value)}>
            <option value="any">Any</option>
            {labels.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span class="filter-label">Priority</span>
          <select value={priorityFilter.value} onChange={(e) => (priorityFilter.value = e.currentTarget.value)}>
            <option value="any">Any</option>
            {ISSUE_PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {humanize(p)}
              </option>
            ))}
          </select>
        </label>
        {anyFilter() && (
          <button type="button" class="button ghost small" onClick={clearFilters}>
            Clear filters
          </button>
        )}
      </div>
      <button type="button" class="button primary small" onClick={onNewIssue}>
        New issue
      </button>
    </div>
  );
}
