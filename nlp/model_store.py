"""Saving and loading a FeedbackModel as files with recorded sha256 hashes; nothing is unpickled (skops)."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import shutil
import sys
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import skops.io as sio

from causa.nlp.cues import load_resources
from causa.nlp.encoder import EncoderHeads
from causa.nlp.errors import NlpError
from causa.nlp.features import FeedbackFeaturizer
from causa.nlp.model import FeedbackModel
from causa.table_files import write_json_atomically

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
ESTIMATORS_FILE = "estimators.skops"
MODEL_FILE = "model.json"
RESOURCES_DIR = "resources"
LEMMAS_DIR = "lemmas"
ENCODER_HEADS_DIR = "encoder_heads"
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.sparse.", "builtins.", "causa.nlp.estimators.CalibratedOneVsRestClassifier")
LEGACY_MODULES = {"nlp.estimators": "causa.nlp.estimators"}
"""Where a type saved before causa's packages moved under `causa` lives now (models saved by causa 0.1 up to the move)."""


NOT_STORED_PARAMETERS = ("resources", "lemma_tables", "encoder")
"""FeedbackModel parameters model.json does not hold: resources have files of their own (resources/), the lemma
tables given for training are not kept (the fitted, pruned ones are, in lemmas/), the encoder is chosen where the
model runs. A loaded model has the stored resources and the defaults of the other two."""


class ModelIntegrityError(NlpError, RuntimeError):
    """A model folder whose files do not match their recorded hashes, or that holds untrusted types."""


def default_model_dir() -> Path:
    """The model trained on the starter corpus that ships with causa."""
    return Path(str(resources.files("causa.nlp") / "default_model"))


