#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages if needed, starts it on loopback, and prints the
# URL of a database the tests may use (they create one database per test inside it).
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  bash "$(dirname "$0")/apt.sh" postgresql
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h 2>/dev/null | grep -q "^${version} main"; then
  pg_createcluster "$version" main >&2
fi
# Loopback only.
conf=/etc/postgresql/$version/main
pg_conftool "$version" main remove listen_addresses >&2 || true
mkdir -p "$conf/conf.d"
echo "listen_addresses = '127.0.0.1'" > "$conf/conf.d/portal-loopback.conf"
pg_ctlcluster "$version" main status >/dev/null 2>&1 || pg_ctlcluster "$version" main start >&2

port=$(pg_conftool -s "$version" main show port)
for _ in $(seq 1 30); do
  if su postgres -c "psql -p $port -qAt -c 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done
su postgres -c "psql -p $port -q -c \"ALTER USER postgres PASSWORD 'portal-ci'\"" >&2
su postgres -c "psql -p $port -qAt -c \"SELECT 1 FROM pg_database WHERE datname = 'portal_test'\"" | grep -q 1 \
  || su postgres -c "createdb -p $port portal_test" >&2
echo "postgres://postgres:portal-ci@127.0.0.1:${port}/portal_test"
