import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import postcss from 'postcss';
import type { Plugin } from 'vite';

const ICON = /\bfr-icon-[a-z0-9-]*[a-z0-9]/g;
const SOURCE = /\.(?:tsx?|jsx?|mjs)$/;
// Not scanned: builds, and react-dsfr's generated list of every icon name (`fr/`), its copy of
// the DSFR (`dsfr/`), its sources (`src/`) and scripts (`bin/`).
const SKIPPED = new Set(['node_modules', 'dist', 'fr', 'dsfr', 'src', 'bin']);

function collect(path: string, into: Set<string>): void {
  const info = statSync(path);
  if (info.isDirectory()) {
    for (const entry of readdirSync(path)) if (!SKIPPED.has(entry)) collect(join(path, entry), into);
  } else if (SOURCE.test(path)) {
    for (const match of readFileSync(path, 'utf8').matchAll(ICON)) into.add(match[0]);
  }
}

/**
 * The DSFR's icon utility declares its 1,000-odd icons in one style sheet, each pointing at its
 * SVG file. This keeps only the rules of the icons the application's sources (and the DSFR
 * components' own code) name, so the build ships those SVGs and not the rest — the same idea as
 * react-dsfr's `only-include-used-icons`, without rewriting files inside node_modules.
 * An icon must therefore be named in full in the source (`fr-icon-lock-line`), never assembled.
 */
export function onlyUsedIcons(folders: string[]): Plugin {
  return {
    name: 'rempart-only-used-icons',
    enforce: 'pre',
    transform(code, id) {
      if (!/react-dsfr\/dsfr\/utility\/icons\/icons(?:\.min)?\.css$/.test(id.split('?')[0]!)) return null;
      const used = new Set<string>();
      for (const folder of folders) collect(folder, used);
      const root = postcss.parse(code);
      root.walkRules((rule) => {
        // A rule for named icons stays only for the icons used; a generic one (`[class*=" fr-icon-"]`) always stays.
        const kept = rule.selectors.filter((selector) => (selector.match(ICON) ?? []).every((icon) => used.has(icon)));
        if (kept.length === 0) rule.remove();
        else rule.selectors = kept;
      });
      return { code: root.toString(), map: null };
    },
  };
}
