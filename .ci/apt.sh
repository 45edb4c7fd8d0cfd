#!/usr/bin/env bash
# Installs Debian packages for CI, running `apt-get update` at most once per machine boot.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
marker=/tmp/.portal-apt-updated
if [ ! -f "$marker" ]; then
  apt-get update -qq >&2
  touch "$marker"
fi
apt-get install -y -qq "$@" >&2
