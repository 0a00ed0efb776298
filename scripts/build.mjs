#!/usr/bin/env node
// `npm run build`: the server compiled to JavaScript (src/ → dist/, esbuild) and the web
// application built to static files (web/ → web/dist/, Vite, scripts/build-web.mjs).
// `npm start` runs it first without --force: only what is older than its sources is rebuilt.
//   --force      rebuild both, whatever the dates say
//   --out DIR    write DIR/dist and DIR/web/dist instead (an artefact folder), the checkout's left alone
//
// dist/ mirrors src/ file for file (dist/api/web.js for src/api/web.ts), so that every path a
// module takes relative to itself (`new URL('../../web/dist/', import.meta.url)`, the bank
// freeze page's style sheet, the worker threads' modules) means the same in both. Packages are
// not bundled: production installs them (`npm ci --omit=dev`).
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { BUILD_STAMP, compiledIsFresh, hasSources } from '../bin/build-state.js';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const force = args.includes('--force');
const outAt = args.indexOf('--out');
const outRoot = outAt >= 0 ? resolve(args[outAt + 1] ?? '') : root;
if (outAt >= 0 && !args[outAt + 1]) fail('--out attend un dossier.');

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

if (!hasSources(root)) {
  // The deployed artefact: dist/ and web/dist/ came built, there is nothing to build them from.
  if (force)
    fail('Pas de sources (src/) ici : construisez dans un dépôt complet (npm run build), puis copiez l’artefact.');
  process.exit(0);
}

/** In the compiled server, the worker threads need no TypeScript loader: tsx's registration becomes a no-op module. */
const NO_LOADER = `data:text/javascript,${encodeURIComponent('export function register() {}')}`;

/**
 * What running TypeScript through tsx needs and compiled JavaScript does not: relative imports
 * name `.ts` files (→ `.js`); a worker thread registers tsx, then loads its module by a `.ts`
 * address relative to the starting module (→ no loader, the `.js` module).
 */
const compiledJavaScript = {
  name: 'rempart-compiled-javascript',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (input) => ({ path: input.path.replace(/\.ts$/, '.js'), external: true }));
    build.onLoad({ filter: /\.ts$/ }, (input) => {
      let contents = readFileSync(input.path, 'utf8');
      if (contents.includes('import.meta')) {
        contents = contents
          .replaceAll("import.meta.resolve('tsx/esm/api')", JSON.stringify(NO_LOADER))
          .replace(/new URL\('(\.{1,2}\/[^']+)\.ts', import\.meta\.url\)/g, "new URL('$1.js', import.meta.url)");
      }
      return { contents, loader: 'ts' };
    });
  },
};

function filesUnder(folder) {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

async function buildServer() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    fail(
      'Compilation du serveur impossible : esbuild manque (installation sans dépendances de développement).\n' +
        'Construisez avec `npm install && npm run build`, ou déployez un artefact déjà construit.',
    );
  }
  const began = new Date();
  const src = join(root, 'src');
  const target = join(outRoot, 'dist');
  const building = `${target}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const files = filesUnder(src);
  try {
    await esbuild.build({
      entryPoints: files.filter((f) => f.endsWith('.ts')),
      outbase: src,
      outdir: building,
      bundle: true, // for the plugin to see every import; all of them stay external
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node22',
      sourcemap: 'linked',
      charset: 'utf8',
      logLevel: 'warning',
      plugins: [compiledJavaScript],
    });
    // Files the modules read beside themselves (the bank freeze page's style sheet).
    for (const file of files.filter((f) => !f.endsWith('.ts'))) {
      const copy = join(building, relative(src, file));
      mkdirSync(dirname(copy), { recursive: true });
      copyFileSync(file, copy);
    }
    // Nothing of the TypeScript run may survive: it would fail where tsx is not installed.
    const leftovers = filesUnder(building)
      .filter((f) => f.endsWith('.js'))
      .filter((f) => /tsx\/esm|new URL\(\s*['"`][^'"`]*\.ts['"`]/.test(readFileSync(f, 'utf8')));
    if (leftovers.length)
      throw new Error(
        `la compilation laisse des références à tsx ou à des fichiers .ts (scripts/build.mjs, compiledJavaScript) :\n  ${leftovers.map((f) => relative(building, f)).join('\n  ')}`,
      );
    // The stamp last, dated when the build began (a source saved meanwhile leaves dist/ stale);
    // then the new tree takes the old one's place at once.
    const stamp = join(building, relative('dist', BUILD_STAMP));
    writeFileSync(stamp, `${began.toISOString()}\n`);
    utimesSync(stamp, began, began);
  } catch (error) {
    // A failed build leaves no half-written folder behind, and dist/ as it was.
    rmSync(building, { recursive: true, force: true });
    fail(`Compilation du serveur en échec : ${error instanceof Error ? error.message : String(error)}`);
  }
  const old = `${target}.old-${process.pid}`;
  try {
    renameSync(target, old);
  } catch (error) {
    if (error?.code !== 'ENOENT') throw error;
  }
  renameSync(building, target);
  rmSync(old, { recursive: true, force: true });
}

// One line when something was built, nothing when all was up to date, a failure said in full:
// `npm start` runs this before its banner.
const began = Date.now();
const built = [];
if (force || outRoot !== root || !compiledIsFresh(root)) {
  await buildServer();
  built.push('serveur');
}
// Where build-web.mjs writes (REMPART_WEB_DIST moves it), and the stamp it leaves there when it builds.
const webDist =
  outRoot !== root ? join(outRoot, 'web', 'dist') : resolve(process.env.REMPART_WEB_DIST || join(root, 'web', 'dist'));
const webStamp = join(webDist, '.built');
const stampedAt = () => {
  try {
    return statSync(webStamp).mtimeMs;
  } catch {
    return 0;
  }
};
const before = stampedAt();
const web = spawnSync(
  process.execPath,
  [join(root, 'scripts', 'build-web.mjs'), '--quiet', ...(force ? ['--force'] : [])],
  {
    stdio: 'inherit',
    env: { ...process.env, REMPART_WEB_DIST: webDist },
  },
);
if (web.status !== 0) process.exit(web.status ?? 1);
if (stampedAt() !== before) built.push('interface web');
if (built.length > 0)
  process.stdout.write(
    `Construit (${((Date.now() - began) / 1000).toFixed(1).replace('.', ',')} s) : ${built.join(' et ')}${outRoot === root ? '' : `, dans ${outRoot}`}.\n`,
  );
