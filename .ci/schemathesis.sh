#!/usr/bin/env bash
# Fuzzes the real server through its own OpenAPI document with schemathesis (pinned, in a
# virtual environment made here): every check, the fuzzing and stateful phases among others,
# as a freshly signed-up owner. Fails on any failure. One worker: with two threads, hypothesis
# (6.170) once failed inside CPython's ast module while describing a strategy (a race of its own,
# no request involved). Usage: .ci/schemathesis.sh [portal-binary]
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
binary=${1:-target/debug/portal}
venv=target/schemathesis-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  # Every package pinned (pip freeze of a working install), so a new release of a dependency
  # cannot change what CI runs.
  "$venv/bin/pip" install --quiet -r .ci/schemathesis-requirements.txt
  "$venv/bin/schemathesis" --version | grep -q "${SCHEMATHESIS_VERSION}"
fi

work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$binary" serve --listen "127.0.0.1:${port}" --database-url "sqlite://${work}/portal.db?mode=rwc" \
  --mail-dir "${work}/mail" --log-format json > "${work}/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
base="http://127.0.0.1:${port}/api/v1"
for _ in $(seq 1 100); do
  curl -fsS "${base}/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# A fresh, verified owner; the fuzzer acts as them. Logout and ending a session by id would
# end that very session, so they run on a session of their own, before the rest.
signup='{"email":"owner@fuzz.example","name":"Fuzz Owner","password":"correct horse battery staple","account_name":"Fuzz Co"}'
curl -fsS -X POST "${base}/auth/signup" -H 'content-type: application/json' -d "$signup" >/dev/null
code=""
for _ in $(seq 1 100); do
  # The code stands alone on the line after "Or enter this code on the verification page:".
  code=$(cat "${work}"/mail/*.eml 2>/dev/null | grep -A1 'verification page:' | tail -n1 | tr -d '\r ' || true)
  [ -n "$code" ] && break
  sleep 0.1
done
[ -n "$code" ] || { echo "no verification mail arrived" >&2; exit 1; }
curl -fsS -X POST "${base}/auth/verify-email" -H 'content-type: application/json' -d "{\"token\":\"${code}\"}" >/dev/null
login='{"email":"owner@fuzz.example","password":"correct horse battery staple"}'
token=$(curl -fsS -X POST "${base}/auth/login" -H 'content-type: application/json' -d "$login" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
other=$(curl -fsS -X POST "${base}/auth/login" -H 'content-type: application/json' -d "$login" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
"$venv/bin/schemathesis" --config-file .ci/schemathesis.toml run "${base}/openapi.json" --url "${base}" \
  --checks all --phases examples,coverage,fuzzing,stateful --max-examples 60 --workers 1 \
  --include-path-regex '^/(auth/logout|me/sessions/)' -H "Authorization: Bearer ${other}" --no-color \
  --generation-deterministic

"$venv/bin/schemathesis" --config-file .ci/schemathesis.toml run "${base}/openapi.json" --url "${base}" \
  --checks all --phases examples,coverage,fuzzing,stateful --max-examples 60 --workers 1 \
  --exclude-path-regex '^/(auth/logout|me/sessions/)' -H "Authorization: Bearer ${token}" --no-color \
  --generation-deterministic "${@:2}"
