"""Which model a version name means: "default" (shipped), "promoted" (the registry's pointer), or a registered one."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

from nlp.model import FeedbackModel
from nlp.model_store import default_model_dir, load_model, read_manifest
from pipelines.settings import load_settings
from storage.registry import SHIPPED, ModelRegistry

logger = logging.getLogger(__name__)

DEFAULT = SHIPPED
PROMOTED = "promoted"


def resolve_version(version: str, registry_root: Path | None) -> str:
    """The concrete version: "promoted" becomes the promoted version, or "default" when none is promoted."""
    if version == PROMOTED:
        promoted = ModelRegistry(registry_root).promoted() if registry_root is not None else None
        if promoted is None:
            logger.info("no model promoted in %s; using the shipped default model", registry_root)
            return DEFAULT
        return promoted
    return version


@lru_cache(maxsize=8)
def load_version(version: str, registry_root: Path | None) -> tuple[FeedbackModel, str]:
    """A concrete version's model (hash-verified by load_model) and the version name to record, once per process."""
    if version == DEFAULT:
        directory = default_model_dir()
        return load_model(directory), read_manifest(directory)["version"]
    if registry_root is None:
        raise ValueError(f"model version {version!r} needs a model registry; none is configured")
    directory = ModelRegistry(registry_root).path(version)
    return load_model(directory), version


def model_for(version: str, registry_root: Path | None) -> tuple[FeedbackModel, str]:
    """The model that `version` ("default", "promoted" or a name) means right now, and its recorded version."""
    concrete = resolve_version(version, registry_root)
    return load_version(concrete, None if concrete == DEFAULT else registry_root)


def active_model(
    requested: str | None = None,
    config_path: str | os.PathLike[str] | None = None,
    registry_root: Path | None = None,
) -> tuple[FeedbackModel, str]:
    """The model a command uses and its concrete version: `requested` (its --model) when given, else the
    configured [model] version (by default "promoted": the promoted version, else the shipped model).

    Settings come from `config_path`, ./causa.toml or the packaged sample config, as `causa run` loads them;
    `registry_root` (--registry) replaces the configured registry. "default" needs neither.
    """
    if requested is None or (requested != DEFAULT and registry_root is None):
        settings = load_settings(config_path)
        requested = settings.model_version if requested is None else requested
        registry_root = settings.registry_root if registry_root is None else registry_root
    return model_for(requested, registry_root)


def scoring_model(version: str, registry_root: Path | None = None) -> tuple[FeedbackModel, str]:
    """The model to score with and its version name, verified and loaded once per process.

    "default" is the shipped model; "promoted" the registry's promoted version (the shipped one if none is);
    any other name a registered version. Without `registry_root` the configured registry is used.
    """
    return active_model(version, None, registry_root)
