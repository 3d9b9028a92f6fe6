/** Skill bundles: SKILL.md frontmatter, safe paths, validation and hashing, zip import, version diffs. */
export { checkSkillName, parseSkillMarkdown, MAX_COMPATIBILITY_CHARS, MAX_DESCRIPTION_CHARS, type ParsedSkillMarkdown, type SkillFrontmatter } from "./frontmatter";
export { checkSkillPath, findPathCollisions } from "./paths";
export {
  base64ToBytes, bytesToBase64, decodeText, encodeFileForWire, hashListing, sha256Hex, validateSkillFiles,
  type SkillBundleError, type SkillValidation, type ValidatedSkill,
} from "./bundle";
export { readSkillZip, type SkillZip } from "./zip";
export { diffSkillVersions, type SkillFileDiff } from "./diff";
