"""Retrains the default model on the starter corpus and writes it into the package: `python -m nlp.train_default`."""

from __future__ import annotations

import argparse
import logging
import platform
from datetime import datetime, timezone
from pathlib import Path

import sklearn
import spacy

from nlp.corpus import corpus_fingerprint, load_starter_corpus
from nlp.cues import load_resources, packaged_resources_dir
from nlp.model import FeedbackModel
from nlp.model_store import default_model_dir, save_model
from nlp.taxonomy import DEFAULT_CAUSES, SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)
DEFAULT_MODEL_VERSION = "default-1"


def train_default_model(output: Path) -> dict:
    """Trains on the starter corpus with the packaged cues and lexicons; returns the manifest written."""
    corpus = load_starter_corpus()
    model = FeedbackModel(load_resources(packaged_resources_dir(), SUPPORTED_LANGUAGES), DEFAULT_CAUSES)
    model.fit(
        [item.text for item in corpus],
        [item.language for item in corpus],
        [item.sentiment for item in corpus],
        [item.causes for item in corpus],
    )
    metadata = {
        "version": DEFAULT_MODEL_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "training_data": {"name": "starter corpus", "fingerprint": corpus_fingerprint(), "rows": len(corpus)},
        "libraries": {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "spacy": spacy.__version__},
    }
    return save_model(model, output, metadata)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=default_model_dir())
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    manifest = train_default_model(args.output)
    logger.info("wrote %s (%d files)", args.output, len(manifest["files"]))


if __name__ == "__main__":
    main()
