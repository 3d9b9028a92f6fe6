/**
 * The runner's own version, as reported in `hello` and by `--version`. The bundler
 * (scripts/build-runner.mjs) defines RUNNER_VERSION from runner/package.json; under vitest the
 * source runs unbundled, so there is a fallback.
 */
declare const RUNNER_VERSION: string;

/** Version string of this runner build (`0.0.0-dev` when running from source). */
export const VERSION: string = typeof RUNNER_VERSION === "string" ? RUNNER_VERSION : "0.0.0-dev";
