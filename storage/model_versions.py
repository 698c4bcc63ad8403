"""Which model a version name means: "default" (shipped), "promoted" (the registry's pointer), or a registered one."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from causa.nlp.model import FeedbackModel
from causa.nlp import model_store
from causa.storage.filesystem import LakePath, lake_path
from causa.storage.registry import SHIPPED, ModelRegistry, RegistryError

logger = logging.getLogger(__name__)

DEFAULT = SHIPPED
PROMOTED = "promoted"


def resolve_version(version: str, registry_root: LakePath | None) -> str:
    """The concrete version: "promoted" becomes the promoted version, or "default" when none is promoted."""
    if version == PROMOTED:
        promoted = ModelRegistry(registry_root).promoted() if registry_root is not None else None
        if promoted is None:
            logger.info("no model promoted in %s; using the shipped default model", registry_root)
            return DEFAULT
        return promoted
    return version


@lru_cache(maxsize=8)
def load_version(version: str, registry_root: LakePath | None) -> tuple[FeedbackModel, str]:
    """A concrete version's model (hash-verified by load_model) and the version name to record, once per process.
    A version in a remote registry is loaded from its local copy (see ModelRegistry.local_folder)."""
    if version == DEFAULT:
        directory = model_store.default_model_dir()
        return model_store.load_model(directory), model_store.read_manifest(directory)["version"]
    if registry_root is None:
        raise RegistryError(f"model version {version!r} needs a model registry; none is configured")
    directory = ModelRegistry(registry_root).local_folder(version)
    return model_store.load_model(directory), version


def model_for(version: str, registry_root: LakePath | None) -> tuple[FeedbackModel, str]:
    """The model that `version` ("default", "promoted" or a name) means right now, and its recorded version."""
    concrete = resolve_version(version, registry_root)
    return load_version(concrete, None if concrete == DEFAULT else registry_root)


def load_model(version: str = PROMOTED, registry: Path | str | None = None) -> FeedbackModel:
    """The model `version` means ("promoted": the promoted version, else the shipped model; "default"; a name).
    `registry` is a folder or an object-store URL (s3://bucket/prefix/models)."""
    return model_for(version, lake_path(registry) if registry is not None else None)[0]
