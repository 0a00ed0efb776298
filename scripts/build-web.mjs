#!/usr/bin/env node
// Builds the web application (web/ → web/dist) with Vite, unless it is already up to date:
// `npm start` runs this first, so `npm install && npm start` serves the interface.
// `--force` rebuilds whatever the dates say.
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
if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= sources) {
  process.stdout.write(`Interface web à jour (${outDir}).\n`);
  process.exit(0);
}

process.stdout.write('Construction de l’interface web (Vite)…\n');
const started = Date.now();
const { build } = await import('vite');
await build({ configFile: join(web, 'vite.config.ts'), logLevel: 'warn', build: { outDir } });
writeFileSync(stamp, new Date().toISOString() + '\n');
process.stdout.write(`Interface web construite en ${((Date.now() - started) / 1000).toFixed(1)} s (${outDir}).\n`);
