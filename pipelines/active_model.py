"""The model a command uses: its --model, else the configured [model] version (see storage.model_versions)."""

from __future__ import annotations

import os
from pathlib import Path

from causa.nlp.model import FeedbackModel
from causa.pipelines.settings import load_settings
from causa.storage.model_versions import DEFAULT, load_version, resolve_version


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
    return load_version(*active_version(requested, config_path, registry_root))


def active_version(
    requested: str | None = None,
    config_path: str | os.PathLike[str] | None = None,
    registry_root: Path | None = None,
) -> tuple[str, Path | None]:
    """The concrete version `active_model` would load ("promoted" resolved now) and the registry it comes from
    (None for the shipped model): what worker processes load, so that all of them score with the same model."""
    if requested is None or (requested != DEFAULT and registry_root is None):
        settings = load_settings(config_path)
        requested = settings.model_version if requested is None else requested
        registry_root = settings.registry_root if registry_root is None else registry_root
    concrete = resolve_version(requested, registry_root)
    return concrete, None if concrete == DEFAULT else registry_root


def scoring_model(version: str, registry_root: Path | None = None) -> tuple[FeedbackModel, str]:
    """The model to score with and its version name, verified and loaded once per process.

    "default" is the shipped model; "promoted" the registry's promoted version (the shipped one if none is);
    any other name a registered version. Without `registry_root` the configured registry is used.
    """
    return active_model(version, None, registry_root)
