/**
 * A skill version's files: a folder tree on the left (folders first, then files, each a button
 * that shows the file), the chosen file's contents on the right. SKILL.md is shown first.
 * Binary files (base64 on the wire) are named with their size, not dumped.
 */
import { useState } from "preact/hooks";
import type { SkillFile } from "./skill-types";

interface Folder {
  folders: Map<string, Folder>;
  files: SkillFile[];
}

function treeOf(files: SkillFile[]): Folder {
  const root: Folder = { folders: new Map(), files: [] };
  for (const f of files) {
    const parts = f.path.split("/");
    let at = root;
    for (const dir of parts.slice(0, -1)) {
      let next = at.folders.get(dir);
      if (!next) at.folders.set(dir, (next = { folders: new Map(), files: [] }));
      at = next;
    }
    at.files.push(f);
  }
  return root;
}

const size = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`);

function FolderList({ folder, chosen, onChoose }: { folder: Folder; chosen: string; onChoose: (path: string) => void }) {
  const folders = [...folder.folders.entries()].sort(([a], [b]) => a.localeCompare(b));
  const files = [...folder.files].sort((a, b) => a.path.localeCompare(b.path));
  return (
    <ul class="tree">
      {folders.map(([name, sub]) => (
        <li key={name}>
          <span class="tree-folder">{name}/</span>
          <FolderList folder={sub} chosen={chosen} onChoose={onChoose} />
        </li>
      ))}
      {files.map((f) => (
        <li key={f.path}>
          <button type="button" class="tree-file" aria-current={f.path === chosen ? "true" : undefined} onClick={() => onChoose(f.path)}>
            {f.path.split("/").pop()}
          </button>
        </li>
      ))}
    </ul>
  );
}

export function FileViewer({ files }: { files: SkillFile[] }) {
  const first = files.find((f) => f.path === "SKILL.md") ?? files[0];
  const [chosen, setChosen] = useState(first?.path ?? "");
  const file = files.find((f) => f.path === chosen) ?? first;
  if (!file) return <p class="settings-empty">This version has no files.</p>;
  return (
    <div class="files">
      <nav class="files-tree" aria-label="Files">
        <FolderList folder={treeOf(files)} chosen={file.path} onChoose={setChosen} />
      </nav>
      <section class="file-view" aria-label={`Contents of ${file.path}`}>
        <header class="file-head">
          <span class="mono">{file.path}</span>
          <span class="muted">{size(file.size)}</span>
        </header>
        {file.encoding === "base64" ? <p class="hint diff-note">Binary file: contents not shown.</p> : <pre class="file-body">{file.content}</pre>}
      </section>
    </div>
  );
}