def save_model(model: FeedbackModel, directory: Path, metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Writes the model's files and a manifest with the sha256 of each; returns the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    sio.dump({"sentiment": model.sentiment_model_, "causes": model.cause_model_}, directory / ESTIMATORS_FILE)
    for name, (terms, idf) in model.featurizer_.vocabularies().items():
        write_json_atomically(directory / f"{name}_vocabulary.json", terms)
        np.save(directory / f"{name}_idf.npy", np.asarray(idf, dtype=np.float64), allow_pickle=False)
    for stale in (directory / LEMMAS_DIR, directory / RESOURCES_DIR, directory / ENCODER_HEADS_DIR):
        if stale.exists():
            shutil.rmtree(stale)
    for lang, table in model.lemma_tables_.items():
        write_json_atomically(directory / LEMMAS_DIR / f"{lang}.json", dict(table))
    if model.encoder_heads_ is not None:
        (directory / ENCODER_HEADS_DIR).mkdir()
        for name, array in model.encoder_heads_.arrays().items():
            np.save(directory / ENCODER_HEADS_DIR / f"{name}.npy", np.asarray(array), allow_pickle=False)
    resource_dir = directory / RESOURCES_DIR
    for lang, res in model.resources.items():
        write_json_atomically(resource_dir / "cues" / f"{lang}.json", dict(res.cues))
        write_json_atomically(resource_dir / "lexicons" / f"{lang}.json", dict(res.lexicon))
    write_json_atomically(
        directory / MODEL_FILE,
        {
            "causes": list(model.causes_),
            "languages": sorted(model.resources),
            "tiers": list(model.tiers),
            "thresholds": model.thresholds_,
            "featurizer": model.featurizer_.get_params(),
            "parameters": stored_parameters(model),
        },
    )
    manifest = {**(metadata or {}), "files": file_hashes(directory)}
    write_json_atomically(directory / MANIFEST_FILE, manifest)
    return manifest


def load_model(directory: Path) -> FeedbackModel:
    """The model in `directory`, after checking every file against the manifest and every stored type."""
    manifest = read_manifest(directory)
    verify_files(directory, manifest)
    untrusted = sio.get_untrusted_types(file=directory / ESTIMATORS_FILE)
    refused = [name for name in untrusted if not _current_name(name).startswith(TRUSTED_PREFIXES)]
    if refused:
        raise ModelIntegrityError(f"{directory / ESTIMATORS_FILE} holds types that are not trusted: {refused}")
    with _legacy_modules():
        estimators = sio.load(directory / ESTIMATORS_FILE, trusted=untrusted)
    described = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
    languages = described["languages"]
    model = FeedbackModel(resources=load_resources(directory / RESOURCES_DIR, languages), **_parameters(described))
    featurizer_params = dict(described["featurizer"])
    for name in ("word_ngram_range", "char_ngram_range"):
        if featurizer_params.get(name) is not None:
            featurizer_params[name] = tuple(featurizer_params[name])
    vocabularies = {
        name: (
            json.loads((directory / f"{name}_vocabulary.json").read_text(encoding="utf-8")),
            np.load(directory / f"{name}_idf.npy", allow_pickle=False),
        )
        for name in ("words", "chars")
        if (directory / f"{name}_vocabulary.json").is_file()
    }
    heads = directory / ENCODER_HEADS_DIR
    encoder_heads = None
    if heads.is_dir():
        encoder_heads = EncoderHeads(model.causes).restore(
            {path.stem: np.load(path, allow_pickle=False) for path in heads.glob("*.npy")})
    return model._restore(
        featurizer=FeedbackFeaturizer(**featurizer_params).restore(vocabularies),
        sentiment_model=estimators["sentiment"],
        cause_model=estimators["causes"],
        lemma_tables={
            lang: json.loads((directory / LEMMAS_DIR / f"{lang}.json").read_text(encoding="utf-8"))
            for lang in languages
        },
        encoder_heads=encoder_heads,
    )


def stored_parameters(model: FeedbackModel) -> dict[str, Any]:
    """The model's parameters as model.json keeps them: all of get_params but those kept in files of their own or
    chosen where the model runs (NOT_STORED_PARAMETERS)."""
    return {name: value for name, value in model.get_params().items() if name not in NOT_STORED_PARAMETERS}


def _parameters(described: Mapping[str, Any]) -> dict[str, Any]:
    """The stored parameters of a model.json, JSON lists back to tuples; a model.json written before causes were
    among them has them beside, and one that lacks a parameter (saved before it existed) gets its default."""
    stored = {"causes": described["causes"], **described["parameters"]}
    return {name: tuple(value) if isinstance(value, list) else value for name, value in stored.items()}


def _current_name(type_name: str) -> str:
    module, _, name = type_name.rpartition(".")
    return f"{LEGACY_MODULES.get(module, module)}.{name}"


@contextmanager
def _legacy_modules() -> Iterator[None]:
    """Lets skops find types saved under their old module names while a model loads."""
    added = [old for old in LEGACY_MODULES if old not in sys.modules]
    for old in added:
        sys.modules[old] = importlib.import_module(LEGACY_MODULES[old])
    try:
        yield
    finally:
        for old in added:
            del sys.modules[old]


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST_FILE
    if not path.is_file():
        raise ModelIntegrityError(f"no model manifest at {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:  # not UTF-8 or not JSON
        raise ModelIntegrityError(f"model manifest {path} is not valid JSON: {error}") from error


def verify_files(directory: Path, manifest: Mapping[str, Any], shown_as: str | None = None) -> None:
    """Raises ModelIntegrityError naming each file that is missing, extra or changed (and the model's folder, or
    `shown_as` for a copy of a folder kept elsewhere)."""
    problems = manifest_problems(directory, manifest.get("files", {}))
    if problems:
        raise ModelIntegrityError(f"model at {shown_as or directory} failed verification: {', '.join(problems)}")


def file_hashes(directory: Path) -> dict[str, str]:
    """sha256 of every file under `directory` except the manifest, by relative path."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != MANIFEST_FILE and "__pycache__" not in path.parts
    }


def manifest_problems(directory: Path, recorded: Mapping[str, str]) -> list[str]:
    """Each file of `directory` that is missing, extra or changed against the recorded hashes, sorted."""
    actual = file_hashes(directory)
    problems = [f"{name} changed" for name in recorded if name in actual and actual[name] != recorded[name]]
    problems += [f"{name} missing" for name in recorded if name not in actual]
    problems += [f"{name} not in the manifest" for name in actual if name not in recorded]
    return sorted(problems)
