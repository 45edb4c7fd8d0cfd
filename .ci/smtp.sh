#!/usr/bin/env bash
# Installs aiosmtpd (pinned, from PyPI) into a virtual environment for the SMTP tests, and
# prints that environment's Python (the tests start their own relay with it, on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/smtp-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet "aiosmtpd==1.4.6" >&2
fi
echo "$(pwd)/$venv/bin/python"
