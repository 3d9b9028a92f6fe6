/**
 * The app's frame: the sign-in page until a session exists, then the shell (sidebar with the
 * workspace switcher and navigation) around the page the path names. `/` and unknown paths go to
 * the first workspace's board.
 */
import type { ComponentType } from "preact";
import { useEffect } from "preact/hooks";
import { Shell } from "./components/shell";
import { Toasts } from "./components/toasts";
import { match, navigate, path } from "./lib/router";
import { AgentsPage } from "./pages/admin/agents-page";
import { RunnersPage } from "./pages/admin/runners-page";
import { BoardPage } from "./pages/board/board-page";
import { IssuePage } from "./pages/issue/issue-page";
import { SettingsPage } from "./pages/settings/settings-page";
import { SkillsPage } from "./pages/skills/skills-page";
import { SignInPage } from "./pages/sign-in";
import { openWorkspace } from "./state/board";
import { sessionError, user, workspaces } from "./state/session";

/** `sub` is the path's next segment, for pages with parts of their own (`/w/:ws/settings/tokens`). */
const PAGES: Record<string, ComponentType<{ workspaceId: string; sub?: string | undefined }>> = {
  board: BoardPage,
  agents: AgentsPage,
  runners: RunnersPage,
  settings: SettingsPage,
  skills: SkillsPage,
};

function Routed() {
  const p = path.value;
  const issue = match("/w/:ws/issues/:issueId", p);
  const section = match("/w/:ws/:page", p) ?? (issue ? null : match("/w/:ws/:page/:sub", p));
  const ws = issue?.ws ?? section?.ws ?? null;
  const known = ws !== null && workspaces.value.some((w) => w.id === ws);
  const page = section?.page ?? "";
  const Page = PAGES[page] ?? null;

  useEffect(() => {
    if (known && ws) openWorkspace(ws);
  }, [ws, known]);
  useEffect(() => {
    const first = workspaces.value[0];
    if ((!known || (!issue && !Page)) && first) navigate(`/w/${first.id}/board`, { replace: true });
  }, [known, issue, Page]);

  if (!known || !ws) {
    return workspaces.value.length === 0 ? (
      <div class="empty-page">
        <h1>No workspace</h1>
        <p>This account is not a member of any workspace. Ask an admin to add you, or create one with POST /api/v1/workspaces.</p>
      </div>
    ) : null;
  }
  return (
    <Shell workspaceId={ws}>
      {issue?.issueId ? <IssuePage key={issue.issueId} workspaceId={ws} issueId={issue.issueId} /> : Page ? <Page workspaceId={ws} sub={section?.sub} /> : null}
    </Shell>
  );
}

export function App() {
  const me = user.value;
  useEffect(() => {
    if (me === null && path.value !== "/signin") navigate("/signin", { replace: true });
    if (me && path.value === "/signin") navigate("/", { replace: true });
  }, [me]);
  return (
    <>
      {me === undefined ? (
        <div class="splash" role="status">
          Loading…
        </div>
      ) : me === null ? (
        <SignInPage problem={sessionError.value} />
      ) : (
        <Routed />
      )}
      <Toasts />
    </>
  );
}
