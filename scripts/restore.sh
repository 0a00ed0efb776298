#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh (docs/deployment.md, « Backup and restore »).
#
# Usage: scripts/restore.sh BACKUP_FOLDER --target TARGET [--schema NAME] [--no-owner]
#   TARGET        PostgreSQL: a postgres:// URL of the database to restore into; the schema
#                 (the backup's own name, or --schema) must not exist or be empty, and so must
#                 the job queue's beside it. SQLite: the path of the store file to create; it
#                 must not exist.
#   --schema NAME PostgreSQL: restore into this schema instead of the backup's (a restore drill
#                 beside the live store); the job queue's schema follows (`rempart_jobs` for
#                 `public`, `<NAME>_jobs` otherwise).
#   --no-owner    PostgreSQL: the restored objects belong to the connecting role instead of the
#                 roles named in the backup (another cluster, other role names).
# Every file is checked against manifest.txt (size and SHA-256) before anything is written; a
# PostgreSQL restore is one transaction (on failure the target is left as it was). The keyring is
# not in the backup: the next steps printed at the end say what to do with it and with the
# ledger's witness file.
# Exit codes: 0 restored, 1 failure or refused (damaged backup, target not empty), 2 bad usage.
set -euo pipefail
umask 077

say() { printf '[restore %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() {
  printf '[restore] ERROR: %s\n' "$*" >&2
  exit 1
}
refuse() {
  printf '[restore] REFUSED: %s\n' "$*" >&2
  exit 1
}
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}
bad_usage() {
  usage >&2
  printf '[restore] %s\n' "$*" >&2
  exit 2
}

backup=""
target=""
schema=""
no_owner=""
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="${2:-}"; shift 2 || bad_usage "--target needs a value" ;;
    --schema) schema="${2:-}"; shift 2 || bad_usage "--schema needs a value" ;;
    --no-owner) no_owner=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) bad_usage "unknown option: $1" ;;
    *) [ -z "$backup" ] || bad_usage "one backup folder only"; backup="$1"; shift ;;
  esac
done
[ -n "$backup" ] || bad_usage "which backup folder?"
[ -n "$target" ] || bad_usage "--target is required (a postgres:// URL or a SQLite file path)"
[ -d "$backup" ] || die "not a folder: $backup"
backup="$(cd "$backup" && pwd)"
manifest="$backup/manifest.txt"
[ -f "$manifest" ] || refuse "$manifest is missing: not a backup made by scripts/backup.sh"

field() { sed -n -E "s/^$1: (.*)\$/\\1/p" "$manifest" | head -n 1; }
[ "$(field format)" = "rempart-backup/1" ] || refuse "$manifest: unknown format \"$(field format)\" (expected rempart-backup/1)"
kind="$(field store)"
say "backup $backup: $kind store, made $(field created) on $(field host)"

