"""One pass of spaCy over a batch of texts: token keys for features, cue matches, lexicon signals."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress
from operator import add
from typing import Mapping, Sequence

from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH, NORM
from spacy.language import Language
from spacy.tokens import Doc

from causa.nlp.cues import DocSignals, LanguageResources, SignalMatcher
from causa.nlp.taxonomy import OTHER_LANGUAGE, SUPPORTED_LANGUAGES
from causa.nlp.text import KEY_CACHE_SIZE, build_pipeline, stop_words_of, strip_accents

PIPE_BATCH_SIZE = 1000
KEPT_PUNCTUATION = ("!", "?")


@dataclass(frozen=True)
class AnalysedText:
    """A text as the models see it."""

    text: str
    language: str
    keys: str
    """Space-joined token keys (lemma, no accents, stemmed; <url>, <user>, <num> placeholders)."""
    signals: DocSignals
    token_offsets: tuple[tuple[int, int, str], ...]
    """(start, end, key) of each token, to point at the tokens that pushed a decision."""

    @property
    def flat(self) -> str:
        """Lowercased text without accents, for character n-grams."""
        return strip_accents(self.text.lower())


NO_SIGNALS = DocSignals(cue_matches=(), positive=0.0, negative=0.0, negated=0)


class TextAnalyser:
    """Runs each language's pipeline and matcher over the texts of that language, batch by batch.

    `lemma_tables` holds each language's lemma lookup table; a language without one uses spacy-lookups-data's.
    """

    def __init__(
        self,
        resources: Mapping[str, LanguageResources],
        lemma_tables: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.resources = dict(resources)
        self.lemma_tables = dict(lemma_tables or {})
        self.languages = (*self.resources, OTHER_LANGUAGE)
        """The languages with a pipeline: those with resources, then `other` (the multi-language tokenizer)."""
        self._pipelines: dict[str, Language] = {}
        self._matchers: dict[str, SignalMatcher | None] = {}
        self._stop_words: dict[str, frozenset[str]] = {}
        self._key_texts: dict[int, str] = {}

    def pipeline(self, lang: str) -> Language:
        """The spaCy pipeline of a language (`other`'s for a language without one), built on first use."""
        if lang not in self.languages:
            lang = OTHER_LANGUAGE
        if lang not in self._pipelines:
            self._pipelines[lang] = build_pipeline(lang, self.lemma_tables.get(lang))
        return self._pipelines[lang]

    def matcher(self, lang: str) -> SignalMatcher | None:
        """The cue and lexicon matcher of a language with resources, built on first use; None for others."""
        if lang not in self._matchers:
            res = self.resources.get(lang)
            self._matchers[lang] = SignalMatcher(self.pipeline(lang), res) if res is not None else None
        return self._matchers[lang]

    def stop_words(self, lang: str) -> frozenset[str]:
        """spaCy's stop words of the language, lower case, also without accents (every language's for other)."""
        if lang not in self._stop_words:
            languages = [lang] if lang in self.resources else list(self.languages)
            words = {word.lower() for name in languages for word in stop_words_of(name)}
            self._stop_words[lang] = frozenset(words | {strip_accents(word) for word in words})
        return self._stop_words[lang]

    def analyse(self, texts: Sequence[str], languages: Sequence[str]) -> list[AnalysedText]:
        if len(texts) != len(languages):
            raise ValueError(f"{len(texts)} texts but {len(languages)} languages")
        results: list[AnalysedText | None] = [None] * len(texts)
        by_language: dict[str, list[int]] = {}
        for index, lang in enumerate(languages):
            by_language.setdefault(lang if lang in SUPPORTED_LANGUAGES else OTHER_LANGUAGE, []).append(index)
        for lang, indices in by_language.items():
            nlp = self.pipeline(lang)
            matcher = self.matcher(lang)
            docs = nlp.pipe((texts[i] for i in indices), batch_size=PIPE_BATCH_SIZE)
            for index, doc in zip(indices, docs):
                results[index] = self._analysed(doc, texts[index], languages[index], matcher)
        if len(self._key_texts) > KEY_CACHE_SIZE:
            self._key_texts.clear()
        return results  # type: ignore[return-value]

    def _key_texts_of(self, doc: Doc, norms: Sequence[int]) -> list[str]:
        """The key text of each key hash, from a cache (the string store decodes a new str on every lookup)."""
        key_texts = list(map(self._key_texts.get, norms))
        if None in key_texts:
            strings = doc.vocab.strings
            key_texts = [
                key if key is not None else self._key_texts.setdefault(norm, strings[norm])
                for key, norm in zip(key_texts, norms)
            ]
        return key_texts

    def _analysed(self, doc: Doc, text: str, language: str, matcher: SignalMatcher | None) -> AnalysedText:
        """One doc's keys, signals and token offsets, read from its attribute arrays."""
        if not len(doc):
            signals = matcher.signals(doc, text, [], [], []) if matcher else NO_SIGNALS
            return AnalysedText(text=text, language=language, keys="", signals=signals, token_offsets=())
        norms, starts, lengths, spaces, puncts = zip(*doc.to_array([NORM, IDX, LENGTH, IS_SPACE, IS_PUNCT]).tolist())
        ends = list(map(add, starts, lengths))
        key_texts = self._key_texts_of(doc, norms)
        if any(spaces) or any(puncts):
            keys = [
                key for key, space, punct in zip(key_texts, spaces, puncts)
                if not space and (not punct or key in KEPT_PUNCTUATION)
            ]
        else:
            keys = key_texts
        offsets = zip(starts, ends, key_texts)
        return AnalysedText(
            text=text,
            language=language,
            keys=" ".join(keys),
            signals=matcher.signals(doc, text, norms, starts, ends) if matcher else NO_SIGNALS,
            token_offsets=tuple(compress(offsets, [not space for space in spaces]) if any(spaces) else offsets),
        )
