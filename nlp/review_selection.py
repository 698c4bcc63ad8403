"""Which unlabelled items to label next: the most uncertain, spread over the texts, languages and causes.

The least sure items alone are often near-duplicates (the same complaint retweeted, one template with another
order number), so labelling them teaches the model one thing many times. The selection takes a pool of the most
uncertain items, then picks greedily for coverage: each next item is the one farthest (in character n-gram TF-IDF
space) from those already picked, weighed by its uncertainty rank; items too similar to a picked one are dropped as
near-duplicates; and each language and each predicted cause gets a quota, so none takes the whole queue.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from causa.nlp.normalise import clean_text

POOL_FACTOR = 5
"""The candidate pool is the POOL_FACTOR * n most uncertain items."""
NEAR_DUPLICATE = 0.8
"""Two texts whose TF-IDF cosine similarity is at least this are near-duplicates: only one enters the queue."""
UNCERTAINTY_FLOOR = 0.5
"""The pool's least uncertain item weighs this much against its most uncertain one (linear in rank between)."""
NO_CAUSE = "(none)"
"""The cause group of items the model gave no cause."""
_PUNCTUATION = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


def normalised_text(text: str) -> str:
    """Text as compared for "already labelled": cleaned, case-folded, accents and punctuation dropped, spaces folded."""
    folded = unicodedata.normalize("NFKD", clean_text(text).casefold())
    folded = "".join(character for character in folded if not unicodedata.combining(character))
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", folded)).strip()


@dataclass(frozen=True)
class SelectionOptions:
    pool_factor: int = POOL_FACTOR
    near_duplicate: float = NEAR_DUPLICATE
    balance: bool = True
    """Quotas per language and per predicted cause; off: diversity and uncertainty only."""

    def __post_init__(self) -> None:
        if self.pool_factor < 1:
            raise ValueError(f"pool factor must be at least 1, got {self.pool_factor}")
        if not 0 < self.near_duplicate <= 1:
            raise ValueError(f"near-duplicate similarity must be in (0, 1], got {self.near_duplicate}")


def fair_quotas(available: Counter, n: int) -> dict[str, int]:
    """Each group's share of `n` slots, equal where it can be: a group with fewer items than its share keeps what it
    has and the rest is shared among the others (water-filling). Sums to min(n, total available)."""
    quotas = {group: 0 for group in available}
    left = min(n, sum(available.values()))
    open_groups = sorted(group for group, count in available.items() if count > 0)
    while left > 0 and open_groups:
        share = max(1, left // len(open_groups))
        for group in list(open_groups):
            take = min(share, available[group] - quotas[group], left)
            quotas[group] += take
            left -= take
            if quotas[group] >= available[group]:
                open_groups.remove(group)
            if left == 0:
                break
    return quotas


def select_for_review(
    texts: Sequence[str],
    languages: Sequence[str],
    causes: Sequence[str],
    order: Sequence[int],
    n: int,
    options: SelectionOptions = SelectionOptions(),
) -> list[int]:
    """Up to `n` indices into `texts`, in pick order (the most uncertain first).

    `order` lists candidate indices from the most to the least uncertain; `causes` holds each item's predicted
    cause group (its first predicted cause, or NO_CAUSE). Texts that normalise to the same string count once.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not len(texts) == len(languages) == len(causes):
        raise ValueError(f"texts, languages and causes differ in length: {len(texts)}, {len(languages)}, {len(causes)}")
    pool = _distinct(texts, order, options.pool_factor * n)
    if not pool:
        return []
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1).fit_transform(
        [normalised_text(texts[i]) or texts[i] for i in pool])
    weights = 1 - (1 - UNCERTAINTY_FLOOR) * np.arange(len(pool)) / max(1, len(pool) - 1)
    distance = np.ones(len(pool))  # cosine distance to the nearest picked item
    open_ = np.ones(len(pool), dtype=bool)
    picked: list[int] = []
    language_of = [languages[i] for i in pool]
    cause_of = [causes[i] for i in pool]
    for language_quota, cause_quota in _quota_passes(language_of, cause_of, n, options.balance):
        language_used: Counter = Counter(language_of[p] for p in picked)
        cause_used: Counter = Counter(cause_of[p] for p in picked)
        while len(picked) < n:
            allowed = open_ & np.array([
                (language_quota is None or language_used[lang] < language_quota[lang])
                and (cause_quota is None or cause_used[cause] < cause_quota[cause])
                for lang, cause in zip(language_of, cause_of)
            ])
            if not allowed.any():
                break
            best = int(np.argmax(np.where(allowed, weights * distance, -1.0)))
            picked.append(best)
            language_used[language_of[best]] += 1
            cause_used[cause_of[best]] += 1
            similarity = (vectors @ vectors[best].T).toarray().ravel()
            distance = np.minimum(distance, 1 - similarity)
            open_ &= similarity < options.near_duplicate
            open_[best] = False
    return [pool[p] for p in picked]


def _distinct(texts: Sequence[str], order: Sequence[int], limit: int) -> list[int]:
    """The first `limit` indices of `order` whose normalised texts differ from every earlier one."""
    seen: set[str] = set()
    chosen: list[int] = []
    for index in order:
        key = normalised_text(texts[index])
        if not key or key in seen:
            continue
        seen.add(key)
        chosen.append(int(index))
        if len(chosen) == limit:
            break
    return chosen


def _quota_passes(languages: list[str], causes: list[str], n: int,
                  balance: bool) -> list[tuple[dict[str, int] | None, dict[str, int] | None]]:
    """The (per-language, per-cause) quotas of each pass, None meaning no quota: both, then the language quotas
    alone (the two can leave slots that neither fills by itself), then none, to fill what is left."""
    if not balance:
        return [(None, None)]
    by_language, by_cause = fair_quotas(Counter(languages), n), fair_quotas(Counter(causes), n)
    return [(by_language, by_cause), (by_language, None), (None, None)]


def cause_group(causes: Sequence[str]) -> str:
    """An item's cause group for the quotas: its first predicted cause, or NO_CAUSE."""
    return causes[0] if len(causes) else NO_CAUSE
