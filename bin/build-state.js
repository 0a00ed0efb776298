// Whether the compiled server (dist/, written by `npm run build`) is up to date with the sources:
// bin/rempart.js asks before every run, scripts/build.mjs before building. Dates, not hashes:
// a few hundred stat calls (under 10 ms), so that `rempart --help` stays fast.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The compiled command line, and the stamp the build writes last (dated when the build began). */
export const COMPILED_MAIN = join('dist', 'cli', 'main.js');
export const BUILD_STAMP = join('dist', '.built');

/** What the build reads: the server's sources (files and folders: a deletion dates its folder) and the build itself. */
const INPUTS = ['src', join('scripts', 'build.mjs'), join('bin', 'build-state.js')];

function newest(path) {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = info.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** The date of the newest input under `root`. */
export function newestInput(root) {
  return Math.max(...INPUTS.map((input) => newest(join(root, input))));
}

/** A checkout carries the sources; the deployed artefact (package.json, bin/, dist/, web/dist/) does not. */
export function hasSources(root) {
  return existsSync(join(root, 'src'));
}

/**
 * Is `root`'s dist/ complete (its stamp written) and not older than any input? The stamp bears
 * the date the build began: a source saved during a build leaves the build stale.
 */
export function compiledIsFresh(root) {
  const stamp = statSync(join(root, BUILD_STAMP), { throwIfNoEntry: false });
  return stamp !== undefined && existsSync(join(root, COMPILED_MAIN)) && stamp.mtimeMs >= newestInput(root);
}