# 1. Every file as the manifest says, before anything is written.
listed=0
while read -r name size hash; do
  listed=$((listed + 1))
  case "$name" in */* | .* | "") refuse "$manifest names an unexpected file: \"$name\"" ;; esac
  file="$backup/$name"
  [ -f "$file" ] || refuse "$name is listed in the manifest but missing from $backup"
  actual_size="$(stat -c %s "$file")"
  [ "$actual_size" = "$size" ] ||
    refuse "$name: $actual_size bytes, the manifest says $size: the backup is damaged or was altered; nothing was restored"
  actual_hash="$(sha256sum "$file" | cut -d' ' -f1)"
  [ "$actual_hash" = "$hash" ] ||
    refuse "$name: SHA-256 $actual_hash, the manifest says $hash: the backup is damaged or was altered; nothing was restored"
  say "checked $name ($size bytes, sha256 matches)"
done < <(sed -n -E 's/^file: //p' "$manifest")
[ "$listed" -gt 0 ] || refuse "$manifest lists no file"
for file in "$backup"/*; do
  name="$(basename "$file")"
  [ "$name" = manifest.txt ] || grep -q "^file: $name " "$manifest" || say "WARNING: $name is in the folder but not in the manifest: ignored"
done
witness_size="$(field witness_checkpoint_size)"

restored_checkpoint=""
if [ "$kind" = postgresql ]; then
  [[ "$target" =~ ^postgres(ql)?:// ]] || refuse "this backup is of a PostgreSQL store: --target must be a postgres:// URL"
  [ -f "$backup/store.pgdump" ] || refuse "store.pgdump is missing"
  for tool in pg_restore psql perl; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
  source_schema="$(field schema)"
  [[ "$source_schema" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || refuse "$manifest: invalid schema \"$source_schema\""
  schema="${schema:-$source_schema}"
  [[ "$schema" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || bad_usage "invalid schema name: $schema"
  jobs_of() { if [ "$1" = public ]; then echo rempart_jobs; else echo "${1}_jobs"; fi; }
  source_jobs="$(jobs_of "$source_schema")"
  jobs_schema="$(jobs_of "$schema")"
  contents="$(pg_restore --list "$backup/store.pgdump")" || refuse "store.pgdump is not a pg_dump archive pg_restore can read"
  with_jobs=""
  grep -q " SCHEMA - $source_jobs " <<<"$contents" && with_jobs=1
  [ "$source_schema" = public ] || grep -q " SCHEMA - $source_schema " <<<"$contents" ||
    refuse "store.pgdump holds no schema $source_schema"
  q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$target" "$@"; }
  redacted="$(printf '%s\n' "$target" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#')"
  # An empty schema: nothing in it but what PostgreSQL makes for every schema.
  objects_in() {
    q -c "select coalesce((select (select count(*) from pg_class where relnamespace = n.oid)
                              + (select count(*) from pg_proc where pronamespace = n.oid)
                              + (select count(*) from pg_type where typnamespace = n.oid and typrelid = 0 and typcategory <> 'A')
                           from pg_namespace n where nspname = '$1'), -1)"
  }
  for s in "$schema" ${with_jobs:+"$jobs_schema"}; do
    n="$(objects_in "$s")" || die "cannot query $redacted (above)"
    if [ "$n" -gt 0 ]; then
      refuse "schema $s of $redacted is not empty ($n objects): a restore goes only into an empty schema or a new database; nothing was restored"
    fi
    if [ "$n" = -1 ]; then say "target schema $s: absent, created by the restore"; else say "target schema $s: exists, empty"; fi
  done
  if [ "$schema" != "$source_schema" ]; then
    say "restoring schema $source_schema as $schema${with_jobs:+, $source_jobs as $jobs_schema}"
  fi
  say "restoring into $redacted, schema $schema, in one transaction ..."
  started=$SECONDS
  # pg_restore writes the SQL; the schema names are changed outside the rows' data (COPY blocks
  # are passed through untouched); psql runs it all in one transaction, stopping at the first error.
  pg_restore ${no_owner:+--no-owner} --file - "$backup/store.pgdump" |
    FROM_STORE="$source_schema" TO_STORE="$schema" FROM_JOBS="$source_jobs" TO_JOBS="$jobs_schema" perl -pe '
      BEGIN { ($fs, $ts, $fj, $tj) = @ENV{qw(FROM_STORE TO_STORE FROM_JOBS TO_JOBS)}; $copy = 0 }
      if ($copy) { $copy = 0 if $_ eq "\\.\n"; next }
      next if /^\\(un)?restrict /;
      if ($fs ne $ts) {
        s/(?<![A-Za-z0-9_\$"])\Q$fs\E(?![A-Za-z0-9_\$])/$ts/g;
        s/(?<![A-Za-z0-9_\$"])\Q$fj\E(?![A-Za-z0-9_\$])/$tj/g;
      }
      s/^CREATE SCHEMA (\S+);$/CREATE SCHEMA IF NOT EXISTS $1;/;
      $copy = 1 if /^COPY .* FROM stdin;$/;
    ' |
    q --single-transaction -o /dev/null -f - ||
    die "the restore failed (above); the transaction was rolled back: $redacted is as it was"
  say "restored in $((SECONDS - started)) s"
  tables="$(q -c "select count(*) from pg_tables where schemaname = '$schema'")"
  say "ANALYZE of the $tables restored tables (the planner has no statistics after a restore) ..."
  printf '%s\n' "select format('ANALYZE %I.%I', schemaname, tablename) from pg_tables where schemaname in ('$schema', '$jobs_schema') \\gexec" |
    q -o /dev/null -f -
  restored_checkpoint="$(q -c "select coalesce(max(size), 0) from ${schema}.ledger_checkpoints")"
  persons="$(q -c "select count(*) from ${schema}.persons")"
  events="$(q -c "select count(*) from ${schema}.ledger_events")"
  say "restored store: $persons persons, $events ledger events, newest signed checkpoint $restored_checkpoint events"
  if [ "$schema" = public ]; then
    where="DATABASE_URL=$redacted (schema public; job queue rempart_jobs)"
  else
    where="DATABASE_URL=$redacted whose current schema is $schema (the role's search_path, or ?options=-c%20search_path%3D$schema); job queue $jobs_schema"
  fi
elif [ "$kind" = sqlite ]; then
  [[ "$target" =~ ^postgres(ql)?:// ]] && refuse "this backup is of a SQLite store: --target must be a file path"
  [ -f "$backup/store.sqlite" ] || refuse "store.sqlite is missing"
  case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
  for f in "$target" "$target-wal" "$target-shm" "$target-journal"; do
    [ ! -e "$f" ] || refuse "$f exists: a SQLite restore creates a new file and never overwrites one; nothing was restored"
  done
  mkdir -p "$(dirname "$target")"
  partial="$target.restoring.$$"
  trap 'rm -f "$partial"' EXIT
  cp "$backup/store.sqlite" "$partial"
  sync "$partial"
  root="$(cd "$(dirname "$0")/.." && pwd)"
  sqlite_query() {
    if command -v sqlite3 >/dev/null; then
      sqlite3 -readonly "$1" "$2"
    else
      MODULE="$root/node_modules/better-sqlite3" SOURCE="$1" SQL="$2" node -e '
        const db = new (require(process.env.MODULE))(process.env.SOURCE, { readonly: true, fileMustExist: true });
        const row = db.prepare(process.env.SQL).raw().get();
        process.stdout.write(row === undefined || row[0] === null ? "" : String(row[0]));
        db.close();'
    fi
  }
  integrity="$(sqlite_query "$partial" 'pragma integrity_check')"
  [ "$integrity" = ok ] || die "the backup's SQLite file fails the integrity check: $integrity"
  mv -n "$partial" "$target"
  [ ! -e "$partial" ] || refuse "$target appeared meanwhile; nothing was restored"
  restored_checkpoint="$(sqlite_query "$target" 'select coalesce(max(size), 0) from ledger_checkpoints')"
  persons="$(sqlite_query "$target" 'select count(*) from persons')"
  say "restored $target (integrity_check ok): $persons persons, newest signed checkpoint $restored_checkpoint events"
  where="DATABASE_URL=$target (or REMPART_DATA_DIR whose rempart.sqlite it is)"
else
  refuse "$manifest: unknown store \"$kind\""
fi

if [ "$witness_size" != none ] && [ -n "$restored_checkpoint" ] && [ "$restored_checkpoint" -lt "$witness_size" ]; then
  die "the restored store's newest checkpoint ($restored_checkpoint events) is older than the backup's copy of the witness ($witness_size): this backup is inconsistent"
fi

# 2. What the operator does next.
# The witness file this shell's settings name, if it is on this machine: what `rempart start` will compare.
data_dir="${REMPART_DATA_DIR:-./data}"
live_witness="${REMPART_LEDGER_WITNESS_FILE:-$data_dir/ledger-witness.json}"
live_note="    (No witness file at $live_witness on this machine: look on the service's hosts.)"
if [ -f "$live_witness" ]; then
  live_size="$(sed -n -E 's/^  "size": ([0-9]+),?$/\1/p' "$live_witness" | head -n 1)"
  if [ -n "$live_size" ] && [ "$live_size" -gt "$restored_checkpoint" ]; then
    live_note="    Here, $live_witness holds a checkpoint of $live_size events and the restored store's newest
    is $restored_checkpoint: \`rempart start\` will refuse it until the file is moved aside."
  elif [ -n "$live_size" ]; then
    live_note="    Here, $live_witness holds a checkpoint of $live_size events and the restored store's newest
    is $restored_checkpoint: the sizes do not stop the start (\`ledger verify\` checks that the store extends it)."
  else
    live_note="    Here, $live_witness is not a readable witness file: \`rempart start\` will refuse until it is moved aside."
  fi
fi
if [ -f "$backup/ledger-witness.json" ]; then
  optional_copy="      - optionally, put the backup's copy in its place (the restored store must extend it):
          cp $backup/ledger-witness.json <witness file>"
else
  optional_copy="      (the backup holds no copy of the witness file: the first start writes a new one)"
fi
cat <<EOF

Restored: $where
Backup: $backup
  witness copy in the backup: checkpoint of $witness_size events; restored store: newest signed checkpoint $restored_checkpoint events.

Before any Rempart process runs on it:

 1. KEYRING. Put the keyring in place (REMPART_KEYRING_FILE, a file of mode 0600 outside the data
    folder, or REMPART_KEYRING): the offline copy, the same keyring or a later one (after
    \`rempart keys rotate\` it holds every older version). It is not in the backup. Without it,
    or with another one, every command stops with « Trousseau de clés inutilisable » (exit 3).

 2. DECLARE THE RESTORE. The running service kept its newest checkpoint outside the database, in
    its ledger witness file (REMPART_LEDGER_WITNESS_FILE, default <data>/ledger-witness.json),
    most likely newer than this backup. Then \`rempart start\` refuses the restored store
    (« DÉMARRAGE REFUSÉ — journal des accès : retour en arrière ») and, as that message asks, the
    restore is declared. On every host whose processes keep a witness file:
      - keep the file first, as evidence of what the restore took away (with the incident record):
          cp -p <witness file> <evidence folder>/ledger-witness.before-restore.json
      - then move it out of the data folder:
          mv <witness file> <folder outside the data folder>/
$optional_copy
$live_note
    If REMPART_LEDGER_WITNESS_URL is set, the external witness also holds the newer checkpoint and
    refuses this store whatever the file says: see docs/deployment.md, « Backup and restore ».

 3. VERIFY, with the service's settings (DATABASE_URL, keyring, witness file) pointed at the
    restored store:
      npx rempart ledger verify
    It must end with « Journal intègre » (exit 0). Then start the service.
EOF
