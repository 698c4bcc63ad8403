"""The nightly schedule as a Prefect deployment, served by `causa serve`."""

from __future__ import annotations

from pathlib import Path

from prefect.deployments.runner import RunnerDeployment

from causa.pipelines.flows import nightly


def nightly_deployment(name: str, cron: str, config_path: Path | None = None) -> RunnerDeployment:
    """A deployment of `nightly`, the flow `causa run` runs, on a cron schedule (UTC) with the given config."""
    parameters = {"config_path": str(config_path.resolve())} if config_path else {}
    return nightly.to_deployment(name=name, cron=cron, parameters=parameters)
