"""A private PostgreSQL cluster for the tests: initdb + pg_ctl in a temporary folder, on a free local port.

Runs as the `postgres` system user when the tests run as root (initdb refuses root, and CI runs as root).
When the binaries are missing the tests are skipped on a developer machine but fail under CI=true.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = "install PostgreSQL with .ci/install.d/20-postgresql.sh (apt-get install postgresql)"


@dataclass(frozen=True)
class Postgres:
    url: str
    """SQLAlchemy URL (psycopg driver) of the cluster's `postgres` database, as the trusted `causa` role."""


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: Debian's versioned folder, else PATH."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").is_file() and Path(candidate, "pg_ctl").is_file():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: {INSTALL_HINT}", pytrace=False)
    pytest.skip(f"{reason}: {INSTALL_HINT}")


def start_postgres():
    """Yields a running Postgres; stops it and removes its folder afterwards."""
    binaries = server_binaries()
    if binaries is None:
        _missing("PostgreSQL server binaries (initdb, pg_ctl) not found")
    as_user = None
    folder = Path(tempfile.mkdtemp(prefix="causa-pg-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            _missing("running as root but there is no `postgres` user to run the server as")
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_user = "postgres"
    data, port = folder / "data", _free_port()
    run = lambda *args: subprocess.run(  # noqa: E731
        [str(binaries / args[0]), *args[1:]], user=as_user, check=True, capture_output=True, text=True, cwd=folder
    )
    try:
        run("initdb", "-D", str(data), "-U", "causa", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        run("pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w", "-t", "60", "start")
    except subprocess.CalledProcessError as error:
        log = (folder / "server.log").read_text() if (folder / "server.log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {error.stderr}\n{log}") from error
    try:
        yield Postgres(url=f"postgresql+psycopg://causa@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], user=as_user,
                       capture_output=True, cwd=folder)
        shutil.rmtree(folder, ignore_errors=True)
