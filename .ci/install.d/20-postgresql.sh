#!/usr/bin/env bash
# PostgreSQL server binaries (initdb, pg_ctl, postgres) for the SQL source tests, which start a private cluster.
# On x86_64 the pgserver wheel of the dev extra brings them (tests/pipelines/postgres_server.py), so nothing is
# installed here; pgserver has no Linux build for other machines (aarch64), where Debian's server is installed.
# No service is started here. Does nothing when the binaries are already installed.
set -euo pipefail
if [ "$(uname -m)" = x86_64 ]; then
    echo "postgresql: from the pgserver wheel"
    exit 0
fi
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1; then
    echo "postgresql: already installed"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
echo "postgresql: installed $(ls /usr/lib/postgresql)"
