import { describe, expect, it } from "vitest";
import { SKILL_LIMITS, type SkillFileInput } from "../skills";
import { base64ToBytes, bytesToBase64, encodeFileForWire, hashListing, sha256Hex, validateSkillFiles, type SkillValidation } from "./bundle";

const SKILL_MD = "---\nname: pdf-tools\ndescription: Fill PDF forms. Use when the user has a PDF.\n---\n# PDF tools\n";
const file = (path: string, content: string): SkillFileInput => ({ path, content, encoding: "utf8" });
const minimal = [file("SKILL.md", SKILL_MD)];

async function valid(files: SkillFileInput[], opts?: { expectedName?: string }) {
  const r = await validateSkillFiles(files, opts);
  if (!r.ok) throw new Error(`expected valid, got: ${JSON.stringify(r.errors)}`);
  return r.skill;
}

function problems(r: SkillValidation): string[] {
  return r.ok ? [] : r.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
}

const sha256 = (data: string | Uint8Array) => sha256Hex(typeof data === "string" ? new TextEncoder().encode(data) : data);

describe("validateSkillFiles", () => {
  it("accepts a minimal skill", async () => {
    const skill = await valid(minimal);
    expect(skill).toMatchObject({ name: "pdf-tools", description: "Fill PDF forms. Use when the user has a PDF.", body: "# PDF tools\n", totalBytes: SKILL_MD.length });
    expect(skill.frontmatter).toEqual({ name: "pdf-tools", description: "Fill PDF forms. Use when the user has a PDF." });
    expect(skill.files).toEqual([{ path: "SKILL.md", size: SKILL_MD.length, hash: await sha256(SKILL_MD), bytes: new TextEncoder().encode(SKILL_MD) }]);
    // Pinned with coreutils: sha256sum of SKILL.md, then of the listing "SKILL.md\0<hash>\n".
    expect(skill.files[0]?.hash).toBe("ec7b97cfdfa056ee6685b12f3a942cfc91ee77d81b397607751331e163b76995");
    expect(skill.hash).toBe("11de55b32d673868951ccc5eb1138d0865ddb870843f3fc91009e037f156dc51");
  });

  it("hashes files and the bundle as documented", async () => {
    const skill = await valid([file("scripts/run.sh", "echo hello\n"), ...minimal, file("references/b.md", "b")]);
    expect(skill.files.map((f) => f.path)).toEqual(["SKILL.md", "references/b.md", "scripts/run.sh"]);
    expect(skill.files[1]?.hash).toBe("3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"); // sha256("b")
    const listing = (await Promise.all(skill.files.map(async (f) => `${f.path}\0${await sha256(f.bytes)}\n`))).join("");
    expect(skill.hash).toBe(await sha256(listing));
    expect(await hashListing([...skill.files].reverse())).toBe(skill.hash);
  });

  it("gives the same bundle hash for the same files in any order and encoding", async () => {
    const files = [...minimal, file("a.txt", "alpha"), file("scripts/b.py", "print(1)\n"), file("z/y.md", "zz")];
    const a = await valid(files);
    const b = await valid([...files].reverse());
    const c = await valid(files.map((f) => ({ path: f.path, content: btoa(f.content), encoding: "base64" as const })));
    expect(b.hash).toBe(a.hash);
    expect(c.hash).toBe(a.hash);
  });

  it("changes the bundle hash when one byte or one path changes", async () => {
    const a = await valid([...minimal, file("a.txt", "alpha")]);
    expect((await valid([...minimal, file("a.txt", "alphb")])).hash).not.toBe(a.hash);
    expect((await valid([...minimal, file("b.txt", "alpha")])).hash).not.toBe(a.hash);
    expect((await valid(minimal)).hash).not.toBe(a.hash);
  });

  it("decodes base64, with line breaks and without padding", async () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
    const wrapped = bytesToBase64(bytes).replace(/.{76}/g, "$&\n");
    const skill = await valid([...minimal, { path: "assets/x.bin", content: wrapped, encoding: "base64" }, { path: "y.txt", content: "YWI", encoding: "base64" }]);
    expect(skill.files.find((f) => f.path === "assets/x.bin")?.bytes).toEqual(bytes);
    expect(new TextDecoder().decode(skill.files.find((f) => f.path === "y.txt")?.bytes)).toBe("ab");
  });

  it("rejects invalid base64", async () => {
    for (const content of ["not base64!", "abcde", "a-b_", "YQ===="]) {
      expect(problems(await validateSkillFiles([...minimal, { path: "x.bin", content, encoding: "base64" }]))).toEqual(["x.bin: the content is not valid base64"]);
    }
  });

  it("treats a missing encoding as utf8", async () => {
    expect(await validateSkillFiles([{ path: "SKILL.md", content: SKILL_MD }])).toMatchObject({ ok: true, skill: { name: "pdf-tools" } });
  });

  it("requires SKILL.md at the root", async () => {
    expect(problems(await validateSkillFiles([file("README.md", "hi")]))).toEqual(["a skill needs a SKILL.md at its root"]);
    expect(problems(await validateSkillFiles([file("skill.md", SKILL_MD)]))).toEqual(["a skill needs a SKILL.md at its root (found skill.md)"]);
    expect(problems(await validateSkillFiles([file("pdf-tools/SKILL.md", SKILL_MD)]))).toEqual(["a skill needs a SKILL.md at its root (found pdf-tools/SKILL.md)"]);
  });

  it("reports SKILL.md problems on SKILL.md", async () => {
    const r = await validateSkillFiles([file("SKILL.md", "---\nname: Bad\n---\n")]);
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(["SKILL.md", "SKILL.md"]);
    expect(problems(await validateSkillFiles([{ path: "SKILL.md", content: btoa("\xff\xfe"), encoding: "base64" }]))).toEqual(["SKILL.md: SKILL.md is not UTF-8 text"]);
  });

  it("checks the name against the expected one", async () => {
    expect((await valid(minimal, { expectedName: "pdf-tools" })).name).toBe("pdf-tools");
    expect(problems(await validateSkillFiles(minimal, { expectedName: "pdf" }))).toEqual([
      'SKILL.md: the frontmatter names the skill "pdf-tools", but it is uploaded as "pdf"; the two must match',
    ]);
  });

  it("accepts a SKILL.md with CRLF and a BOM", async () => {
    const skill = await valid([file("SKILL.md", `\uFEFF${SKILL_MD.replaceAll("\n", "\r\n")}`)]);
    expect(skill.name).toBe("pdf-tools");
    expect(skill.files[0]?.bytes.slice(0, 3)).toEqual(new Uint8Array([0xef, 0xbb, 0xbf]));
  });

  it("rejects unsafe and colliding paths, naming each", async () => {
    const r = await validateSkillFiles([...minimal, file("../evil.sh", "x"), file("/etc/passwd", "x"), file("aux.txt", "x"), file("Notes.md", "x"), file("notes.md", "y")]);
    expect(problems(r)).toEqual([
      "../evil.sh: the path climbs out of the skill folder (..)",
      "/etc/passwd: the path is absolute; give it relative to the skill folder",
      'aux.txt: "aux.txt" is a device name reserved on Windows',
      "notes.md: the path differs from Notes.md only in letter case; the two would be one file on macOS and Windows",
    ]);
  });

  it("limits a file's size, stating the limit and the size", async () => {
    const max = SKILL_LIMITS.maxFileBytes;
    expect((await valid([...minimal, file("big.txt", "x".repeat(max))])).totalBytes).toBe(max + SKILL_MD.length);
    expect(problems(await validateSkillFiles([...minimal, file("big.txt", "x".repeat(max + 1))]))).toEqual([
      `big.txt: the file is ${max + 1} bytes; a file may be at most ${max} bytes (512 KiB)`,
    ]);
  });

  it("limits the whole skill's size", async () => {
    const files = [...minimal, ...Array.from({ length: 11 }, (_, i) => file(`assets/${i}.txt`, "x".repeat(500 * 1024)))];
    const total = SKILL_MD.length + 11 * 500 * 1024;
    expect(problems(await validateSkillFiles(files))).toEqual([`the skill is ${total} bytes in all; a skill may be at most ${SKILL_LIMITS.maxBundleBytes} bytes (5 MiB)`]);
  });

  it("limits the number of files", async () => {
    const files = (n: number) => [...minimal, ...Array.from({ length: n - 1 }, (_, i) => file(`f/${i}.txt`, "x"))];
    expect((await valid(files(SKILL_LIMITS.maxFiles))).files).toHaveLength(200);
    expect(problems(await validateSkillFiles(files(SKILL_LIMITS.maxFiles + 1)))).toEqual(["the skill has 201 files; a skill may have at most 200"]);
  });
});

