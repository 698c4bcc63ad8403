"""Training a model version: labelled rows (or star ratings) in, a fitted model with held-out metrics out."""

from __future__ import annotations

import hashlib
import logging
import math
import platform
import re
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd
import pyarrow as pa
from sklearn.model_selection import train_test_split

from causa.nlp.corpus import corpus_fingerprint, load_starter_corpus
from causa.nlp.cues import load_resources, packaged_resources_dir
from causa.nlp.distill import teacher_scores
from causa.nlp.errors import LabelsError
from causa.nlp.evaluation import evaluate
from causa.nlp.language import LanguageDetector, detect_with_hints
from causa.nlp.model import MIN_CAUSE_EXAMPLES, FeedbackModel
from causa.nlp.model_store import default_model_dir, load_model, read_manifest
from causa.nlp.taxonomy import DEFAULT_CAUSES, SENTIMENTS, SUPPORTED_LANGUAGES
from causa.nlp.labels import parse_causes
from causa.nlp.option_search import CannotValidate, SearchRows, SearchSpace, search_options
from causa.nlp.search_rules import DEFAULT_C, SEARCH, SEARCH_SECONDS
from causa.nlp.versions import code_version, installed_version

logger = logging.getLogger(__name__)

BASES = ("auto", "starter", "none")
BASE_SMALL_ROWS = 1000
"""With base "auto", the starter corpus trains sentiment in a language only while the user's file has fewer training
rows than this in it: beyond that the user's own labels define the task (measured: mixing it in cost b2w_pt 0.02)."""
RATING_SCALES = {"1-5": (1.0, 5.0), "1-10": (1.0, 10.0), "0-10": (0.0, 10.0), "1-100": (1.0, 100.0), "0-100": (0.0, 100.0)}
NEGATIVE_BELOW = 0.375
POSITIVE_ABOVE = 0.625
"""A rating r on a LO-HI scale is placed at x = (r - LO) / (HI - LO): negative if x < 0.375, positive if x > 0.625,
else neutral. On 1-5 that is 1-2 / 3 / 4-5; on 1-10 it is 1-4 / 5-6 / 7-10; on 0-10 0-3 / 4-6 / 7-10; on 1-100
1-38 / 39-62 / 63-100."""
TEST_SPLIT_VALUES = ("test", "heldout", "holdout", "eval", "validation")
DEFAULT_CHOICES = {"char_ngrams": None, "sentiment_C": DEFAULT_C, "cause_C": DEFAULT_C}
"""What a searched option takes when there is no search (search seconds 0, or too few rows to validate on)."""
SEARCH_BASE_PER_LANGUAGE = 3000
"""The option search fits on at most this many starter-corpus rows of each of the user's languages (a seeded
sample; the final fit uses all of them): enough for the choice, and it keeps the search inside its budget."""


@dataclass(frozen=True)
class TrainingOptions:
    """How to read the labelled file and train. Defaults reproduce the shipped model's settings."""

    text_col: str = "text"
    sentiment_col: str = "sentiment"
    causes_col: str = "causes"
    language_col: str = "language"
    from_ratings: str | None = None
    rating_scale: str = "1-5"
    split_col: str | None = None
    test_size: float = 0.2
    random_state: int = 42
    base: str = "auto"
    """auto: the starter corpus trains causes, and sentiment (for the sentiments your labels use) in languages where
    your file is small (BASE_SMALL_ROWS); starter: it trains everything; none: your file alone."""
    base_per_language: int | None = None
    """At most this many starter-corpus rows per language (a random sample); None: all of them."""
    char_ngrams: tuple[int, int] | None | str = SEARCH
    """Character n-gram range, None for words only, or "search": chosen on validation data (see search_seconds)."""
    sentiment_C: float | str = SEARCH
    """Inverse regularisation of the sentiment model, or "search" (chosen on validation data)."""
    cause_C: float | str = SEARCH
    """Inverse regularisation of the cause models, or "search" (chosen on validation data)."""
    search_seconds: float = SEARCH_SECONDS
    """Time budget of the search over the options left to "search" (causa.nlp.option_search); 0: no search, they
    take the former fixed defaults (words only, C 4)."""
    solver: str = "saga"
    """Logistic regression solver: saga (fast on wide sparse features) or lbfgs (the shipped model's)."""
    calibration: str = "temperature"
    """temperature keeps the class-balanced decision; sigmoid (the shipped model's) calibrates each class apart."""
    calibration_folds: int = 3
    adapt_rows: int = 0
    """Label up to this many of the lake's stored texts with the shipped model's accurate tier and train the fast
    tier on those labels too (knowledge distillation on the user's own domain); 0: none."""


