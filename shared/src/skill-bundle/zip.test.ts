import { zipSync, type Zippable } from "fflate";
import { describe, expect, it } from "vitest";
import { SKILL_LIMITS } from "../skills";
import { validateSkillFiles } from "./bundle";
import { readSkillZip, type SkillZip } from "./zip";

const enc = (s: string) => new TextEncoder().encode(s);
const skillMd = (name: string) => enc(`---\nname: ${name}\ndescription: Does things.\n---\nBody\n`);
const unix = (mode: number) => ({ os: 3, attrs: (mode << 16) >>> 0 });

function files(r: SkillZip) {
  if (!r.ok) throw new Error(`expected a zip, got: ${JSON.stringify(r.errors)}`);
  return r;
}

function problems(r: SkillZip): string[] {
  return r.ok ? [] : r.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
}

/** The offset of the first central directory entry. */
function centralEntry(zip: Uint8Array): number {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let i = 0; i < zip.length - 4; i++) if (view.getUint32(i, true) === 0x02014b50) return i;
  throw new Error("no central directory");
}

describe("readSkillZip", () => {
  it("reads a skill inside one top folder, leaving out macOS litter and folder entries", async () => {
    const zip = zipSync({
      "my-skill/": new Uint8Array(0),
      "my-skill/SKILL.md": skillMd("my-skill"),
      "my-skill/scripts/run.sh": [enc("#!/bin/sh\necho hi\n"), unix(0o100755)],
      "my-skill/assets/logo.png": new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]),
      "my-skill/.DS_Store": new Uint8Array([0, 0, 0, 1]),
      "__MACOSX/my-skill/._SKILL.md": new Uint8Array([0, 5, 22, 7]),
    });
    const r = files(readSkillZip(zip));
    expect(r.folder).toBe("my-skill");
    expect(r.files).toEqual([
      { path: "SKILL.md", content: new TextDecoder().decode(skillMd("my-skill")), encoding: "utf8" },
      { path: "scripts/run.sh", content: "#!/bin/sh\necho hi\n", encoding: "utf8" },
      { path: "assets/logo.png", content: "iVBORwABAg==", encoding: "base64" },
    ]);
    expect((await validateSkillFiles(r.files, { expectedName: "my-skill" })).ok).toBe(true);
  });

  it("reads a skill with its files at the root, stored or deflated", () => {
    for (const level of [0, 9] as const) {
      const r = files(readSkillZip(zipSync({ "SKILL.md": skillMd("anything"), "references/a.md": enc("a\n".repeat(1000)) }, { level })));
      expect(r.folder).toBeNull();
      expect(r.files.map((f) => [f.path, f.content.length])).toEqual([["SKILL.md", skillMd("anything").length], ["references/a.md", 2000]]);
    }
  });

  it("turns backslashes from old Windows zip tools into folders", () => {
    const r = files(readSkillZip(zipSync({ "SKILL.md": [skillMd("w"), { os: 0 }], "scripts\\run.ps1": [enc("echo"), { os: 0 }] })));
    expect(r.files.map((f) => f.path)).toEqual(["SKILL.md", "scripts/run.ps1"]);
  });

  it("requires the top folder to be named after the skill", () => {
    expect(problems(readSkillZip(zipSync({ "other/SKILL.md": skillMd("my-skill") })))).toEqual([
      'the zip\'s folder is "other" but SKILL.md names the skill "my-skill"; the folder must be named after the skill',
    ]);
    expect(problems(readSkillZip(zipSync({ "My Skill/SKILL.md": skillMd("my-skill") })))[0]).toMatch(/^the zip's top folder must be named after the skill: the name "My Skill" has uppercase letters/);
  });

  it("rejects zips without SKILL.md at the root or in one folder", () => {
    expect(problems(readSkillZip(zipSync({ "a/SKILL.md": skillMd("a"), "b/x.md": enc("x") })))).toEqual([
      "the zip must hold SKILL.md at its root, or one folder named after the skill with SKILL.md in it; found a/, b/",
    ]);
    expect(problems(readSkillZip(zipSync({ "a/b/SKILL.md": skillMd("b") })))[0]).toMatch(/found a\//);
    expect(problems(readSkillZip(zipSync({}))).at(0)).toMatch(/it is empty/);
  });

  it("rejects symbolic links", () => {
    const zip = zipSync({ "SKILL.md": skillMd("s"), "scripts/link": [enc("/etc/passwd"), unix(0o120777)] });
    expect(problems(readSkillZip(zip))).toEqual(["scripts/link: the entry is a symbolic link; put the file itself in the zip"]);
  });

  it("rejects folders stored as files and special files", () => {
    expect(problems(readSkillZip(zipSync({ "SKILL.md": skillMd("s"), data: [new Uint8Array(0), unix(0o040755)] })))).toEqual([
      "data: the entry is a folder stored as a file",
    ]);
    expect(problems(readSkillZip(zipSync({ "SKILL.md": skillMd("s"), data: [new Uint8Array(0), { os: 0, attrs: 0x10 }] })))).toEqual([
      "data: the entry is a folder stored as a file",
    ]);
    expect(problems(readSkillZip(zipSync({ "SKILL.md": skillMd("s"), fifo: [new Uint8Array(0), unix(0o010644)] })))).toEqual([
      "fifo: the entry is not a regular file (a device, pipe or socket)",
    ]);
  });

  it("rejects entries that climb out of the folder or are absolute", () => {
    const zip = zipSync({ "s/SKILL.md": skillMd("s"), "s/../../evil.sh": enc("x"), "/etc/cron.d/x": enc("x") });
    expect(problems(readSkillZip(zip))).toEqual([
      "s/../../evil.sh: the path climbs out of the skill folder (..)",
      "/etc/cron.d/x: the path is absolute; give it relative to the skill folder",
    ]);
    expect(problems(readSkillZip(zipSync({ "SKILL.md": skillMd("s"), "../x": enc("x") })))).toEqual(["../x: the path climbs out of the skill folder (..)"]);
  });

  it("checks path lengths after taking off the top folder", () => {
    const long = `s/${"x".repeat(SKILL_LIMITS.maxPathLength + 1)}`;
    expect(readSkillZip(zipSync({ "s/SKILL.md": skillMd("s"), [`s/${"x".repeat(SKILL_LIMITS.maxPathLength)}`]: enc("x") })).ok).toBe(true);
    expect(problems(readSkillZip(zipSync({ "s/SKILL.md": skillMd("s"), [long]: enc("x") })))).toEqual([
      `${long.slice(2)}: the path is 201 characters long; a path may be at most 200`,
    ]);
  });

  it("rejects a zip bomb from its declared size, before inflating", () => {
    const bomb = zipSync({ "SKILL.md": skillMd("s"), "assets/zeros.bin": new Uint8Array(100 * 1024 * 1024) }, { level: 1 });
    expect(bomb.length).toBeLessThan(SKILL_LIMITS.maxUploadBytes);
    const started = performance.now();
    expect(problems(readSkillZip(bomb))).toEqual([
      `assets/zeros.bin: the file is 104857600 bytes uncompressed; a file may be at most ${SKILL_LIMITS.maxFileBytes} bytes (512 KiB)`,
      `the zip's files are ${104857600 + skillMd("s").length} bytes uncompressed; a skill may be at most ${SKILL_LIMITS.maxBundleBytes} bytes (5 MiB)`,
    ]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("stops inflating an entry that yields more than its header declares", () => {
    const zip = zipSync({ "SKILL.md": skillMd("s"), "a.bin": new Uint8Array(20 * 1024 * 1024) });
    const view = new DataView(zip.buffer);
    let at = centralEntry(zip);
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    view.setUint32(at + 24, 1000, true); // a.bin now claims 1000 bytes
    expect(problems(readSkillZip(zip))).toEqual(["a.bin: the entry does not hold the 1000 bytes its header declares"]);
  });

  it("rejects files and totals over the limits, with the numbers", () => {
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`assets/${i}.bin`, new Uint8Array(500 * 1024)]));
    const total = 11 * 500 * 1024 + skillMd("s").length;
    expect(problems(readSkillZip(zipSync({ "SKILL.md": skillMd("s"), ...eleven })))).toEqual([
      `the zip's files are ${total} bytes uncompressed; a skill may be at most ${SKILL_LIMITS.maxBundleBytes} bytes (5 MiB)`,
    ]);
    const many: Zippable = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`f/${i}.txt`, enc("x")]));
    expect(problems(readSkillZip(zipSync({ "SKILL.md": skillMd("s"), ...many })))).toEqual(["the zip holds 202 files; a skill may have at most 200"]);
  });

  it("rejects damaged zips and other files", () => {
    expect(problems(readSkillZip(enc("just text, not a zip")))).toEqual(["the upload is not a zip file (no end of central directory)"]);
    const zip = zipSync({ "SKILL.md": skillMd("s"), "a.txt": enc("hello") }, { level: 0 });
    const corrupt = zip.slice();
    const at = zip.indexOf("hello".charCodeAt(0), 100);
    corrupt[at] = (zip[at] ?? 0) ^ 1;
    expect(problems(readSkillZip(corrupt))).toEqual(["a.txt: the entry is damaged (checksum mismatch)"]);
    expect(problems(readSkillZip(zip.slice(10)))).toEqual(["the zip is damaged (bad central directory)"]);
  });

  it("caps the number of problems reported", () => {
    const links = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`l${i}`, [enc("x"), unix(0o120777)] as const]));
    const errors = problems(readSkillZip(zipSync({ "SKILL.md": skillMd("s"), ...(links as unknown as Zippable) })));
    expect(errors).toHaveLength(21);
    expect(errors[20]).toBe("… and 10 more problems");
  });
});
