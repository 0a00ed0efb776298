#!/usr/bin/env bash
# A backup of a Rempart store, taken while the service runs (docs/deployment.md, « Backup and
# restore »): into a new folder <out>/rempart-backup-<UTC time>/
#   - store.pgdump   PostgreSQL: pg_dump --format=custom of the store's schema and of the job
#                    queue's (`rempart_jobs`, or `<schema>_jobs` for a store in another schema),
#                    one snapshot;
#     store.sqlite   SQLite: SQLite's online backup (the sqlite3 command's `.backup`, or
#                    better-sqlite3's db.backup() when the command is not installed);
#   - ledger-witness.json  a copy of the ledger's witness file (REMPART_LEDGER_WITNESS_FILE),
#                    taken BEFORE the store, so the store in the backup holds that checkpoint or
#                    a later one;
#   - manifest.txt   date, sizes, SHA-256 of each file, the witnessed checkpoint's size.
# Never the keyring: it is backed up separately, offline (a file that is a keyring is refused).
#
# Usage: scripts/backup.sh [--out DIR] [--schema NAME]
#   --out DIR      where the backup folder is made (default ./backups)
#   --schema NAME  PostgreSQL: the store's schema (default: the current schema DATABASE_URL gives)
# The service's own environment: DATABASE_URL (postgres://…, else the SQLite file, by default
# <data>/rempart.sqlite), REMPART_DATA_DIR (./data), REMPART_LEDGER_WITNESS_FILE
# (<data>/ledger-witness.json), REMPART_KEYRING_FILE (only to make sure it is left out).
# REMPART_BACKUP_SQLITE=sqlite3|node chooses the SQLite method instead of the default.
# Exit codes: 0 done, 1 failure, 2 bad usage or refused (the keyring).
set -euo pipefail
umask 077

say() { printf '[backup %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() {
  printf '[backup] ERROR: %s\n' "$*" >&2
  exit 1
}
refuse() {
  printf '[backup] REFUSED: %s\n' "$*" >&2
  exit 2
}
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

out="./backups"
schema=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --schema) schema="${2:?--schema needs a name}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; refuse "unknown argument: $1" ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
abspath() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
data_dir="$(abspath "${REMPART_DATA_DIR:-./data}")"
database="${DATABASE_URL:-$data_dir/rempart.sqlite}"
witness="$(abspath "${REMPART_LEDGER_WITNESS_FILE:-$data_dir/ledger-witness.json}")"
keyring_file="$(abspath "${REMPART_KEYRING_FILE:-$data_dir/keyring.dev.json}")"