@dataclass
class LabelledRows:
    texts: list[str]
    languages: list[str]
    sentiments: list[str]
    causes: list[tuple[str, ...]] | None
    split: list[str] | None = None
    dropped: int = 0


def parse_rating_scale(text: str) -> tuple[float, float]:
    """A named scale ("1-5", "1-10", "0-10", "1-100") or any "LO-HI" with LO < HI."""
    if text in RATING_SCALES:
        return RATING_SCALES[text]
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*", text)
    if not match or float(match.group(1)) >= float(match.group(2)):
        raise LabelsError(f"rating scale {text!r} is not LO-HI with LO < HI (for example 1-5, 1-10, 0-10, 1-100)")
    return float(match.group(1)), float(match.group(2))


def rating_to_sentiment(rating: float, scale: tuple[float, float]) -> str:
    low, high = scale
    if not low <= rating <= high:
        raise LabelsError(f"rating {rating!r} is outside the scale {low:g}-{high:g}; pass --rating-scale")
    position = (rating - low) / (high - low)
    return "negative" if position < NEGATIVE_BELOW else "positive" if position > POSITIVE_ABOVE else "neutral"


def file_fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def frame_fingerprint(frame: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(frame.astype(str), index=False).values.tobytes()).hexdigest()


def rows_from_frame(frame: pd.DataFrame, options: TrainingOptions, where: str = "labels") -> LabelledRows:
    """Texts, languages, sentiments (given or from ratings) and causes; rows without a sentiment are dropped."""
    if options.text_col not in frame.columns:
        raise LabelsError(f"{where} has no text column {options.text_col!r}; its columns are {list(frame.columns)}")
    label_col = options.from_ratings or options.sentiment_col
    if label_col not in frame.columns:
        what = "rating" if options.from_ratings else "sentiment"
        raise LabelsError(f"{where} has no {what} column {label_col!r}; its columns are {list(frame.columns)}")
    scale = parse_rating_scale(options.rating_scale)
    texts_all = ["" if _missing(v) else str(v) for v in frame[options.text_col].tolist()]
    sentiments_all: list[str | None] = []
    for row, value in enumerate(frame[label_col].tolist(), start=1):
        if _missing(value) or (isinstance(value, str) and not value.strip()):
            sentiments_all.append(None)
        elif options.from_ratings:
            try:
                rating = float(value)
            except (TypeError, ValueError):
                raise LabelsError(f"{where} row {row}: rating {value!r} is not a number") from None
            sentiments_all.append(rating_to_sentiment(rating, scale))
        else:
            label = str(value).strip().lower()
            if label not in SENTIMENTS:
                raise LabelsError(f"{where} row {row}: sentiment {value!r} is not one of {list(SENTIMENTS)}")
            sentiments_all.append(label)
    has_causes = options.causes_col in frame.columns
    causes_all = (
        [parse_causes(v, f"{where} row {row}") for row, v in enumerate(frame[options.causes_col].tolist(), 1)]
        if has_causes else None
    )
    given = (
        [None if _missing(v) else str(v).strip().lower() for v in frame[options.language_col].tolist()]
        if options.language_col in frame.columns else [None] * len(texts_all)
    )
    split_all = None
    if options.split_col:
        if options.split_col not in frame.columns:
            raise LabelsError(f"{where} has no split column {options.split_col!r}; its columns are {list(frame.columns)}")
        split_all = ["test" if str(v).strip().lower() in TEST_SPLIT_VALUES else "train" for v in frame[options.split_col]]
    keep = [i for i, (text, label) in enumerate(zip(texts_all, sentiments_all)) if label is not None and text.strip()]
    dropped = len(texts_all) - len(keep)
    if dropped:
        logger.info("%s: %d rows without text or sentiment label are left out", where, dropped)
    if not keep:
        raise LabelsError(f"{where} has no rows with both a text and a sentiment label")
    texts = [texts_all[i] for i in keep]
    return LabelledRows(
        texts=texts,
        languages=detect_with_hints(LanguageDetector(), texts, [given[i] for i in keep]),
        sentiments=[sentiments_all[i] for i in keep],  # type: ignore[misc]
        causes=[causes_all[i] for i in keep] if causes_all is not None else None,
        split=[split_all[i] for i in keep] if split_all is not None else None,
        dropped=dropped,
    )


