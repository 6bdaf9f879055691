#!/usr/bin/env bash
# Developer convenience (not used by the harness): a throwaway cluster (same
# server settings as the harness's local cluster) and a
# database rebuilt from shim + sql/ + policies/, for hacking on SQL by hand.
#   scripts/dev-db.sh start DIR        # initdb + start a cluster on a unix socket in DIR
#   scripts/dev-db.sh rebuild DIR DB   # drop/create DB, apply shim, sql/*, policies/*, pgtap
#   scripts/dev-db.sh prove DIR DB FILES...   # rebuild, then run pgTAP FILES with pg_prove
#   scripts/dev-db.sh stop DIR
set -euo pipefail
cmd=$1; dir=$2
bin=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$bin/initdb" ] || bin=/usr/lib/postgresql/15/bin
root=$(cd "$(dirname "$0")/.." && pwd)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psqlx() { psql -h "$dir" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
case "$cmd" in
  start)
    mkdir -p "$dir"; [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB -c work_mem=16MB -c maintenance_work_mem=256MB -c max_wal_size=4GB -c checkpoint_timeout=30min -c jit=off -c max_locks_per_transaction=256" start >/dev/null
    echo "started: psql -h $dir -U postgres" ;;
  stop) as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null; rm -rf "$dir" ;;
  rebuild|prove)
    db=$3
    psqlx -d postgres -c "drop database if exists \"$db\"" -c "create database \"$db\""
    files=("$root/src/postgres/supabase-shim.sql")
    for f in "$root"/sql/*.sql; do files+=("$f"); done
    for f in "$root"/policies/*.sql; do [ -e "$f" ] && files+=("$f"); done
    for f in "${files[@]}"; do psqlx -d "$db" -f "$f"; done
    psqlx -d "$db" -c "create extension if not exists pgtap schema extensions"
    if [ "$cmd" = prove ]; then shift 3; PGOPTIONS='-c search_path=public,extensions' pg_prove -h "$dir" -U postgres -d "$db" "$@"; fi ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