# Never the keyring, whatever the settings say: by path, and by what the file holds.
same_file() { [ -e "$1" ] && [ -e "$2" ] && [ "$(realpath "$1")" = "$(realpath "$2")" ]; }
is_keyring() { [ -f "$1" ] && grep -aq '"format"[[:space:]]*:[[:space:]]*"rempart-keyring/' < <(head -c 65536 "$1"); }
refuse_keyring() {
  if same_file "$1" "$keyring_file" || is_keyring "$1"; then
    refuse "$1 is a keyring: the keyring is never put in a backup. Back it up separately, offline (docs/deployment.md, « The keyring »)."
  fi
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }
size_of() { stat -c %s "$1"; }
redact() { printf '%s\n' "$1" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#'; }

# The witness file's checkpoint: its size and time (top-level fields, as the service writes them).
witness_field() {
  if command -v node >/dev/null 2>&1; then
    FILE="$1" FIELD="$2" node -e '
      const r = JSON.parse(require("fs").readFileSync(process.env.FILE, "utf8"));
      const v = r[process.env.FIELD];
      process.stdout.write(v === undefined ? "" : String(v));'
  else
    sed -n -E "s/^  \"$2\": \"?([^\",]*)\"?,?\$/\\1/p" "$1" | head -n 1
  fi
}

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
dest="$(cd "$out" && pwd)/rempart-backup-$stamp"
mkdir "$dest" || die "$dest already exists"
done_ok=""
trap '[ -n "$done_ok" ] || { rm -rf "$dest"; printf "[backup] incomplete backup removed: %s\n" "$dest" >&2; }' EXIT

say "backup folder: $dest"
say "keyring: NOT included — it is backed up separately, offline, in two places (docs/deployment.md)"
if [ -e "$keyring_file" ]; then
  case "$(realpath "$keyring_file")/" in
    "$(realpath "$data_dir" 2>/dev/null || echo "$data_dir")"/*)
      say "WARNING: the keyring file $keyring_file is inside the data folder $data_dir: a copy of that folder would carry it (this backup does not). In production it belongs outside the data folder and its backups." ;;
  esac
fi

# 1. The witness first: the store dumped afterwards holds its checkpoint or a later one.
witness_size="none"
witness_at="none"
if [ -e "$witness" ]; then
  refuse_keyring "$witness"
  cp -p "$witness" "$dest/ledger-witness.json"
  witness_size="$(witness_field "$dest/ledger-witness.json" size || true)"
  witness_at="$(witness_field "$dest/ledger-witness.json" at || true)"
  [ -n "$witness_size" ] || die "$witness is not a ledger witness file (no checkpoint size in it)"
  say "ledger witness copied from $witness: checkpoint of $witness_size events (signed $witness_at)"
else
  say "WARNING: no ledger witness file at $witness: the backup carries none"
fi

store_checkpoint="none"
if [[ "$database" =~ ^postgres(ql)?:// ]]; then
  kind="postgresql"
  command -v pg_dump >/dev/null || die "pg_dump is not installed (apt-get install postgresql-client)"
  command -v psql >/dev/null || die "psql is not installed (apt-get install postgresql-client)"
  q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$database" "$@"; }
  if [ -z "$schema" ]; then
    schema="$(q -c 'select current_schema()')"
    [ -n "$schema" ] || die "DATABASE_URL gives no current schema (its search_path names none that exists): say which with --schema"
  fi
  [[ "$schema" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || refuse "invalid schema name: $schema"
  if [ "$schema" = public ]; then jobs_schema="rempart_jobs"; else jobs_schema="${schema}_jobs"; fi
  [ "$(q -c "select to_regclass('${schema}.ledger_checkpoints') is not null")" = t ] ||
    die "schema $schema of $(redact "$database") holds no Rempart store (no ledger_checkpoints table)"
  jobs_present="$(q -c "select count(*) from pg_namespace where nspname = '${jobs_schema}'")"
  store_checkpoint="$(q -c "select coalesce(max(size), 0) from ${schema}.ledger_checkpoints")"
  say "store: PostgreSQL $(redact "$database"), schema $schema; newest signed checkpoint $store_checkpoint events"
  schemas=(-n "$schema")
  if [ "$jobs_present" = 1 ]; then
    schemas+=(-n "$jobs_schema")
    jobs_note="$jobs_schema (included)"
    say "job queue: schema $jobs_schema, in the same snapshot"
  else
    jobs_note="$jobs_schema (absent: no server has run its jobs on this store)"
    say "job queue: schema $jobs_schema absent (no server has run its jobs here): nothing to add"
  fi
  say "pg_dump --format=custom ..."
  started=$SECONDS
  pg_dump --format=custom --lock-wait-timeout=60000 "${schemas[@]}" --file "$dest/store.pgdump" -d "$database"
  listing="$(pg_restore --list "$dest/store.pgdump")" || die "pg_restore cannot read the archive just written"
  entries="$(grep -c ' TABLE DATA ' <<<"$listing" || true)"
  say "pg_dump done in $((SECONDS - started)) s: $(size_of "$dest/store.pgdump") bytes, $entries tables with data; the archive reads back (pg_restore --list)"
  files=(store.pgdump)
  store_line="$(redact "$database")"
else
  kind="sqlite"
  db_file="$(abspath "$database")"
  [ -f "$db_file" ] || die "SQLite store not found: $db_file"
  refuse_keyring "$db_file"
  method="${REMPART_BACKUP_SQLITE:-}"
  if [ -z "$method" ]; then
    if command -v sqlite3 >/dev/null; then method=sqlite3; else method=node; fi
  fi
  module="$root/node_modules/better-sqlite3"
  sqlite_node() {
    MODULE="$module" SOURCE="$1" SQL="$2" node -e '
      const Database = require(process.env.MODULE);
      const db = new Database(process.env.SOURCE, { readonly: true, fileMustExist: true });
      const row = db.prepare(process.env.SQL).raw().get();
      process.stdout.write(row === undefined || row[0] === null ? "" : String(row[0]));
      db.close();'
  }
  sqlite_query() {
    if command -v sqlite3 >/dev/null && [ "$method" = sqlite3 ]; then sqlite3 -readonly "$1" "$2"; else sqlite_node "$1" "$2"; fi
  }
  say "store: SQLite $db_file (method: $method)"
  started=$SECONDS
  case "$method" in
    sqlite3)
      command -v sqlite3 >/dev/null || die "REMPART_BACKUP_SQLITE=sqlite3 but the sqlite3 command is not installed"
      # The online backup API, page by page: consistent while the service writes (WAL).
      (cd "$dest" && sqlite3 "$db_file" ".timeout 10000" ".backup store.sqlite")
      ;;
    node)
      command -v node >/dev/null || die "neither the sqlite3 command nor node is available"
      [ -d "$module" ] || die "better-sqlite3 not found in $root/node_modules"
      MODULE="$module" SOURCE="$db_file" DEST="$dest/store.sqlite" node -e '
        const Database = require(process.env.MODULE);
        if (typeof Database.prototype.backup !== "function") { console.error("better-sqlite3 has no backup()"); process.exit(1); }
        const db = new Database(process.env.SOURCE, { fileMustExist: true });
        db.pragma("busy_timeout = 10000");
        let last = 0;
        db.backup(process.env.DEST, {
          progress({ totalPages, remainingPages }) {
            const done = totalPages - remainingPages;
            if (done - last >= 25000 || remainingPages === 0) { last = done; console.log(`[backup] ${done}/${totalPages} pages`); }
            return 1000;
          },
        }).then(() => db.close(), (error) => { console.error(error.message); process.exit(1); });'
      ;;
    *) refuse "REMPART_BACKUP_SQLITE must be sqlite3 or node, not $method" ;;
  esac
  # One self-contained file: the copy leaves WAL mode (Rempart sets it again when it opens the store).
  if [ "$method" = sqlite3 ]; then
    sqlite3 "$dest/store.sqlite" 'pragma journal_mode = delete' >/dev/null
  else
    MODULE="$module" SOURCE="$dest/store.sqlite" node -e '
      const db = new (require(process.env.MODULE))(process.env.SOURCE, { fileMustExist: true });
      db.pragma("journal_mode = delete");
      db.close();'
  fi
  [ ! -e "$dest/store.sqlite-wal" ] || die "the copy kept a write-ahead log ($dest/store.sqlite-wal)"
  integrity="$(sqlite_query "$dest/store.sqlite" 'pragma integrity_check')"
  [ "$integrity" = ok ] || die "the copy fails SQLite's integrity check: $integrity"
  store_checkpoint="$(sqlite_query "$dest/store.sqlite" 'select coalesce(max(size), 0) from ledger_checkpoints')"
  say "SQLite backup done in $((SECONDS - started)) s: $(size_of "$dest/store.sqlite") bytes, integrity_check ok; newest signed checkpoint in the copy $store_checkpoint events"
  files=(store.sqlite)
  store_line="$db_file"
  schema="-"
  jobs_note="- (SQLite: jobs run in each process)"
fi
[ -e "$dest/ledger-witness.json" ] && files+=(ledger-witness.json)

# Nothing in the folder may be a keyring, whatever happened above.
for f in "${files[@]}"; do refuse_keyring "$dest/$f"; done

{
  echo "# Rempart backup manifest: restore it with scripts/restore.sh, which checks every line below first."
  echo "format: rempart-backup/1"
  echo "created: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(hostname)"
  echo "store: $kind"
  echo "source: $store_line"
  echo "schema: $schema"
  echo "jobs_schema: $jobs_note"
  echo "witness_source: $witness"
  echo "witness_checkpoint_size: $witness_size"
  echo "witness_checkpoint_at: $witness_at"
  echo "store_checkpoint_size: $store_checkpoint"
  echo "keyring: not included (backed up separately, offline)"
  for f in "${files[@]}"; do echo "file: $f $(size_of "$dest/$f") $(sha256 "$dest/$f")"; done
} >"$dest/manifest.txt"
sync -f "$dest" 2>/dev/null || sync
for f in "${files[@]}"; do say "  $f  $(size_of "$dest/$f") bytes  sha256 $(sha256 "$dest/$f")"; done
say "manifest: $dest/manifest.txt (sha256 $(sha256 "$dest/manifest.txt"))"
say "done: $dest"
say "reminder: the keyring is not in this backup; without the keyring (the same one, or a later one after 'keys rotate') this backup cannot be read"
done_ok=1