def split_indices(rows: LabelledRows, options: TrainingOptions) -> tuple[list[int], list[int]]:
    """Training and held-out row indices: the split column if given, else a stratified random split."""
    indices = list(range(len(rows.texts)))
    if rows.split is not None:
        train = [i for i in indices if rows.split[i] == "train"]
        test = [i for i in indices if rows.split[i] == "test"]
        if not train or not test:
            raise LabelsError(f"split column {options.split_col!r} must mark both training and test rows")
        return train, test
    if not 0 < options.test_size < 1:
        raise LabelsError(f"test size must be between 0 and 1, got {options.test_size!r}")
    counts = pd.Series(rows.sentiments).value_counts()
    stratify = rows.sentiments if counts.min() >= 2 else None
    train, test = train_test_split(indices, test_size=options.test_size, random_state=options.random_state,
                                   stratify=stratify)
    return list(train), list(test)


def model_causes(causes: Sequence[tuple[str, ...]] | None, base: str) -> tuple[str, ...]:
    """The default four (when the starter corpus is in) plus every labelled cause with enough examples."""
    known = list(DEFAULT_CAUSES) if base != "none" else []
    if causes is not None:
        counts = pd.Series([cause for item in causes for cause in item], dtype=object).value_counts()
        for cause, count in counts.items():
            if cause in known:
                continue
            if count < MIN_CAUSE_EXAMPLES:
                logger.warning("cause %r has only %d training examples (need %d); it is not learned",
                               cause, count, MIN_CAUSE_EXAMPLES)
                continue
            known.append(str(cause))
    return tuple(known)


@dataclass(frozen=True)
class FittedVersion:
    """A model trained on a labelled file's training split, with its held-out rows, metrics and manifest data."""

    model: FeedbackModel
    heldout: pa.Table
    metrics: dict[str, Any]
    metadata: dict[str, Any]
    counts: dict[str, int]
    seconds: float


