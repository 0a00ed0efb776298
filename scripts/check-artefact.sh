#!/usr/bin/env bash
# The deployable artefact, checked as production gets it: `npm run build` into a folder of its
# own, with package.json, package-lock.json and the rest of package.json's `files` (bin/, the
# build script `npm start` runs first); `npm ci --omit=dev` there; then the server started on a
# fresh data folder: `--help` runs, the demo (`npm start`) is refused with its clear message (its
# generator is a development dependency), `rempart start` serves /api/health and the web application.
# The checkout's own dist/ and web/dist/ are left alone (the test suite may be using them).
#
# CI runs it beside the test suite (.ci/run); by hand: `npm run check:artefact`. It needs what
# `npm ci` needs (the npm registry; better-sqlite3 is compiled: set npm_config_nodedir to the
# running Node's headers, as .ci/run does). REMPART_ARTEFACT_KEEP=1 keeps the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout="$PWD"

work="$(mktemp -d "${TMPDIR:-/tmp}/rempart-artefact.XXXXXX")"
app="$work/app"
data="$work/data"
server_pid=""
stop_server() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
cleanup() {
  if [ -n "$server_pid" ]; then stop_server; fi
  if [ "${REMPART_ARTEFACT_KEEP:-}" = 1 ]; then echo "artefact kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# The artefact's own settings only: a SQLite store in the data folder, its development keyring.
unset DATABASE_URL REMPART_KEYRING REMPART_KEYRING_FILE REMPART_WEB_DIST REMPART_DEMO_PERSONS PORT
export REMPART_DATA_DIR="$data" HOST=127.0.0.1

echo "Node $(node --version), npm $(npm --version); folder $work"

t=$(now)
npm run --silent build -- --out "$app"
echo "build: $(since "$t")"

mkdir -p "$app"
cp package.json package-lock.json "$app/"
# package.json's `files` is the artefact; what the build did not write comes from the checkout.
while IFS= read -r entry; do
  entry="${entry%/}"
  if [ ! -e "$app/$entry" ]; then
    mkdir -p "$(dirname "$app/$entry")"
    cp -R "$checkout/$entry" "$app/$entry"
  fi
done < <(node -p "require('./package.json').files.join('\n')")
[ ! -e "$app/src" ] || fail "the artefact must not carry src/"
echo "artefact: $(du -sh --exclude=node_modules "$app" | cut -f1) ($(cd "$app" && echo *))"

t=$(now)
(cd "$app" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
echo "npm ci --omit=dev: $(since "$t"), node_modules $(du -sh "$app/node_modules" | cut -f1)"
for dev in tsx vite esbuild @faker-js/faker react typescript; do
  [ ! -e "$app/node_modules/$dev" ] || fail "development dependency $dev installed by npm ci --omit=dev"
done

cd "$app"
t=$(now)
node bin/rempart.js --help >"$work/help.txt" || fail "rempart --help: exit $?"
grep -q '^  start ' "$work/help.txt" || fail "rempart --help does not list start"
echo "rempart --help: $(since "$t")"

# `npm start` (the README's, `start --demo`) needs the demo's generator (@faker-js/faker, a
# development dependency): here it runs the build script (nothing to build without src/), then is
# refused with the message that names the way out.
mkdir -p "$data"
status=0
REMPART_DEMO_PERSONS=50 PORT=0 npm start --silent >"$work/demo.out" 2>&1 || status=$?
if [ "$status" -eq 0 ] || ! grep -q 'npm ci --omit=dev' "$work/demo.out"; then
  cat "$work/demo.out" >&2
  fail "npm start (--demo) without the demo generator: expected the failure naming the missing generator (got exit $status)"
fi
echo "npm start (demo): refused without @faker-js/faker, as expected"

t=$(now)
PORT=0 node bin/rempart.js start >"$work/server.out" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 1 240); do
  url="$(sed -n 's/^Rempart écoute sur \(http:[^ ]*\)$/\1/p' "$work/server.out")"
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.5
done
if [ -z "$url" ]; then
  cat "$work/server.out" >&2
  fail "rempart start did not print its address"
fi
echo "rempart start: listening on $url after $(since "$t")"
health="$(curl -sS -o "$work/health.json" -w '%{http_code}' "$url/api/health")" || true
[ "$health" = 200 ] || fail "/api/health answered $health: $(cat "$work/health.json" 2>/dev/null)"
echo "/api/health: 200 $(cat "$work/health.json")"
page="$(curl -sS -o "$work/index.html" -w '%{http_code}' "$url/")" || true
[ "$page" = 200 ] && grep -q '/assets/' "$work/index.html" || fail "/ answered $page without the built application"
echo "/: 200, the built web application"

stop_server
for _ in $(seq 1 20); do curl -s -o /dev/null "$url/api/health" || break; sleep 0.5; done
! curl -s -o /dev/null "$url/api/health" || fail "the server still answers after SIGTERM"
echo "artefact check passed"
