#!/usr/bin/env bash
# Installs the system packages the harness needs when they are missing:
# PostgreSQL 15 server binaries, pgTAP, and Chromium (for the report's browser
# test). Uses apt as root, or sudo when it works without a password; otherwise
# prints what to install and fails.
set -euo pipefail
PG_MAJOR=${PG_MAJOR:-15}
want=()
bindir=/usr/lib/postgresql/$PG_MAJOR/bin
[ -x "$bindir/postgres" ] && [ -x "$bindir/initdb" ] || want+=("postgresql-$PG_MAJOR")
[ -f "/usr/share/postgresql/$PG_MAJOR/extension/pgtap.control" ] || want+=("postgresql-$PG_MAJOR-pgtap")
command -v psql >/dev/null 2>&1 || want+=("postgresql-client-$PG_MAJOR")
if [ "${SCHEMAPROOF_SKIP_BROWSER:-0}" != 1 ]; then
  command -v chromium >/dev/null 2>&1 || want+=(chromium)
fi
[ ${#want[@]} -eq 0 ] && exit 0
echo "setup: installing ${want[*]}" >&2
if [ "$(id -u)" = 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "setup: missing ${want[*]}; run as root or install them: apt-get install ${want[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