def fit_version(rows: LabelledRows, options: TrainingOptions, training_data: dict[str, Any],
                stored: StoredTexts | None = None, on_step: Callable[[str], None] | None = None) -> FittedVersion:
    """Trains on the training split (plus the starter corpus if asked, and `stored` texts labelled by the shipped
    model's accurate tier) and evaluates on the held-out split, telling `on_step` of each stage as it starts."""
    step = on_step or _no_step
    if options.base not in BASES:
        raise LabelsError(f"base {options.base!r} is not one of {list(BASES)}")
    if not options.search_seconds >= 0:
        raise LabelsError(f"search seconds must be 0 or more, got {options.search_seconds!r}")
    train, test = split_indices(rows, options)
    texts = [rows.texts[i] for i in train]
    languages = [rows.languages[i] for i in train]
    sentiments = [rows.sentiments[i] for i in train]
    causes: list[tuple[str, ...] | None] = (
        [rows.causes[i] for i in train] if rows.causes is not None else [None] * len(train)
    )
    base_rows = 0
    weights: list[float] | None = None
    if options.base != "none":
        corpus = _sampled(load_starter_corpus(), options.base_per_language, options.random_state)
        base_rows = len(corpus)
        if options.base == "auto":
            weights = [1.0] * len(texts) + starter_sentiment_weights(corpus, languages, sentiments)
        texts += [item.text for item in corpus]
        languages += [item.language for item in corpus]
        sentiments += [item.sentiment for item in corpus]
        causes += [item.causes for item in corpus]
        training_data = {**training_data, "base": {"name": "starter corpus", "fingerprint": corpus_fingerprint(),
                                                   "rows": base_rows, "mode": options.base}}
    cause_names = model_causes([rows.causes[i] for i in train] if rows.causes is not None else None, options.base)
    if not cause_names:
        raise LabelsError("no cause to learn: the labels have no causes column with at least "
                          f"{MIN_CAUSE_EXAMPLES} examples of a cause; add one, or keep --base starter")
    adapted_rows = 0
    if stored is not None and stored.texts:
        user_sentiments = {rows.sentiments[i] for i in train}
        weights = weights or [1.0] * len(texts)
        taught_sentiments, taught_causes, teacher_version = _teacher_labels(stored, cause_names)
        texts += stored.texts
        languages += stored.languages
        sentiments += taught_sentiments
        causes += taught_causes
        weights += [1.0 if sentiment in user_sentiments else 0.0 for sentiment in taught_sentiments]
        adapted_rows = len(taught_sentiments)
        training_data = {**training_data, "adapted": {"rows": adapted_rows, "source": stored.source,
                                                      "teacher": f"{teacher_version} (accurate tier)"}}
    learned = {s for s, w in zip(sentiments, weights or [1.0] * len(sentiments)) if w > 0}
    if len(learned) < 2:
        raise LabelsError(f"the training rows have only {sorted(learned)} examples; at least two of "
                          f"{list(SENTIMENTS)} are needed")
    languages_used = sorted(set(SUPPORTED_LANGUAGES) if options.base != "none"
                            else {lang for lang in languages if lang in SUPPORTED_LANGUAGES} or {"en"})
    resources = load_resources(packaged_resources_dir(), languages_used)
    search_rows = _search_rows(texts, languages, sentiments, causes, weights, len(train), base_rows,
                               options.random_state)
    options, selection = resolve_options(options, search_rows, resources, cause_names, on_step)
    step(f"fitting the model on {len(texts):,} rows")
    started = time.perf_counter()
    model = FeedbackModel(
        resources, cause_names,
        sentiment_C=options.sentiment_C, cause_C=options.cause_C, char_ngram_range=options.char_ngrams,
        random_state=options.random_state, solver=options.solver, calibration=options.calibration,
        calibration_folds=options.calibration_folds,
    ).fit(texts, languages, sentiments, causes, sentiment_weights=weights)
    seconds = time.perf_counter() - started
    heldout = heldout_table(rows, test)
    step(f"evaluating on {len(test):,} held-out rows")
    metrics = {"heldout_rows": len(test), "model": evaluate_on(model, heldout), "training_seconds": round(seconds, 1)}
    counts = {"rows": len(rows.texts) + rows.dropped, "labelled": len(rows.texts), "dropped": rows.dropped,
              "train": len(train), "heldout": len(test), "base": base_rows, "adapted": adapted_rows}
    parameters = {**asdict(options), "causes": list(cause_names), "languages": languages_used}
    metadata = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "training_data": {**training_data, "counts": counts},
        "parameters": parameters,
        "selection": selection,
        "code_version": code_version(),
        "libraries": _library_versions(),
    }
    return FittedVersion(model, heldout, metrics, metadata, counts, seconds)


def resolve_options(options: TrainingOptions, rows: SearchRows, resources: dict, causes: Sequence[str],
                    on_step: Callable[[str], None] | None = None) -> tuple[TrainingOptions, dict[str, Any]]:
    """The options with every "search" value chosen on validation data (or, with no search, the former fixed
    defaults), and the record of the choice for the manifest."""
    given = {name: getattr(options, name) for name in ("char_ngrams", "sentiment_C", "cause_C")
             if getattr(options, name) != SEARCH}
    fallback = replace(options, **{name: value for name, value in DEFAULT_CHOICES.items() if name not in given})
    if len(given) == len(DEFAULT_CHOICES):
        return options, {"searched": [], "given": given, "summary": "all options given; nothing searched"}
    if options.search_seconds == 0:
        return fallback, {"searched": [], "given": given,
                          "summary": "search off (search seconds 0): words only and C 4 unless given"}
    space = SearchSpace(**{name: (given[name],) for name in given})
    try:
        outcome = search_options(rows, resources, causes, space, options.search_seconds, options.solver,
                                 options.random_state, on_step=on_step)
    except CannotValidate as error:
        logger.warning("%s; training with words only and C 4 unless given", error)
        return fallback, {"searched": [], "given": given,
                          "summary": f"{error}; words only and C 4 unless given"}
    chosen = replace(options, char_ngrams=outcome.char_ngrams, sentiment_C=outcome.sentiment_C,
                     cause_C=outcome.cause_C)
    return chosen, {**outcome.as_dict(), "given": given, "summary": outcome.describe()}


