"""Themes in a set of texts (complaints no known cause explains): TF-IDF over token keys, then NMF."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

from causa.nlp.analysis import AnalysedText, TextAnalyser
from causa.nlp.taxonomy import SUPPORTED_LANGUAGES
from causa.nlp.text import stop_words_of

PLACEHOLDER_KEYS = frozenset({"<num>", "<url>", "<user>", "!", "?"})


@dataclass(frozen=True)
class Theme:
    """One group of texts: its most telling words and its members, most typical first."""

    terms: tuple[str, ...]
    """Top terms, each shown as the surface word its key was most often written as."""
    keys: tuple[str, ...]
    """The token keys behind `terms`."""
    members: tuple[int, ...]
    """Indices into the analysed texts, by decreasing weight in the theme."""


def stop_keys(analyser: TextAnalyser, languages: Sequence[str] = SUPPORTED_LANGUAGES) -> frozenset[str]:
    """Token keys of spaCy's stop words of each language (function words carry no theme)."""
    return _stop_keys(analyser, tuple(languages))


@lru_cache(maxsize=8)
def _stop_keys(analyser: TextAnalyser, languages: tuple[str, ...]) -> frozenset[str]:
    keys: set[str] = set(PLACEHOLDER_KEYS)
    for lang in languages:
        if lang not in analyser.languages:
            continue
        words = sorted(stop_words_of(lang))
        for item in analyser.analyse(words, [lang] * len(words)):
            keys.update(item.keys.split())
    return frozenset(keys)


def theme_count(n_texts: int, max_themes: int) -> int:
    """How many themes to look for: about sqrt(n / 2), at least 1, at most `max_themes`."""
    return max(1, min(max_themes, round(math.sqrt(n_texts / 2))))


def find_themes(
    analysed: Sequence[AnalysedText],
    stopwords: frozenset[str] = frozenset(PLACEHOLDER_KEYS),
    max_themes: int = 6,
    n_terms: int = 6,
    random_state: int = 0,
) -> list[Theme]:
    """Themes among the texts, largest first; a text that shares no term with the others belongs to none.

    Each text is its token keys weighted by TF-IDF (terms in at least two texts, stop keys removed); NMF factors
    the matrix into `theme_count` themes and each text goes to the theme that weighs most in it.
    """
    if max_themes < 1 or n_terms < 1:
        raise ValueError(f"max_themes and n_terms must be at least 1, got {max_themes} and {n_terms}")
    documents = [" ".join(k for k in item.keys.split() if k not in stopwords) for item in analysed]
    if sum(1 for d in documents if d) < 2:
        return []
    vectorizer = TfidfVectorizer(
        analyzer=str.split, min_df=2, max_df=0.5 if len(documents) >= 10 else 1.0, sublinear_tf=True, norm="l2"
    )
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # no term occurs in two texts
        return []
    vocabulary = vectorizer.get_feature_names_out()
    k = min(theme_count(len(documents), max_themes), matrix.shape[0], matrix.shape[1])
    model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=500)
    weights = model.fit_transform(matrix)
    assigned = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
    surface = _surface_words(analysed)
    themes = []
    for topic in range(k):
        members = np.flatnonzero(assigned == topic)
        if members.size == 0:
            continue
        order = members[np.argsort(-weights[members, topic], kind="stable")]
        top = np.argsort(-model.components_[topic], kind="stable")[:n_terms]
        keys = tuple(str(vocabulary[i]) for i in top if model.components_[topic, i] > 0)
        themes.append(Theme(terms=tuple(surface.get(key, key) for key in keys), keys=keys, members=tuple(int(i) for i in order)))
    return sorted(themes, key=lambda theme: (-len(theme.members), theme.keys))


def _surface_words(analysed: Sequence[AnalysedText]) -> dict[str, str]:
    """For each token key, the lowercased word it was most often written as."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for item in analysed:
        for start, end, key in item.token_offsets:
            seen[key][item.text[start:end].lower()] += 1
    return {key: words.most_common(1)[0][0] for key, words in seen.items()}
