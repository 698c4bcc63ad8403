"""A private PostgreSQL cluster for the tests: initdb + pg_ctl in a temporary folder, on a free local port.

The server comes from the `pgserver` wheel (PostgreSQL 16, installed by the dev extra), so `make test` needs no
system package; Debian's server (or initdb on PATH) is the fallback when the wheel is not installed (it has no
Linux build but x86_64's).
PostgreSQL refuses to run as root, and CI runs as root: then the cluster runs as `nobody`, and the wheel's
binaries are copied into the cluster's folder first, since the virtualenv may sit under a folder `nobody`
cannot enter (such as /root). When no server is found the tests are skipped on a developer machine but fail
under CI=true.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = "install the dev extra (pip install -e '.[dev]': the pgserver wheel) or, on Linux other than x86_64, " \
    "Debian's server (.ci/install.d/20-postgresql.sh)"
SERVER_ACCOUNT = "nobody"
"""The account the cluster runs as when the tests run as root."""


@dataclass(frozen=True)
class Postgres:
    url: str
    """SQLAlchemy URL (psycopg driver) of the cluster's `postgres` database, as the trusted `causa` role."""


def wheel_binaries() -> Path | None:
    """The pgserver wheel's folder of PostgreSQL binaries, found without importing pgserver."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)), "pginstall", "bin")
    return folder if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file() else None


def system_binaries() -> Path | None:
    """The folder holding a system server's initdb and pg_ctl: Debian's versioned folder, else PATH."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").is_file() and Path(candidate, "pg_ctl").is_file():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: the pgserver wheel's, else a system server's."""
    return wheel_binaries() or system_binaries()


def _copy_wheel_install(binaries: Path, folder: Path) -> Path:
    """Copies the wheel's install tree and its bundled libraries into folder, keeping their relative layout."""
    package = binaries.parent.parent
    libraries = package.parent / f"{package.name}.libs"
    target = folder / "server" / package.name
    shutil.copytree(package / "pginstall", target / "pginstall", ignore=shutil.ignore_patterns("include"))
    if libraries.is_dir():
        shutil.copytree(libraries, target.parent / libraries.name)
    return target / "pginstall" / "bin"


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
        _missing("PostgreSQL server not found")
    identity: dict = {}
    folder = Path(tempfile.mkdtemp(prefix="causa-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_ACCOUNT)
        os.chown(folder, account.pw_uid, account.pw_gid)
        identity = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        if binaries == wheel_binaries():
            binaries = _copy_wheel_install(binaries, folder)
    data, port = folder / "data", _free_port()

    def run(program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([str(binaries / program), *args], **identity, check=check, capture_output=True,
                              text=True, cwd=folder)

    try:
        run("initdb", "-D", str(data), "-U", "causa", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        run("pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w", "-t", "60", "start")
    except subprocess.CalledProcessError as error:
        log = (folder / "server.log").read_text() if (folder / "server.log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL from {binaries}: {error.stderr}\n{log}") from error
    try:
        yield Postgres(url=f"postgresql+psycopg://causa@127.0.0.1:{port}/postgres")
    finally:
        run("pg_ctl", "-D", str(data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(folder, ignore_errors=True)
