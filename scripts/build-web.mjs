#!/usr/bin/env node
// Builds the web application (web/ → web/dist) with Vite, unless it is already up to date:
// `npm start` runs this first, so `npm install && npm start` serves the interface.
// `--force` rebuilds whatever the dates say; `--quiet` (scripts/build.mjs) prints nothing but a failure.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const web = join(root, 'web');
// REMPART_WEB_DIST moves the output (the server reads the same variable).
const outDir = process.env.REMPART_WEB_DIST ? resolve(process.env.REMPART_WEB_DIST) : join(web, 'dist');
const stamp = join(outDir, '.built');

function newest(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'dist') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

// The interface imports the domain's field classes and labels (src/domain), the ledger's proof
// checker (src/ledger/proof-check.ts) and the platform's abilities table (src/policy/abilities.ts),
// the server's own: a change there rebuilds it too.
const sources = Math.max(
  newest(web),
  newest(join(root, 'src', 'domain')),
  newest(join(root, 'src', 'ledger', 'proof-check.ts')),
  newest(join(root, 'src', 'policy', 'abilities.ts')),
  newest(join(root, 'package-lock.json')),
);
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');
const say = (line) => quiet || process.stdout.write(`${line}\n`);
if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= sources) {
  say(`Interface web à jour (${outDir}).`);
  process.exit(0);
}

const started = Date.now();
const { build } = await import('vite');
try {
  // Vite says nothing but its warnings and errors (no timings, no table of the files written).
  await build({
    configFile: join(web, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, reportCompressedSize: false },
  });
} catch (error) {
  process.stderr.write(
    `Construction de l’interface web en échec (Vite) : ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
writeFileSync(stamp, new Date().toISOString() + '\n');
say(`Interface web construite (${((Date.now() - started) / 1000).toFixed(1).replace('.', ',')} s, ${outDir}).`);
