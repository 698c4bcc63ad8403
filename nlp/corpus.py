"""The default model's training data: the corpus the project wrote, and real licence-clean feedback it labelled.

`<lang>.jsonl` are the written texts; `real/<source>_<lang>.jsonl` real texts whose licences allow a shipped model
(see starter_corpus/README.md for their sources, licences and attribution), labelled by hand;
`distilled/<source>_<lang>.jsonl` more of those real texts, labelled by the accurate tier (causa.nlp.distill).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from causa.nlp.taxonomy import DEFAULT_CAUSES, SENTIMENTS, SUPPORTED_LANGUAGES


@dataclass(frozen=True)
class LabelledText:
    text: str
    language: str
    sentiment: str
    causes: tuple[str, ...]
    distilled: bool = False
    """Labelled by the accurate tier (causa.nlp.distill), not by hand: the fast tier learns from it, the encoder heads not."""


REAL_DIR = "real"
DISTILLED_DIR = "distilled"


def starter_corpus_dir() -> Path:
    return Path(str(resources.files("causa.nlp") / "starter_corpus"))


def corpus_files(directory: Path | None = None, distilled: bool = True) -> list[tuple[Path, str]]:
    """Each corpus file with its language: the written `<lang>.jsonl`, then `real/<source>_<lang>.jsonl`, then
    (with `distilled`) `distilled/<source>_<lang>.jsonl`, real texts labelled by the accurate tier (causa.nlp.distill)."""
    directory = directory or starter_corpus_dir()
    files = [(directory / f"{lang}.jsonl", lang) for lang in SUPPORTED_LANGUAGES]
    folders = [REAL_DIR, DISTILLED_DIR] if distilled else [REAL_DIR]
    for path in sorted(path for folder in folders for path in (directory / folder).glob("*.jsonl")):
        lang = path.stem.rsplit("_", 1)[-1]
        if lang not in SUPPORTED_LANGUAGES:
            raise ValueError(f"{path}: the name must end in _<language>, one of {list(SUPPORTED_LANGUAGES)}")
        files.append((path, lang))
    return files


def load_starter_corpus(directory: Path | None = None, distilled: bool = True) -> list[LabelledText]:
    """Every labelled item of the corpus files (see corpus_files); a bad line names itself."""
    items = []
    for path, lang in corpus_files(directory, distilled):
        by_teacher = path.parent.name == DISTILLED_DIR
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                items.append(_parse_line(line, lang, f"{path}:{number}", by_teacher))
    return items


def _parse_line(line: str, lang: str, where: str, distilled: bool) -> LabelledText:
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
    return LabelledText(text=text, language=lang, sentiment=sentiment, causes=causes, distilled=distilled)


def corpus_fingerprint(directory: Path | None = None) -> str:
    """sha256 over the corpus files, to tell which corpus a model was trained on."""
    digest = hashlib.sha256()
    for path, _ in corpus_files(directory):
        digest.update(path.read_bytes())
    return digest.hexdigest()
