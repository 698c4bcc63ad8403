"""The Prefect flow `retrain`: train on a labelled file, register the version, promote it if asked and not worse."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from causa.storage.promotion import PromotionRefused, promote
from causa.pipelines.settings import load_settings
from causa.nlp.training import TrainingOptions
from causa.storage.training_runs import train_file
from causa.storage.registry import ModelRegistry

FLOW_NAME = "causa-retrain"


@dataclass(frozen=True)
class RetrainResult:
    version: str
    path: Path
    metrics: dict
    promoted: bool
    comparison: str


@task(cache_policy=NO_CACHE)
def train_task(labels: Path, registry: ModelRegistry, name: str | None, options: TrainingOptions):
    return train_file(labels, registry, name, options)


@task(cache_policy=NO_CACHE)
def promote_task(registry: ModelRegistry, version: str) -> tuple[bool, str]:
    """Promotes unless the gate refuses; a refusal is reported, not raised (the version stays registered)."""
    try:
        return True, promote(registry, version).describe()
    except PromotionRefused as refused:
        get_run_logger().warning("%s", refused)
        return False, str(refused)


@flow(name=FLOW_NAME, log_prints=False)
def retrain(
    labels: str,
    config_path: str | None = None,
    name: str | None = None,
    options: TrainingOptions | None = None,
    promote_if_better: bool = False,
) -> RetrainResult:
    """Scheduled retraining: labels in, a registered version out, promoted only if not worse than the current one."""
    settings = load_settings(config_path)
    registry = ModelRegistry(settings.registry_root)
    result = train_task(Path(labels), registry, name, options or TrainingOptions())
    promoted, comparison = False, ""
    if promote_if_better:
        promoted, comparison = promote_task(registry, result.version)
    get_run_logger().info("retrained %s (promoted: %s)", result.version, promoted)
    return RetrainResult(result.version, result.path, result.metrics, promoted, comparison)
