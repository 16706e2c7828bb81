#!/usr/bin/env bash
# Makes sure the Debian packages pgtide's tests and demo need are present:
# pg_cron and pgTAP for PostgreSQL 15 (and pg_partman when the benchmarks ask for it, --bench;
# valgrind for the instruction counts of bench/instructions, --valgrind).
# As root it installs them with apt; otherwise it says exactly what to install.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_SHARE=${PG_SHARE:-/usr/share/postgresql/15}
want=()

if [[ ! -x "$PG_BIN/postgres" ]]; then want+=(postgresql-15); fi
if [[ ! -f "$PG_SHARE/extension/pg_cron.control" ]]; then want+=(postgresql-15-cron); fi
if [[ ! -f "$PG_SHARE/extension/pgtap.control" ]]; then want+=(postgresql-15-pgtap); fi
for arg in "$@"; do
  if [[ "$arg" == "--bench" && ! -f "$PG_SHARE/extension/pg_partman.control" ]]; then want+=(postgresql-15-partman); fi
  if [[ "$arg" == "--valgrind" ]] && ! command -v valgrind >/dev/null; then want+=(valgrind); fi
done

if [[ ${#want[@]} -eq 0 ]]; then exit 0; fi

if [[ $(id -u) -ne 0 ]]; then
  echo "pgtide: missing Debian packages: ${want[*]}" >&2
  echo "pgtide: install them with:  sudo apt-get install -y ${want[*]}" >&2
  exit 1
fi

echo "pgtide: installing ${want[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${want[@]}" >/tmp/pgtide-apt.log 2>&1; then
  apt-get update >>/tmp/pgtide-apt.log 2>&1
  apt-get install -y --no-install-recommends "${want[@]}" >>/tmp/pgtide-apt.log 2>&1 || {
    echo "pgtide: apt-get install ${want[*]} failed; see /tmp/pgtide-apt.log" >&2
    exit 1
  }
fi
