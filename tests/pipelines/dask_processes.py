"""A Dask cluster of real command-line processes for the tests: `dask scheduler` and `dask worker`s on 127.0.0.1.

Each process runs in a process group of its own (a worker's nanny and the worker process it spawns share one), so
one worker can be killed whole, as a lost machine would be, and every process is ended when the cluster closes,
also when a test or the start-up fails.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from distributed import Client

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 15.0
WORKER_MEMORY_LIMIT = "2GiB"
"""Per worker process: the model takes about 0.7 GB, a scoring batch of the tests a few MB."""


def venv_script(name: str) -> Path:
    """The console script `name` installed next to this interpreter (the venv's `dask`, `causa`)."""
    script = Path(sys.executable).parent / name
    if not script.is_file():
        raise FileNotFoundError(f"no {name!r} script next to {sys.executable}: is the package installed in this venv?")
    return script


def process_environment(**updates: str) -> dict[str, str]:
    """This process's environment without Prefect's API address, plus `updates`."""
    environment = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    environment["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    environment.update(updates)
    return environment


def end_group(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Sends `sig` to the process group led by `process` (started with start_new_session), if any of it still runs."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def stop_groups(processes: list[subprocess.Popen]) -> None:
    """Ends the process groups politely, all at once, then by SIGKILL what did not stop in time (and any child a
    leader left behind)."""
    for process in processes:
        end_group(process, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("process %d did not stop on SIGTERM; killing its group", process.pid)
    for process in processes:
        end_group(process, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


def stop_group(process: subprocess.Popen) -> None:
    stop_groups([process])


@dataclass
class CommandLineCluster:
    """A scheduler and named workers started with the venv's `dask` command; `close` ends them all."""

    folder: Path
    address: str = ""
    scheduler: subprocess.Popen | None = None
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, worker_names: tuple[str, ...], environment: dict[str, str]) -> None:
        """Starts the scheduler on a free port and the workers, and waits until every worker is registered."""
        dask = str(venv_script("dask"))
        scheduler_file = self.folder / "scheduler.json"
        self.scheduler = self._spawn(
            "scheduler",
            [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(scheduler_file)],
            environment,
        )
        self.address = self._scheduler_address(scheduler_file)
        for name in worker_names:
            self.workers[name] = self._spawn(
                name,
                [dask, "worker", self.address, "--name", name, "--host", "127.0.0.1", "--nthreads", "1",
                 "--memory-limit", WORKER_MEMORY_LIMIT, "--no-dashboard",
                 "--local-directory", str(self.folder / f"{name}-scratch")],
                environment,
            )
        with self.client() as client:
            client.wait_for_workers(len(worker_names), timeout=START_TIMEOUT_SECONDS)

    def _spawn(self, name: str, command: list[str], environment: dict[str, str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")
        with log:
            return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment,
                                    cwd=self.folder, start_new_session=True)

    def _scheduler_address(self, scheduler_file: Path) -> str:
        """The address the scheduler wrote to its file once it listens (it chose a free port)."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.scheduler.poll() is not None:
                raise RuntimeError(f"dask scheduler exited with {self.scheduler.returncode}: {self.log('scheduler')}")
            try:
                return json.loads(scheduler_file.read_text(encoding="utf-8"))["address"]
            except (FileNotFoundError, json.JSONDecodeError, KeyError):
                time.sleep(0.1)
        raise TimeoutError(f"dask scheduler wrote no address to {scheduler_file} in {START_TIMEOUT_SECONDS} s")

    def client(self) -> Client:
        return Client(self.address, timeout=START_TIMEOUT_SECONDS, set_as_default=False)

    def worker_names(self, client: Client) -> dict[str, str]:
        """Worker address -> name, for the workers the scheduler knows now."""
        return {address: info["name"] for address, info in client.scheduler_info(n_workers=-1)["workers"].items()}

    def kill_worker(self, name: str) -> None:
        """SIGKILL to the worker's nanny and worker process at once, as when its machine is lost."""
        end_group(self.workers[name], signal.SIGKILL)
        self.workers[name].wait(timeout=STOP_TIMEOUT_SECONDS)

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace")[-4000:] if path.exists() else ""

    def close(self) -> None:
        """Ends the workers and the scheduler, each by its process group."""
        stop_groups([process for process in (*self.workers.values(), self.scheduler) if process is not None])
