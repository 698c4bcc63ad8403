"""spaCy blank pipelines per language that give each token a matching key: lemma, accents stripped, stemmed."""

from __future__ import annotations

import gzip
import json
import logging
import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Callable, Iterable, Mapping

import numpy as np
import spacy
import Stemmer
from spacy.attrs import LEMMA, NORM, ORTH
from spacy.language import Language
from spacy.lookups import Lookups, Table
from spacy.tokens import Doc
from spacy.training import Example
from spacy.vocab import Vocab

from causa.nlp.taxonomy import SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)

STEMMER_NAMES = {"en": "english", "pt": "portuguese", "es": "spanish", "ro": "romanian", "ru": "russian"}
TOKENIZER_FOR_OTHER = "xx"
URL_KEY = "<url>"
USER_KEY = "<user>"
NUMBER_KEY = "<num>"
REPEATS = re.compile(r"(.)\1{2,}")
KEY_COMPONENT = "causa_token_keys"
LEMMA_TABLE = "lemma_lookup"
"""The name of the lemma table in spaCy lookups (the one spaCy's lookup lemmatizer reads)."""
KEY_CACHE_SIZE = 200_000


def strip_accents(text: str) -> str:
    """Text without combining marks (é -> e, ă -> a); Cyrillic й and ё keep their base letter."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def squeeze_repeats(word: str) -> str:
    """Runs of three or more of the same character cut to two ("sooooo" -> "soo")."""
    return REPEATS.sub(r"\1\1", word)


class TokenKeyer:
    """Maps a token's text to its key (lookup lemma, accents stripped, Snowball stem) and its lemma; cached.

    `lemmas` is the lookup table (lowercased form to lemma: a dict or a spaCy lookups Table); None takes
    spacy-lookups-data's whole table, read when the first lemma is looked up.
    """

    def __init__(self, lang: str, lemmas: Mapping[str, str] | Table | None = None) -> None:
        self.lang = lang
        self._lemmas = lemmas if lemmas is not None or lang in STEMMER_NAMES else {}
        self._stemmers = threading.local()
        """A Snowball stemmer keeps the word it is stemming in itself: two threads sharing one corrupt each other's
        stems, so each thread gets its own."""
        self._by_orth: dict[int, tuple[int, int]] = {}

    def lemma(self, lower: str) -> str:
        lemmas = self._lemmas
        if lemmas is None:
            lemmas = self._lemmas = full_lemma_table(self.lang)
        return lemmas.get(lower, lower)

    def key(self, text: str, like_url: bool = False) -> str:
        """The key of one token: placeholders for URLs, @mentions and numbers, else lemma, unaccented, stemmed."""
        if like_url:
            return URL_KEY
        if text.startswith("@") and len(text) > 1:
            return USER_KEY
        if text.isdigit():
            return NUMBER_KEY
        word = squeeze_repeats(text.lower())
        plain = strip_accents(self.lemma(word).replace("ё", "е"))
        if self.lang not in STEMMER_NAMES or not plain.isalpha():
            return plain
        return self._thread_stemmer().stemWord(plain)

    def _thread_stemmer(self) -> Stemmer.Stemmer:
        stemmer = getattr(self._stemmers, "stemmer", None)
        if stemmer is None:
            stemmer = self._stemmers.stemmer = Stemmer.Stemmer(STEMMER_NAMES[self.lang])
        return stemmer

    def set_keys(self, doc: Doc) -> Doc:
        """Writes each token's key into token.norm_ and its lookup lemma into token.lemma_, in one array pass."""
        if not len(doc):
            return doc
        if len(self._by_orth) > KEY_CACHE_SIZE:
            self._by_orth.clear()
        orths = doc.to_array(ORTH).tolist()
        entries = list(map(self._by_orth.get, orths))
        if None in entries:
            entries = [entry or self._entry(doc.vocab, orth) for entry, orth in zip(entries, orths)]
        doc.from_array([NORM, LEMMA], np.array(entries, dtype=np.uint64))
        return doc

    def _entry(self, vocab: Vocab, orth: int) -> tuple[int, int]:
        """The (key hash, lemma hash) of a token text not seen before, added to the cache."""
        lexeme = vocab[orth]
        entry = (
            vocab.strings.add(self.key(lexeme.orth_, lexeme.like_url)),
            vocab.strings.add(self.lemma(lexeme.lower_)),
        )
        self._by_orth[orth] = entry
        return entry


