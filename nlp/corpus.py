"""The starter corpus the project wrote itself: the default model's training data."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from nlp.taxonomy import DEFAULT_CAUSES, SENTIMENTS, SUPPORTED_LANGUAGES


@dataclass(frozen=True)
class LabelledText:
    text: str
    language: str
    sentiment: str
    causes: tuple[str, ...]


def starter_corpus_dir() -> Path:
    return Path(str(resources.files("nlp") / "starter_corpus"))


def load_starter_corpus(directory: Path | None = None) -> list[LabelledText]:
    """Every labelled item of `<directory>/<lang>.jsonl` for the supported languages; a bad line names itself."""
    directory = directory or starter_corpus_dir()
    items = []
    for lang in SUPPORTED_LANGUAGES:
        path = directory / f"{lang}.jsonl"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                items.append(_parse_line(line, lang, f"{path}:{number}"))
    return items


def _parse_line(line: str, lang: str, where: str) -> LabelledText:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: invalid JSON: {error.msg}") from error
    sentiment = data.get("sentiment")
    if sentiment not in SENTIMENTS:
        raise ValueError(f"{where}: sentiment {sentiment!r} is not one of {list(SENTIMENTS)}")
    causes = tuple(data.get("causes") or ())
    unknown = sorted(set(causes) - set(DEFAULT_CAUSES))
    if unknown:
        raise ValueError(f"{where}: unknown causes {unknown}")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}: empty text")
    return LabelledText(text=text, language=lang, sentiment=sentiment, causes=causes)


def corpus_fingerprint(directory: Path | None = None) -> str:
    """sha256 over the corpus files, to tell which corpus a model was trained on."""
    directory = directory or starter_corpus_dir()
    digest = hashlib.sha256()
    for lang in SUPPORTED_LANGUAGES:
        digest.update((directory / f"{lang}.jsonl").read_bytes())
    return digest.hexdigest()
