"""spaCy blank pipelines per language that give each token a matching key: lemma, accents stripped, stemmed."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer
import spacy
from spacy.language import Language
from spacy.lookups import load_lookups
from spacy.tokens import Doc

from nlp.taxonomy import SUPPORTED_LANGUAGES

logger = logging.getLogger(__name__)

STEMMER_NAMES = {"en": "english", "pt": "portuguese", "es": "spanish", "ro": "romanian", "ru": "russian"}
TOKENIZER_FOR_OTHER = "xx"
URL_KEY = "<url>"
USER_KEY = "<user>"
NUMBER_KEY = "<num>"
REPEATS = re.compile(r"(.)\1{2,}")
KEY_COMPONENT = "causa_token_keys"
KEY_CACHE_SIZE = 200_000

_lock = threading.Lock()


def strip_accents(text: str) -> str:
    """Text without combining marks (é -> e, ă -> a); Cyrillic й and ё keep their base letter."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def squeeze_repeats(word: str) -> str:
    """Runs of three or more of the same character cut to two ("sooooo" -> "soo")."""
    return REPEATS.sub(r"\1\1", word)


class TokenKeyer:
    """Maps a lowercased token to its key: lookup lemma, accents stripped, Snowball stem; cached."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._lemmas = _lemma_table(lang) if lang in STEMMER_NAMES else {}
        self._stemmer = snowballstemmer.stemmer(STEMMER_NAMES[lang]) if lang in STEMMER_NAMES else None
        self.key = lru_cache(maxsize=KEY_CACHE_SIZE)(self._key)

    def _key(self, lower: str) -> str:
        word = squeeze_repeats(lower)
        lemma = self._lemmas.get(word, word) if self._lemmas else word
        plain = strip_accents(lemma.replace("ё", "е"))
        if self._stemmer is None or not plain.isalpha():
            return plain
        return self._stemmer.stemWord(plain)


@lru_cache(maxsize=None)
def _lemma_table(lang: str) -> dict[str, str]:
    """The spacy-lookups-data lemma lookup table of a language (loaded once per process)."""
    logger.info("loading the %s lemma lookup table", lang)
    return dict(load_lookups(lang, ["lemma_lookup"]).get_table("lemma_lookup").items())


def token_key(token_text: str, keyer: TokenKeyer, like_url: bool = False) -> str:
    """The key of one token: placeholders for URLs, @mentions and numbers, else the keyer's key."""
    if like_url:
        return URL_KEY
    if token_text.startswith("@") and len(token_text) > 1:
        return USER_KEY
    if token_text.isdigit():
        return NUMBER_KEY
    return keyer.key(token_text.lower())


def set_token_keys(doc: Doc, keyer: TokenKeyer) -> Doc:
    """Writes each token's key into token.norm_, the attribute the cue matcher and the features read."""
    for token in doc:
        key = token_key(token.text, keyer, token.like_url)
        token.norm_ = key
        if keyer._lemmas:
            token.lemma_ = keyer._lemmas.get(token.lower_, token.lower_)
    return doc


@Language.factory(KEY_COMPONENT)
def make_token_keys(nlp: Language, name: str) -> "TokenKeysComponent":
    return TokenKeysComponent(nlp.lang)


class TokenKeysComponent:
    """spaCy component: lookup lemmatisation plus matching keys in token.norm_."""

    def __init__(self, lang: str) -> None:
        self.keyer = TokenKeyer(lang)

    def __call__(self, doc: Doc) -> Doc:
        return set_token_keys(doc, self.keyer)


def build_pipeline(lang: str) -> Language:
    """A blank spaCy pipeline for a supported language (or the multi-language tokenizer) with token keys."""
    spacy_lang = lang if lang in SUPPORTED_LANGUAGES else TOKENIZER_FOR_OTHER
    nlp = spacy.blank(spacy_lang)
    nlp.add_pipe(KEY_COMPONENT)
    return nlp


@lru_cache(maxsize=None)
def pipeline_for(lang: str) -> Language:
    """The shared pipeline of a language, built once per process."""
    with _lock:
        return build_pipeline(lang)


def key_phrase(phrase: str, lang: str) -> list[str]:
    """The token keys of a phrase (a cue or a lexicon entry), as the pipeline would key it in a text."""
    return [token.norm_ for token in pipeline_for(lang)(phrase) if not token.is_space]
