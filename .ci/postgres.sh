#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages if needed, starts it on loopback, and prints the
# URL of a database the tests may use (they create one database per test inside it).
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  bash "$(dirname "$0")/apt.sh" postgresql
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
conf=/etc/postgresql/$version/main

configure() {
  # Loopback only. After a crash, recovery syncs the data directory: one syncfs instead of an
  # fsync per file, which on a machine that kept many test databases outlasted pg_ctl's wait.
  pg_conftool "$version" main remove listen_addresses >&2 || true
  mkdir -p "$conf/conf.d"
  printf "%s\n" "listen_addresses = '127.0.0.1'" "recovery_init_sync_method = syncfs" \
    > "$conf/conf.d/portal-loopback.conf"
}

ready() { su postgres -c "psql -p $port -qAt -c 'select 1'" >/dev/null 2>&1; }

# Up within five minutes: started whenever it is not running (a killed server's pid can linger
# a moment as a zombie, so one status check is not enough), then asked until it answers.
up() {
  for _ in $(seq 1 300); do
    ready && return 0
    if ! pg_ctlcluster "$version" main status >/dev/null 2>&1; then
      pg_ctlcluster "$version" main start -- -t 300 >&2 || return 1
    fi
    sleep 1
  done
  return 1
}

if ! pg_lsclusters -h 2>/dev/null | grep -q "^${version} main"; then
  pg_createcluster "$version" main >&2
fi
configure
port=$(pg_conftool -s "$version" main show port)
if ! up; then
  # The cluster holds nothing but test databases: one that cannot start is made anew rather
  # than failing every later run on this machine.
  echo "PostgreSQL did not start; its test cluster is created anew" >&2
  pg_dropcluster --stop "$version" main >&2 || true
  pg_createcluster "$version" main >&2
  configure
  port=$(pg_conftool -s "$version" main show port)
  up
fi

su postgres -c "psql -p $port -q -c \"ALTER USER postgres PASSWORD 'portal-ci'\"" >&2
# The tests' databases outlive the tests (nothing async runs on drop): the ones earlier runs
# left are dropped here, so a long-lived machine's cluster stays small. Only those untouched for
# an hour, and none in use: a run going on beside this one (a developer's, say) keeps its own.
su postgres -c "psql -p $port -qAt" >&2 <<'SQL'
SELECT format('DROP DATABASE %I', datname) FROM pg_database
 WHERE datname ~ '^portal_(t|e2e)_'
   AND (pg_stat_file('base/' || oid)).modification < now() - interval '1 hour' \gexec
SQL
su postgres -c "psql -p $port -qAt -c \"SELECT 1 FROM pg_database WHERE datname = 'portal_test'\"" | grep -q 1 \
  || su postgres -c "createdb -p $port portal_test" >&2
echo "postgres://postgres:portal-ci@127.0.0.1:${port}/portal_test"
