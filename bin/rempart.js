#!/usr/bin/env node
// The command line. It runs the compiled server (dist/, `npm run build`; `npm start` builds it
// when stale) when dist/ is up to date with the sources, and the deployed artefact, which has no
// sources, always. A checkout whose dist/ is missing or older than src/ (sources being edited,
// a fresh clone, the tests) runs the TypeScript sources through tsx instead: same behaviour,
// slower to start. Nothing is built here: a build belongs to `npm run build` and `npm start`,
// not to every spawn of a test.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMPILED_MAIN, compiledIsFresh, hasSources } from './build-state.js';

const root = join(import.meta.dirname, '..');

if (!hasSources(root) || compiledIsFresh(root)) {
  const main = join(root, COMPILED_MAIN);
  if (!existsSync(main)) {
    process.stderr.write(`Serveur compilé introuvable (${main}) : construisez-le avec \`npm run build\`.\n`);
    process.exit(1);
  }
  // Stack traces name the TypeScript sources' lines (dist/ carries source maps).
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(main).href);
} else {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    process.stderr.write(
      'dist/ est absent ou plus ancien que src/, et tsx (dépendance de développement) manque pour lancer les sources :\n' +
        'construisez le serveur (`npm install && npm run build`), ou déployez un artefact construit.\n',
    );
    process.exit(1);
  }
  tsx.register();
  await import('../src/cli/main.ts');
}
