"""Language identification restricted to the supported languages (en, pt, es, ro, ru).

A fast hybrid. Most texts are decided in pure Python from cheap evidence:

1. script: Cyrillic text is Russian unless it carries letters Russian does not have
   (Ukrainian і ї є ґ, Serbian/Macedonian ј љ њ ..., Kazakh ә қ ...) or Bulgarian cues;
   text mostly in another script (CJK, Arabic, Greek, Hebrew, ...) is "other";
2. letters that mark a language (ă ș ț for Romanian, ã õ for Portuguese, ñ ¿ ¡ for Spanish,
   ß ł ğ å ... for languages we do not support);
3. function words: each token is scored against per-language word lists (a curated list of
   the most frequent words per language plus spaCy's stop words), a word's weight being
   shared among the languages that use it.

Texts these signals leave ambiguous (few words, close scores, for instance pt/es/gl/ca or
ro/it) go to lingua, built once, lazily, for the five languages and a few confusable ones
(mapped to "other"). Texts with too few letters, or where lingua is unsure, get the
fallback language.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from causa.nlp.taxonomy import OTHER_LANGUAGE, SUPPORTED_LANGUAGES
from causa.nlp.word_lists import SPACY_STOP_WORDS, read_word_lists

if TYPE_CHECKING:  # pragma: no cover
    import lingua

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------
# Tunables. Scores are in "distinctive function word" units: a curated word only one
# language uses counts 1, a word several languages use is shared among them.

#: Only this many characters of a text are looked at (long reviews are decided early on).
MAX_CHARS = 300
#: Fewer letters than this (after removing URLs, mentions, digits, emoji): fallback.
MIN_LETTERS = 3
#: Texts of fewer words than this that the fast path cannot place get the fallback.
MIN_WORDS = 2
#: A language wins outright with a score of at least MIN_SCORE_LOW and at least
#: MIN_RATIO_LOW times the runner-up's ...
MIN_SCORE_LOW = 1.0
MIN_RATIO_LOW = 3.0
#: ... or, with at least MIN_SCORE (or in texts of at most SHORT_TEXT_WORDS words:
#: "thanks", "obrigado"), MIN_RATIO times the runner-up's ...
MIN_SCORE = 1.5
SHORT_TEXT_WORDS = 3
MIN_RATIO = 2.0
#: ... and at least this much more than the runner-up.
MIN_MARGIN = 0.75
#: For ambiguous texts lingua's confidence in a language is multiplied by
#: exp(LINGUA_SCORE_WEIGHT * the language's score) ...
LINGUA_SCORE_WEIGHT = 1.0
#: ... and by this for the supported languages, which is what feedback is mostly written in;
SUPPORTED_PRIOR = 2.0
#: the best language must come out this many times as likely as the runner-up, or the
#: text gets the fallback.
MIN_LINGUA_RATIO = 1.5
#: Weight of a spaCy stop word that is not in the curated list of its language.
EXTENDED_WEIGHT = 0.5

# spaCy stop-word lists used besides the curated ones (Latin-script languages we do not
# support are recognised by them). Cyrillic languages use only letters and curated words:
# the Ukrainian and Bulgarian lists hold many words spelt alike in Russian ("день", "дни").
_SPACY_LANGUAGES: tuple[str, ...] = (
    "en", "pt", "es", "ro", "fr", "it", "de", "nl", "ca",
    "pl", "tr", "sv", "da", "nb", "cs", "sk", "hu", "fi", "id", "hr", "sl", "sq", "lv",
    "lt", "et", "eu", "tl", "af", "ga",
)  # fmt: skip

#: Per letter, at most this many occurrences count.
_LETTER_CAP = 3

#: The curated word lists (package data), read once when the tables are built:
#: - core_words: per language, the most frequent, most telling words, written with and
#:   without diacritics where people drop them. Shared words are fine: weights are divided
#:   among the languages that use a word;
#: - international_words: words used alike in many languages, which some stop-word lists
#:   claim all the same (never counted);
#: - single_letter_words: per language, the single letters that are words worth counting;
#: - letter_hints, letter_range_hints: letters that point to a language. Each occurrence of
#:   a letter adds its weight (capped per letter), so one stray accent does not outweigh the
#:   words.
_WORD_LISTS = "language_detection"

# Cyrillic: the Russian alphabet, the letters only Russian has among its neighbours, and
# the letters Russian lacks.
_RU_ALPHABET = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_RU_ONLY = frozenset("ыэё")
_UK_LETTERS = frozenset("іїєґ")
#: Above this share of words with Ukrainian letters, a text is not Russian.
_UK_MAX_SHARE = 0.2
#: ъ not followed by a vowel: Bulgarian (in Russian it only sits before е ё ю я).
_BG_HARD_SIGN_RE = re.compile(r"ъ(?![еёюя])")

# ---------------------------------------------------------------------------------------
# Text cleaning and tokenising.

_NOISE_RE = re.compile(
    r"(?:https?://|www\.)\S+"  # URLs
    r"|\S*@\S+"  # mentions and e-mail addresses
    r"|&(?:amp|lt|gt|quot|apos|nbsp);"  # HTML entities left by scrapers
)
_LATIN_WORD_RE = re.compile(r"[a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]+")
#: Cyrillic words, leaving out ordinal endings after numbers ("18-го", "7-й").
_CYRILLIC_WORD_RE = re.compile(r"(?<![\d\u0400-\u04ff-])[\u0400-\u04ff]+")
#: Letters of any other script (CJK, Arabic, Greek, Hebrew, Devanagari, Thai, ...).
_OTHER_LETTER_RE = re.compile(
    r"[^\W\d_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff\u0400-\u04ff]"
)
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
#: Letters of another script count this much more than a Latin or Cyrillic letter.
_OTHER_SCRIPT_WEIGHT = 2.0


def _strip_accents(word: str) -> str:
    """The word without combining diacritics ("dezamăgit" -> "dezamagit")."""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class _Script(NamedTuple):
    """The languages one score vector covers."""

    #: in score-vector order, the supported ones first ...
    languages: tuple[str, ...]
    #: ... this many of them
    n_supported: int
    #: language -> index in the score vector
    position: dict[str, int]

    @classmethod
    def of(cls, languages: Sequence[str]) -> _Script:
        ordered = tuple(languages)
        n_supported = sum(lang in SUPPORTED_LANGUAGES for lang in ordered)
        if set(ordered[:n_supported]) - set(SUPPORTED_LANGUAGES):
            raise ValueError(f"supported languages must come first, got {ordered}")
        return cls(ordered, n_supported, {lang: i for i, lang in enumerate(ordered)})


class _Tables(NamedTuple):
    """Lookup tables built once from the word lists."""

    latin: _Script
    #: Latin token -> ((language index, weight), ...)
    latin_words: dict[str, tuple[tuple[int, float], ...]]
    #: letter -> ((language index, weight), ...)
    letters: dict[str, tuple[tuple[int, float], ...]]
    #: Cyrillic token -> ((index in _CYRILLIC.languages, weight), ...)
    cyrillic_words: dict[str, tuple[tuple[int, float], ...]]


_CYRILLIC = _Script.of(("ru", "uk", "bg"))


class _WordLists(NamedTuple):
    """The curated word lists, as the table builder uses them."""

    core_words: dict[str, list[str]]
    international_words: frozenset[str]
    single_letter_words: dict[str, str]
    #: letter -> {language: weight}, in file order
    letter_hints: dict[str, dict[str, float]]


def _read_word_lists() -> _WordLists:
    lists = read_word_lists(_WORD_LISTS)
    letter_hints = dict(lists["letter_hints"])
    for span in lists["letter_range_hints"]:
        for code in range(ord(span["first"]), ord(span["last"]) + 1):
            letter_hints[chr(code)] = dict(span["hints"])
    return _WordLists(
        core_words=lists["core_words"],
        international_words=frozenset(lists["international_words"]),
        single_letter_words=lists["single_letter_words"],
        letter_hints=letter_hints,
    )


def _weigh(
    raw: dict[str, dict[int, float]],
) -> dict[str, tuple[tuple[int, float], ...]]:
    """Divide each word's weight among the languages that use it.

    A curated word counts 1 and a spaCy-only word EXTENDED_WEIGHT before the division, so
    "nu", curated for Romanian and Dutch but only a spaCy stop word in Swedish and Danish,
    leans towards the first two.
    """
    weighted = {}
    for form, per_lang in raw.items():
        total = max(1.0, sum(per_lang.values()))
        weighted[form] = tuple((i, w / total) for i, w in sorted(per_lang.items()))
    return weighted


def _build_tables() -> _Tables:
    """Assemble the word and letter tables (about 13,000 words; well under 0.1 s once spaCy's language data is in)."""
    lists = _read_word_lists()
    # Supported languages first (see LanguageDetector._decide).
    latin = [lang for lang in SUPPORTED_LANGUAGES if lang not in _CYRILLIC.position]
    latin += [lang for lang in lists.core_words if lang not in latin]
    latin += [lang for lang in _SPACY_LANGUAGES if lang not in latin]
    latin += [lang for hints in lists.letter_hints.values() for lang in hints if lang not in latin]
    latin = list(dict.fromkeys(lang for lang in latin if lang not in _CYRILLIC.position))
    latin_index = {lang: i for i, lang in enumerate(latin)}
    cyrillic_index = _CYRILLIC.position
    latin_raw: dict[str, dict[int, float]] = {}
    cyrillic_raw: dict[str, dict[int, float]] = {}

    def add(word: str, lang: str, weight: float) -> None:
        if lang in cyrillic_index:
            raw, i, forms = cyrillic_raw, cyrillic_index[lang], {word}
        else:  # also without diacritics, as people often type it
            raw, i, forms = latin_raw, latin_index[lang], {word, _strip_accents(word)}
        for form in forms:
            if not form.isalpha():
                continue
            if len(form) < 2 and form not in lists.single_letter_words.get(lang, ""):
                continue
            per_lang = raw.setdefault(form, {})
            per_lang[i] = max(per_lang.get(i, 0.0), weight)

    for lang, words in lists.core_words.items():
        for word in words:
            for part in re.split(r"['’-]", word.lower()):
                add(part, lang, 1.0)
    spacy_stop_words = read_word_lists(SPACY_STOP_WORDS)
    for lang in _SPACY_LANGUAGES:
        for word in spacy_stop_words[lang]:
            for part in re.split(r"['’ -]", word.lower()):
                add(part, lang, EXTENDED_WEIGHT)
    for word in lists.international_words:
        latin_raw.pop(word, None)

    letters = {
        ch: tuple((latin_index[lang], w) for lang, w in hints.items())
        for ch, hints in lists.letter_hints.items()
    }
    return _Tables(_Script.of(latin), _weigh(latin_raw), letters, _weigh(cyrillic_raw))


_tables_lock = threading.Lock()
_tables: _Tables | None = None


def _get_tables() -> _Tables:
    global _tables
    if _tables is None:
        with _tables_lock:
            if _tables is None:
                _tables = _build_tables()
    return _tables


# ---------------------------------------------------------------------------------------
# lingua, for the ambiguous rest: built once, on first need, with a small language set.

_LINGUA_LANGUAGES: tuple[str, ...] = (
    "ENGLISH", "PORTUGUESE", "SPANISH", "ROMANIAN", "RUSSIAN",
    "FRENCH", "ITALIAN", "CATALAN", "GERMAN", "DUTCH", "UKRAINIAN", "BULGARIAN",
)  # fmt: skip

#: Fast-path languages lingua lacks -> the lingua language that takes them for itself.
_LINGUA_PROXIES: dict[str, str] = {"gl": "pt"}


class _Lingua(NamedTuple):
    """The shared lingua detector and how its languages map to ours."""

    detector: lingua.LanguageDetector
    #: lingua language -> our code ("other" for the confusable ones)
    codes: dict[object, str]
    #: lingua language -> its ISO 639-1 code, to find its fast-path score
    iso: dict[object, str]


_lingua_lock = threading.Lock()
_lingua: _Lingua | None = None


def _get_lingua() -> _Lingua:
    global _lingua
    if _lingua is None:
        with _lingua_lock:
            if _lingua is None:
                from lingua import Language, LanguageDetectorBuilder

                langs = [getattr(Language, name) for name in _LINGUA_LANGUAGES]
                iso = {lang: lang.iso_code_639_1.name.lower() for lang in langs}
                codes = {
                    lang: code if code in SUPPORTED_LANGUAGES else OTHER_LANGUAGE
                    for lang, code in iso.items()
                }
                logger.info("building the lingua detector for %d languages", len(langs))
                detector = LanguageDetectorBuilder.from_languages(*langs).build()
                _lingua = _Lingua(detector, codes, iso)
    return _lingua


def _warm_up_lingua(text: str) -> threading.Thread:
    """A thread that builds lingua and loads its models for the script of `text`, started now.

    Loading takes seconds and lingua releases the GIL for part of it, so it partly overlaps with the fast path over
    the rest of the batch; only a batch that has an ambiguous text starts it.
    """
    thread = threading.Thread(target=_lingua_confidences, args=(text,), name="lingua-warm-up", daemon=True)
    thread.start()
    return thread


def _lingua_confidences(text: str) -> list[lingua.ConfidenceValue]:
    return _get_lingua().detector.compute_language_confidence_values(text)


# ---------------------------------------------------------------------------------------


class _Undecided(NamedTuple):
    """What the fast path found for a text it could not decide: the evidence for lingua."""

    text: str
    #: language -> its index in scores
    position: dict[str, int]
    scores: list[float]


def _undecided(text: str, position: dict[str, int], scores: list[float]) -> _Undecided:
    """The evidence for lingua, with the text made safe for it (no lone surrogates)."""
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return _Undecided(text, position, scores)


class LanguageDetector:
    """Detect en, pt, es, ro or ru; anything else is "other"."""

    def __init__(self, fallback: str | None = None) -> None:
        if fallback is None:
            fallback = OTHER_LANGUAGE
        if not isinstance(fallback, str) or fallback not in (
            *SUPPORTED_LANGUAGES,
            OTHER_LANGUAGE,
        ):
            allowed = ", ".join((*SUPPORTED_LANGUAGES, OTHER_LANGUAGE))
            raise ValueError(f"fallback must be one of {allowed} or None, got {fallback!r}")
        self.fallback = fallback
        self._tables = _get_tables()

    def detect(self, text: str) -> str:
        """The language code of one text."""
        verdict = self._fast(_clean(text))
        if isinstance(verdict, str):
            return verdict
        lingua_ = _get_lingua()
        confidences = lingua_.detector.compute_language_confidence_values(verdict.text)
        return self._combine(verdict, confidences, lingua_)

    def detect_many(self, texts: Sequence[str]) -> list[str]:
        """The language codes of many texts; the ambiguous ones go to lingua in one batch."""
        results: list[str] = []
        pending: list[tuple[int, _Undecided]] = []
        warm_up: threading.Thread | None = None
        fast = self._fast
        for i, text in enumerate(texts):
            verdict = fast(_clean(text))
            if isinstance(verdict, str):
                results.append(verdict)
            else:
                results.append(self.fallback)
                pending.append((i, verdict))
                if warm_up is None:
                    warm_up = _warm_up_lingua(verdict.text)
        if warm_up is not None:
            warm_up.join()
        if pending:
            logger.debug("%d of %d texts left to lingua", len(pending), len(results))
            lingua_ = _get_lingua()
            unique = list(dict.fromkeys(undecided.text for _, undecided in pending))  # short texts recur
            batch = lingua_.detector.compute_language_confidence_values_in_parallel(unique)
            by_text = dict(zip(unique, batch, strict=True))
            for i, undecided in pending:
                results[i] = self._combine(undecided, by_text[undecided.text], lingua_)
        return results

    # -- internals ------------------------------------------------------------------------

    def _combine(
        self,
        undecided: _Undecided,
        confidences: Iterable[lingua.ConfidenceValue],
        lingua_: _Lingua,
    ) -> str:
        """Weigh lingua's confidences with the fast path's scores; the fallback if unsure.

        Each language's confidence is multiplied by exp(LINGUA_SCORE_WEIGHT * its score)
        so that the words the fast path counted tip close calls (pt/es, ro/it), and by
        SUPPORTED_PRIOR for the five supported languages. Languages lingua does not know
        borrow the confidence of their closest neighbour (Galician that of Portuguese).
        """
        position = undecided.position
        scores = undecided.scores
        by_iso: dict[str, float] = {}
        weighted: list[tuple[float, str]] = []
        for confidence in confidences:
            iso = lingua_.iso[confidence.language]
            by_iso[iso] = confidence.value
            i = position.get(iso)
            score = scores[i] if i is not None else 0.0
            code = lingua_.codes[confidence.language]
            prior = SUPPORTED_PRIOR if code != OTHER_LANGUAGE else 1.0
            boost = prior * math.exp(LINGUA_SCORE_WEIGHT * score)
            weighted.append((confidence.value * boost, code))
        for lang, proxy in _LINGUA_PROXIES.items():
            i = position.get(lang)
            if i is not None and scores[i] > 0.0:
                value = by_iso.get(proxy, 0.0) * math.exp(LINGUA_SCORE_WEIGHT * scores[i])
                weighted.append((value, OTHER_LANGUAGE))
        weighted.sort(reverse=True)
        if not weighted or weighted[0][0] <= 0.0:
            return self.fallback
        best, code = weighted[0]
        second = weighted[1][0] if len(weighted) > 1 else 0.0
        if best < MIN_LINGUA_RATIO * second:
            return self.fallback
        return code

    def _fast(self, text: str) -> str | _Undecided:
        """A verdict from script, letters and words, or the evidence gathered for lingua."""
        latin_words = _LATIN_WORD_RE.findall(text)
        if text.isascii():
            if sum(map(len, latin_words)) < MIN_LETTERS:
                return self.fallback
            return self._latin(text, latin_words, ())
        cyrillic_words = _CYRILLIC_WORD_RE.findall(text)
        latin_letters = sum(map(len, latin_words))
        cyrillic_letters = sum(map(len, cyrillic_words))
        other_letters = len(_OTHER_LETTER_RE.findall(text)) * _OTHER_SCRIPT_WEIGHT
        if latin_letters + cyrillic_letters + other_letters < MIN_LETTERS:
            return self.fallback
        if other_letters > latin_letters and other_letters > cyrillic_letters:
            return OTHER_LANGUAGE
        if cyrillic_letters > latin_letters:
            return self._cyrillic(text, cyrillic_words)
        return self._latin(text, latin_words, _NON_ASCII_RE.findall(text))

    def _latin(
        self, text: str, words: Sequence[str], non_ascii: Sequence[str]
    ) -> str | _Undecided:
        tables = self._tables
        scores = [0.0] * len(tables.latin.languages)
        for hits in map(tables.latin_words.get, words):
            if hits is not None:
                for i, weight in hits:
                    scores[i] += weight
        if non_ascii:
            letters = tables.letters
            counts: dict[str, int] = {}
            for ch in non_ascii:
                if ch in letters:
                    counts[ch] = counts.get(ch, 0) + 1
            for ch, count in counts.items():
                for i, weight in letters[ch]:
                    scores[i] += weight * min(count, _LETTER_CAP)
        return self._decide(text, len(words), scores, tables.latin)

    def _cyrillic(self, text: str, words: Sequence[str]) -> str | _Undecided:
        scores = [0.0, 0.0, 0.0]  # _CYRILLIC: ru, uk, bg
        lookup = self._tables.cyrillic_words.get
        for word in words:
            hits = lookup(word)
            if hits is not None:
                for i, weight in hits:
                    scores[i] += weight
        joined = "".join(words)
        letters = set(joined)
        foreign = letters - _RU_ALPHABET
        if foreign:
            if not foreign <= _UK_LETTERS:
                return OTHER_LANGUAGE  # Serbian, Macedonian, Kazakh, Belarusian, ...
            # Ukrainian letters are in many Ukrainian words; a Russian text quoting a name
            # or two has them in few: let lingua look at that.
            marked = sum(1 for word in words if not _UK_LETTERS.isdisjoint(word))
            if marked > _UK_MAX_SHARE * len(words) or scores[0] <= scores[1]:
                return OTHER_LANGUAGE
            return _undecided(text, _CYRILLIC.position, scores)
        if letters & _RU_ONLY:
            return "ru"  # ы э ё: neither Ukrainian nor Bulgarian
        scores[2] += len(_BG_HARD_SIGN_RE.findall(joined))
        if scores[2] <= scores[0] and scores[1] <= scores[0]:
            return "ru"
        if scores[1] > scores[2]:
            # Ukrainian words but none of its letters: short, or Russian after all.
            return _undecided(text, _CYRILLIC.position, scores)
        return self._decide(text, len(words), scores, _CYRILLIC)

    def _decide(
        self, text: str, n_words: int, scores: list[float], script: _Script
    ) -> str | _Undecided:
        """The clear winner's code ("other" if unsupported), or the evidence for lingua.

        A supported language must beat every other language; an unsupported one only the
        supported ones (Croatian and Slovak, say, may tie: the text is "other" either way).
        """
        top = max(scores)
        best = scores.index(top)
        if top >= MIN_SCORE_LOW:
            if top >= MIN_SCORE or n_words <= SHORT_TEXT_WORDS:
                ratio = MIN_RATIO
            else:
                ratio = MIN_RATIO_LOW
            n_supported = script.n_supported
            if best < n_supported:
                scores[best] = 0.0
                rival = max(scores)
                scores[best] = top
            else:
                rival = max(scores[:n_supported])
            if top >= ratio * rival and top - rival >= MIN_MARGIN:
                return script.languages[best] if best < n_supported else OTHER_LANGUAGE
        if n_words < MIN_WORDS:
            return self.fallback
        return _undecided(text, script.position, scores)


def _clean(text: str) -> str:
    """Lower-cased text without URLs, mentions, e-mails, HTML entities, cut to MAX_CHARS."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}: {text!r:.80}")
    text = text[:MAX_CHARS].lower()
    if "@" in text or "&" in text or "://" in text or "www." in text:
        text = _NOISE_RE.sub(" ", text)
    return text


def detect_with_hints(detector: LanguageDetector, texts: Sequence[str], hints: Sequence[str | None]) -> list[str]:
    """Each text's given language where it is a supported one, else the detected one (only those are detected)."""
    cleaned = [(hint or "").strip().lower() for hint in hints]
    unknown = [index for index, hint in enumerate(cleaned) if hint not in SUPPORTED_LANGUAGES]
    detected = dict(zip(unknown, detector.detect_many([texts[index] for index in unknown])))
    return [detected.get(index, hint) for index, hint in enumerate(cleaned)]