@lru_cache(maxsize=None)
def full_lemma_table(lang: str) -> dict[str, str]:
    """The spacy-lookups-data lemma lookup table of a language (loaded once per process)."""
    path = resources.files("spacy_lookups_data") / "data" / f"{lang}_lemma_lookup.json.gz"
    logger.info("loading the %s lemma lookup table from %s", lang, path)
    with gzip.open(str(path), "rt", encoding="utf-8") as handle:
        return json.load(handle)


@Language.factory(KEY_COMPONENT, default_config={"table": LEMMA_TABLE})
def make_token_keys(nlp: Language, name: str, table: str) -> "TokenKeysComponent":
    return TokenKeysComponent(nlp.vocab, name, table)


class TokenKeysComponent:
    """spaCy component: lookup lemmatisation plus matching keys in token.norm_.

    `initialize` takes the lemma table named `table` from its `lookups` (as spaCy's lookup lemmatizer does);
    without lookups, a supported language gets spacy-lookups-data's table and any other language none.
    """

    def __init__(self, vocab: Vocab, name: str = KEY_COMPONENT, table: str = LEMMA_TABLE) -> None:
        self.vocab = vocab
        self.name = name
        self.table = table
        self.keyer: TokenKeyer | None = None

    def initialize(self, get_examples: Callable[[], Iterable[Example]] | None = None, *,
                   nlp: Language | None = None, lookups: Lookups | None = None) -> None:
        """Loads the lemma table; `get_examples` and `nlp` are spaCy's initialize arguments, not needed here."""
        lemmas = lookups.get_table(self.table) if lookups is not None else None
        self.keyer = TokenKeyer(self.vocab.lang, lemmas)

    def __call__(self, doc: Doc) -> Doc:
        if self.keyer is None:
            raise ValueError(f"the {self.name!r} component is not initialised: call nlp.initialize() or its "
                             f"initialize(lookups=...) first")
        return self.keyer.set_keys(doc)


def lemma_lookups(lemmas: Mapping[str, str]) -> Lookups:
    """A lemma table as the spaCy lookups the token keys component is initialised with."""
    lookups = Lookups()
    lookups.add_table(LEMMA_TABLE, dict(lemmas))
    return lookups


def build_pipeline(lang: str, lemmas: Mapping[str, str] | None = None) -> Language:
    """A blank spaCy pipeline for a supported language (or the multi-language tokenizer) with token keys.

    `lemmas` is the lemma lookup table to use (None: spacy-lookups-data's whole table, read on first use).
    """
    spacy_lang = lang if lang in SUPPORTED_LANGUAGES else TOKENIZER_FOR_OTHER
    nlp = spacy.blank(spacy_lang)
    component = nlp.add_pipe(KEY_COMPONENT)
    component.initialize(nlp=nlp, lookups=None if lemmas is None else lemma_lookups(lemmas))
    return nlp


def stop_words_of(lang: str) -> frozenset[str]:
    """spaCy's stop words of a supported language (the multi-language tokenizer's for another one)."""
    spacy_lang = lang if lang in SUPPORTED_LANGUAGES else TOKENIZER_FOR_OTHER
    return frozenset(spacy.util.get_lang_class(spacy_lang).Defaults.stop_words)


def pruned_lemma_table(lang: str, useful_keys: set[str], lemmas: Mapping[str, str] | None = None) -> dict[str, str]:
    """The entries of the lemma table (None: the full one) that change a token's key to one of `useful_keys`.

    Other entries cannot change a model's features (their key is unknown to it, or the stem alone gives the
    same key), so a trained model ships only these.
    """
    if lang not in STEMMER_NAMES:
        return {}
    table = full_lemma_table(lang) if lemmas is None else lemmas
    with_lemmas = TokenKeyer(lang, table)
    bare = TokenKeyer(lang, {})
    lemma_keys: dict[str, str] = {}
    kept = {}
    for form, lemma in table.items():
        key = lemma_keys.get(lemma)
        if key is None:
            key = lemma_keys[lemma] = with_lemmas.key(lemma)
        if key in useful_keys and with_lemmas.key(form) == key and bare.key(form) != key:
            kept[form] = lemma
    return kept