describe("encodeFileForWire", () => {
  it("sends UTF-8 text as utf8", () => {
    const text = "# Título\n\uFEFF✓ emoji 🙂\r\n";
    expect(encodeFileForWire("a.md", new TextEncoder().encode(text))).toEqual({ path: "a.md", content: text, encoding: "utf8" });
  });

  it("sends binary, invalid UTF-8 and text with NUL as base64", () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(encodeFileForWire("logo.png", png)).toEqual({ path: "logo.png", content: "iVBORw0KGgo=", encoding: "base64" });
    expect(encodeFileForWire("x", new Uint8Array([0x61, 0xc3])).encoding).toBe("base64");
    expect(encodeFileForWire("x", new TextEncoder().encode("a\0b")).encoding).toBe("base64");
  });

  it("round-trips bytes through the wire and validation", async () => {
    const random = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24);
    const text = new TextEncoder().encode("\uFEFFhello\r\nwörld\n");
    const wire = [encodeFileForWire("SKILL.md", new TextEncoder().encode(SKILL_MD)), encodeFileForWire("a.bin", random), encodeFileForWire("t.txt", text)];
    const skill = await valid(JSON.parse(JSON.stringify(wire)) as SkillFileInput[]);
    expect(skill.files.find((f) => f.path === "a.bin")?.bytes).toEqual(random);
    expect(skill.files.find((f) => f.path === "t.txt")?.bytes).toEqual(text);
  });
});

describe("base64", () => {
  it("round-trips any bytes, in chunks larger than the stack allows at once", () => {
    const bytes = Uint8Array.from({ length: 600_000 }, (_, i) => i % 251);
    const text = bytesToBase64(bytes);
    expect(text.slice(0, 12)).toBe(btoa(String.fromCharCode(...bytes.subarray(0, 9))));
    expect(base64ToBytes(text)).toEqual(bytes);
    expect(base64ToBytes("")).toEqual(new Uint8Array(0));
  });
});
