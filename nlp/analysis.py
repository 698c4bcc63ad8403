"""One pass of spaCy over a batch of texts: token keys for features, cue matches, lexicon signals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from nlp.cues import DocSignals, LanguageResources, SignalMatcher
from nlp.taxonomy import SUPPORTED_LANGUAGES
from nlp.text import pipeline_for, strip_accents

PIPE_BATCH_SIZE = 1000


@dataclass(frozen=True)
class AnalysedText:
    """A text as the models see it."""

    text: str
    language: str
    keys: str
    """Space-joined token keys (lemma, no accents, stemmed; <url>, <user>, <num> placeholders)."""
    flat: str
    """Lowercased text without accents, for character n-grams."""
    signals: DocSignals
    token_offsets: tuple[tuple[int, int, str], ...]
    """(start, end, key) of each token, to point at the tokens that pushed a decision."""


NO_SIGNALS = DocSignals(cue_matches=(), positive=0.0, negative=0.0, negated=0)


class TextAnalyser:
    """Runs each language's pipeline and matcher over the texts of that language, batch by batch."""

    def __init__(self, resources: Mapping[str, LanguageResources]) -> None:
        self.matchers = {lang: SignalMatcher(lang, res) for lang, res in resources.items()}

    def analyse(self, texts: Sequence[str], languages: Sequence[str]) -> list[AnalysedText]:
        if len(texts) != len(languages):
            raise ValueError(f"{len(texts)} texts but {len(languages)} languages")
        results: list[AnalysedText | None] = [None] * len(texts)
        by_language: dict[str, list[int]] = {}
        for index, lang in enumerate(languages):
            by_language.setdefault(lang if lang in SUPPORTED_LANGUAGES else "other", []).append(index)
        for lang, indices in by_language.items():
            nlp = pipeline_for(lang)
            matcher = self.matchers.get(lang)
            docs = nlp.pipe((texts[i] for i in indices), batch_size=PIPE_BATCH_SIZE)
            for index, doc in zip(indices, docs):
                keys = [token.norm_ for token in doc if not token.is_space and not token.is_punct or token.text in "!?"]
                results[index] = AnalysedText(
                    text=texts[index],
                    language=languages[index],
                    keys=" ".join(keys),
                    flat=strip_accents(doc.text.lower()),
                    signals=matcher.signals(doc) if matcher else NO_SIGNALS,
                    token_offsets=tuple(
                        (token.idx, token.idx + len(token.text), token.norm_) for token in doc if not token.is_space
                    ),
                )
        return results  # type: ignore[return-value]
