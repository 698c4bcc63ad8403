"""Per-language cause cues and sentiment lexicons, matched with spaCy's PhraseMatcher on token keys."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from importlib import resources
from operator import itemgetter
from pathlib import Path
from typing import Mapping, Sequence

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

logger = logging.getLogger(__name__)

POSITIVE = "POSITIVE"
NEGATIVE = "NEGATIVE"
NEGATION_WINDOW = 3
LEXICON_KEYS = ("positive", "negative", "negators", "intensifiers")


@dataclass(frozen=True)
class CueMatch:
    """A cause cue found in a text: character offsets into the text as given."""

    cause: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class DocSignals:
    """What the cues and the lexicon found in one text."""

    cue_matches: tuple[CueMatch, ...]
    positive: float
    negative: float
    negated: int


@dataclass(frozen=True)
class LanguageResources:
    """The raw cue phrases (by cause) and lexicon lists of one language."""

    cues: Mapping[str, Sequence[str]]
    lexicon: Mapping[str, Sequence[str]]


def packaged_resources_dir() -> Path:
    return Path(str(resources.files("causa.nlp")))


def load_resources(root: Path, languages: Sequence[str]) -> dict[str, LanguageResources]:
    """Cue and lexicon files `<root>/cues/<lang>.json` and `<root>/lexicons/<lang>.json` of each language."""
    loaded = {}
    for lang in languages:
        cues = _read_json(root / "cues" / f"{lang}.json")
        lexicon = _read_json(root / "lexicons" / f"{lang}.json")
        missing = [key for key in LEXICON_KEYS if key not in lexicon]
        if missing:
            raise ValueError(f"{root / 'lexicons' / (lang + '.json')} lacks lists {missing}")
        loaded[lang] = LanguageResources(cues=cues, lexicon=lexicon)
    return loaded


def _read_json(path: Path) -> dict[str, list[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"resource file not found: {path}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(data, dict) or not all(isinstance(value, list) for value in data.values()):
        raise ValueError(f"{path} must map names to lists of phrases")
    return data


class SignalMatcher:
    """Finds cause cues and lexicon words in the docs of one language."""

    def __init__(self, nlp: Language, resources_: LanguageResources) -> None:
        self.matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        for cause, phrases in resources_.cues.items():
            self.matcher.add(cause, list(nlp.pipe(_clean(phrases))))
        self.matcher.add(POSITIVE, list(nlp.pipe(_clean(resources_.lexicon["positive"]))))
        self.matcher.add(NEGATIVE, list(nlp.pipe(_clean(resources_.lexicon["negative"]))))
        self.negators = _single_token_keys(nlp, resources_.lexicon["negators"])
        self.intensifiers = _single_token_keys(nlp, resources_.lexicon["intensifiers"])
        self.causes = tuple(resources_.cues)
        self._labels = {nlp.vocab.strings[label]: label for label in (*self.causes, POSITIVE, NEGATIVE)}

    def signals(
        self, doc: Doc, text: str, norms: Sequence[int], starts: Sequence[int], ends: Sequence[int]
    ) -> DocSignals:
        """Cues and lexicon hits of a doc of `text` whose tokens have these key hashes and character offsets."""
        cue_matches: list[CueMatch] = []
        positive = negative = 0.0
        negated = 0
        labels, negators, intensifiers = self._labels, self.negators, self.intensifiers
        for match_id, start, end in _longest_first(self.matcher(doc)):
            label = labels[match_id]
            is_negated = not negators.isdisjoint(norms[max(0, start - NEGATION_WINDOW) : start])
            if label in (POSITIVE, NEGATIVE):
                weight = 1.5 if start > 0 and norms[start - 1] in intensifiers else 1.0
                negated += is_negated
                if (label == POSITIVE) != is_negated:
                    positive += weight
                else:
                    negative += weight
            elif not is_negated:
                first, last = starts[start], ends[end - 1]
                cue_matches.append(CueMatch(label, first, last, text[first:last]))
        return DocSignals(tuple(cue_matches), positive, negative, negated)


def _single_token_keys(nlp, words: Sequence[str]) -> set[int]:
    """Key hashes of the one-token entries of a word list."""
    return {doc[0].norm for doc in nlp.pipe(_clean(words)) if len(doc) == 1}


def _clean(phrases: Sequence[str]) -> list[str]:
    return sorted({phrase.strip().lower() for phrase in phrases if isinstance(phrase, str) and phrase.strip()})


def _longest_first(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Matches without overlaps within a label, longer ones preferred."""
    if len(matches) < 2:
        return matches
    kept: list[tuple[int, int, int]] = []
    taken: dict[int, set[int]] = {}
    for match in sorted(matches, key=_longer_then_earlier):
        match_id, start, end = match
        span = range(start, end)
        used = taken.get(match_id)
        if used is None:
            taken[match_id] = set(span)
        elif used.isdisjoint(span):
            used.update(span)
        else:
            continue
        kept.append(match)
    kept.sort(key=itemgetter(1))
    return kept


def _longer_then_earlier(match: tuple[int, int, int]) -> tuple[int, int]:
    return match[1] - match[2], match[1]