def _search_rows(texts: Sequence[str], languages: Sequence[str], sentiments: Sequence[str],
                 causes: Sequence[tuple[str, ...] | None], weights: Sequence[float] | None, user_rows: int,
                 base_rows: int, random_state: int) -> SearchRows:
    """The user's training rows (validated on) and a seeded sample of at most SEARCH_BASE_PER_LANGUAGE starter rows
    in each of the user's languages (training only); the adapted rows are left out of the search."""
    import random

    user_languages = set(languages[:user_rows])
    by_language: dict[str, list[int]] = {}
    for index in range(user_rows, user_rows + base_rows):
        if languages[index] in user_languages:
            by_language.setdefault(languages[index], []).append(index)
    chooser = random.Random(random_state)
    starter = sorted(index for indices in by_language.values()
                     for index in chooser.sample(indices, min(SEARCH_BASE_PER_LANGUAGE, len(indices))))
    chosen = list(range(user_rows)) + starter
    return SearchRows(
        texts=[texts[i] for i in chosen], languages=[languages[i] for i in chosen],
        sentiments=[sentiments[i] for i in chosen], causes=[causes[i] for i in chosen],
        sentiment_weights=[1.0 if weights is None else weights[i] for i in chosen],
        validating=[i < user_rows for i in chosen],
    )


def starter_sentiment_weights(corpus: Sequence, user_languages: Sequence[str],
                              user_sentiments: Sequence[str]) -> list[float]:
    """Each starter text's weight in the sentiment model under base "auto".

    0 for a sentiment the user's labels never use (their label set defines the task: ratings without a middle
    star learn no neutral) and in a language where the user has at least BASE_SMALL_ROWS training rows; else 1.
    """
    per_language = pd.Series(list(user_languages), dtype=object).value_counts().to_dict()
    used = set(user_sentiments)
    return [
        1.0 if item.sentiment in used and per_language.get(item.language, 0) < BASE_SMALL_ROWS else 0.0
        for item in corpus
    ]


@dataclass(frozen=True)
class StoredTexts:
    """Unlabelled texts from the lake, to be labelled by the teacher."""

    texts: list[str]
    languages: list[str]
    source: str


def _teacher_labels(stored: StoredTexts, causes: Sequence[str]) -> tuple[list[str], list[tuple[str, ...] | None], str]:
    """The shipped model's accurate-tier sentiments and causes for the stored texts, and its version.

    When the new model has causes the teacher does not know, the teacher's cause verdicts are incomplete, so the
    stored texts then train sentiment only (their causes are None: not labelled).
    """
    directory = default_model_dir()
    teacher, teacher_version = load_model(directory), read_manifest(directory)["version"]
    scores = teacher_scores(teacher, stored.texts, stored.languages)
    knows_every_cause = set(causes) <= set(teacher.causes)
    return ([score.sentiment for score in scores],
            [score.causes if knows_every_cause else None for score in scores], teacher_version)


def evaluate_on(model: FeedbackModel, heldout: pa.Table, causes: Sequence[str] | None = None) -> dict[str, Any]:
    """causa.nlp.evaluation's report of `model` on a held-out table (text, language, sentiment, causes).

    `causes` sets the causes the report covers (default: the model's), so two models are judged on the same ones.
    """
    data = heldout.to_pydict()
    scores = model.score(data["text"], data["language"])
    return evaluate(data["language"], data["sentiment"], [s.sentiment for s in scores],
                    [None if c is None else tuple(c) for c in data["causes"]], [s.causes for s in scores],
                    tuple(causes) if causes is not None else model.causes)


def heldout_table(rows: LabelledRows, test: Sequence[int]) -> pa.Table:
    return pa.table({
        "text": pa.array([rows.texts[i] for i in test], pa.string()),
        "language": pa.array([rows.languages[i] for i in test], pa.string()),
        "sentiment": pa.array([rows.sentiments[i] for i in test], pa.string()),
        "causes": pa.array([list(rows.causes[i]) if rows.causes is not None else None for i in test],
                           pa.list_(pa.string())),
    })


def _no_step(text: str) -> None:
    """No one to tell of the training's stages."""


def _sampled(corpus: list, per_language: int | None, random_state: int) -> list:
    """The corpus, or a seeded random sample of at most `per_language` items of each language."""
    if per_language is None:
        return corpus
    import random

    chooser = random.Random(random_state)
    chosen = []
    for language in SUPPORTED_LANGUAGES:
        items = [item for item in corpus if item.language == language]
        chosen += chooser.sample(items, min(per_language, len(items)))
    return chosen


def _library_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in ("scikit-learn", "spacy", "numpy", "scipy", "skops", "pandas", "pyarrow"):
        found[name] = installed_version(name) or "missing"
    return found


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
