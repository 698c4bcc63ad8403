#!/usr/bin/env bash
# PostgreSQL server binaries (initdb, pg_ctl, postgres) for the SQL source tests, which start a private cluster.
# No service is started here. Does nothing when the binaries are already installed.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1; then
    echo "postgresql: already installed"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
echo "postgresql: installed $(ls /usr/lib/postgresql)"
