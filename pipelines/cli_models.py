"""The data scientist's commands of `causa`: train, models (list, show, promote, rollback), explain, review-queue."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from causa.nlp.search_rules import SEARCH, SEARCH_SECONDS
from causa.nlp.taxonomy import TIERS
from causa.storage.promotion_rules import LAKE_SAMPLE, MIN_LOWER_BOUND, MIN_PER_CLASS

if TYPE_CHECKING:
    from causa.storage.promotion import Comparison
    from causa.storage.promotion_rules import GateRules
    from causa.storage.registry import ModelRegistry


def _ngram_range(text: str) -> tuple[int, int] | None | str:
    if text.lower() in ("none", "off", ""):
        return None
    if text.lower() == SEARCH:
        return SEARCH
    try:
        low, high = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not LOW,HIGH or 'none': {text!r}") from None
    if not 1 <= low <= high:
        raise argparse.ArgumentTypeError(f"need 1 <= LOW <= HIGH, got {text!r}")
    return low, high


def _registry_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="causa.toml (default: ./causa.toml, else the bundled sample config)")
    parser.add_argument("--registry", type=_registry_location,
                        help="model registry folder or s3:// URL (default: model.registry, else <lake>/models)")


def _registry_location(text: str):
    """--registry: a local folder, or an object-store URL (endpoint and credentials from the AWS_* variables)."""
    from causa.storage.filesystem import lake_path

    return lake_path(text)


def add_model_choice(parser: argparse.ArgumentParser) -> None:
    """--model, --config and --registry of a command that scores with the active model (or the one named)."""
    parser.add_argument("--model", default=None, metavar="VERSION",
                        help="default (the shipped model), promoted (the promoted version, else the shipped model) "
                             "or a registered version (default: [model] version in the config, itself 'promoted')")
    _registry_options(parser)


def add_model_commands(commands: argparse._SubParsersAction) -> None:
    """Registers the subcommands on `causa`'s parser."""
    train = commands.add_parser("train", help="train a model version on a labelled file (or star ratings)")
    train.add_argument("--labels", type=Path, required=True, help="CSV, JSONL or Parquet with a text column and labels")
    train.add_argument("--text-col", default="text", help="column of the texts (default: text)")
    train.add_argument("--sentiment-col", default="sentiment", help="negative / neutral / positive")
    train.add_argument("--causes-col", default="causes", help="list, JSON list or 'a;b' text; new causes allowed")
    train.add_argument("--language-col", default="language", help="en/pt/es/ro/ru; detected when absent")
    train.add_argument("--from-ratings", metavar="RATING_COL", help="derive sentiment from this rating column")
    train.add_argument("--rating-scale", default="1-5", help="1-5 (default), 1-10, 0-10, 1-100 or any LO-HI")
    train.add_argument("--split-col", help="column marking held-out rows ('test'); default: a random split")
    train.add_argument("--test-size", type=float, default=0.2, help="held-out share of a random split (default 0.2)")
    train.add_argument("--random-state", type=int, default=42,
                       help="seed of the random split, the starter-corpus sample, the search folds and the fits "
                            "(default 42)")
    train.add_argument("--base", choices=("auto", "starter", "none"), default="auto",
                       help="starter corpus: auto (causes and languages; sentiment faded as your file grows; "
                            "default), starter (full weight) or none")
    train.add_argument("--base-per-language", type=int, default=None, metavar="N",
                       help="use a random N starter-corpus rows per language (default: all)")
    train.add_argument("--char-ngrams", type=_ngram_range, default="search", metavar="LOW,HIGH",
                       help="character n-gram features, e.g. 2,5, or none (default: search: words only or with "
                            "2-5-grams, chosen on validation data)")
    train.add_argument("--sentiment-c", type=float, default=None,
                       help="inverse regularisation (default: chosen on validation data from 1, 4, 16)")
    train.add_argument("--cause-c", type=float, default=None,
                       help="inverse regularisation (default: chosen on validation data from 1, 4, 16)")
    train.add_argument("--search-seconds", type=float, default=SEARCH_SECONDS, metavar="S",
                       help=f"time budget for choosing the options not given on validation data (default "
                            f"{SEARCH_SECONDS:g}; 0: no search, words only and C 4)")
    train.add_argument("--solver", choices=("saga", "lbfgs"), default="saga",
                       help="logistic regression solver (default saga: fast on wide features)")
    train.add_argument("--calibration", choices=("temperature", "sigmoid"), default="temperature",
                       help="probability calibration (default temperature: keeps the class-balanced decision)")
    train.add_argument("--calibration-folds", type=int, default=3, help="folds for calibration (default 3)")
    train.add_argument("--adapt", type=int, default=0, metavar="N",
                       help="also learn from up to N of the lake's stored texts, labelled by the shipped model's "
                            "accurate tier (knowledge distillation; about 60 texts/s on two cores)")
    train.add_argument("--name", help="version name (default: model-<UTC timestamp>)")
    train.add_argument("--promote", action="store_true",
                       help="promote it if the promotion gate certifies it (see models promote)")
    _registry_options(train)

    models = commands.add_parser("models", help="the model registry: list, show, promote, rollback")
    model_commands = models.add_subparsers(dest="models_command", required=True, metavar="SUBCOMMAND",
                                           help="what to do with the registry")
    listing = model_commands.add_parser("list", help="registered versions with their held-out scores")
    _registry_options(listing)
    show = model_commands.add_parser("show", help="a version's model card and manifest check")
    show.add_argument("version", help="a registered version (see models list)")
    _registry_options(show)
    promote = model_commands.add_parser("promote", help="make a version the active model ('default': rollback)")
    promote.add_argument("version", help="a registered version, or 'default' to return to the shipped model")
    promote.add_argument("--reason", help="why (recorded in the promotion history)")
    promote.add_argument("--force", action="store_true",
                         help="promote even if the gate refuses (too few examples, or possibly worse); recorded")
    promote.add_argument("--labels", type=Path, help="compare on this labelled file instead of the held-out rows")
    promote.add_argument("--min-per-class", type=int, default=MIN_PER_CLASS, metavar="N",
                         help=f"evaluation examples needed per sentiment the candidate learned and per cause "
                              f"(default {MIN_PER_CLASS}; 0: no minimum)")
    promote.add_argument("--min-lower-bound", type=float, default=MIN_LOWER_BOUND, metavar="X",
                         help="the 95%% interval of each gated metric's difference (candidate - current) must have "
                              f"its lower bound above X (default {MIN_LOWER_BOUND})")
    promote.add_argument("--lake-sample", type=int, default=LAKE_SAMPLE, metavar="N",
                         help=f"score the latest N stored feedback items with both models to preview the shares "
                              f"(default {LAKE_SAMPLE}; 0: skip)")
    _registry_options(promote)
    rollback = model_commands.add_parser("rollback", help="return to the shipped model (nothing promoted)")
    rollback.add_argument("--reason", help="why (recorded in the promotion history)")
    _registry_options(rollback)

    explain = commands.add_parser("explain", help="why the model labels a text the way it does")
    explain.add_argument("text", help="the text to label and explain (quoted)")
    explain.add_argument("--json", action="store_true", help="print JSON")
    explain.add_argument("--language", help="en/pt/es/ro/ru (default: detected)")
    explain.add_argument("--tier", choices=TIERS, default="fast", help="fast (default) or accurate")
    add_model_choice(explain)

    queue = commands.add_parser("review-queue", help="the lake items worth labelling next: uncertain, diverse, "
                                                     "balanced over languages and causes")
    queue.add_argument("--n", type=int, default=200, help="how many items (default 200)")
    queue.add_argument("--exclude", type=Path, action="append", default=[], metavar="FILE",
                       help="a labelled file (as causa train --labels reads it) whose items are left out, matched by "
                            "feedback_id where a row has one, else by normalised text; repeatable")
    queue.add_argument("-o", "--output", type=Path, required=True, help="CSV or JSONL to write")
    add_model_choice(queue)


def _registry(args: argparse.Namespace):
    from causa.pipelines.settings import load_settings
    from causa.storage.registry import ModelRegistry

    root = args.registry or load_settings(args.config).registry_root
    return ModelRegistry(root)


def command_train(args: argparse.Namespace) -> int:
    from causa.storage.promotion import PromotionRefused, promote
    from causa.pipelines.progress import step_progress
    from causa.pipelines.settings import load_settings
    from causa.nlp.training import TrainingOptions
    from causa.storage.training_runs import train_file
    from causa.storage.lake import Lake

    options = TrainingOptions(
        text_col=args.text_col, sentiment_col=args.sentiment_col, causes_col=args.causes_col,
        language_col=args.language_col, from_ratings=args.from_ratings, rating_scale=args.rating_scale,
        split_col=args.split_col, test_size=args.test_size, random_state=args.random_state, base=args.base,
        base_per_language=args.base_per_language,
        char_ngrams=args.char_ngrams, search_seconds=args.search_seconds,
        sentiment_C=SEARCH if args.sentiment_c is None else args.sentiment_c,
        cause_C=SEARCH if args.cause_c is None else args.cause_c,
        solver=args.solver, calibration=args.calibration, calibration_folds=args.calibration_folds,
        adapt_rows=args.adapt,
    )
    registry = _registry(args)
    lake = Lake(load_settings(args.config).lake_root) if args.adapt else None
    with step_progress(sys.stderr, "train") as step:
        step(f"reading {args.labels}")
        result = train_file(args.labels, registry, args.name, options, lake, on_step=step)
    sys.stdout.write(f"registered {result.version} in {result.path} ({result.seconds:.1f} s training)\n")
    sys.stdout.write(f"options: {result.selection['summary']}\n")
    sys.stdout.write(_scores_line(result.metrics) + "\n")
    if args.promote:
        try:
            comparison = promote(registry, result.version)
        except PromotionRefused as refused:  # a refusal, like `causa models promote`'s: exit 2, the version kept
            raise PromotionRefused(f"{refused} {result.version} stays registered; `causa models promote "
                                   f"{result.version} --force` promotes it.") from refused
        sys.stdout.write(f"promoted {result.version}: {comparison.describe()}\n")
    return 0


def _scores_line(metrics: dict) -> str:
    from causa.storage.promotion import headline

    ours = headline(metrics.get("model", {}))
    text = "held-out: " + ", ".join(f"{k} {v:.3f}" for k, v in ours.items())
    if "baseline" in metrics:
        theirs = headline(metrics["baseline"]["report"])
        text += f" (current {metrics['baseline']['version']}: " + ", ".join(
            f"{k} {v:.3f}" for k, v in theirs.items()) + ")"
    return text


def command_models(args: argparse.Namespace) -> int:
    registry = _registry(args)
    if args.models_command == "list":
        return _list_models(registry)
    if args.models_command == "show":
        info = registry.info(args.version)
        registry.verify(args.version)
        sys.stdout.write((info.path / "README.md").read_text(encoding="utf-8"))
        sys.stdout.write(f"\nfiles: {len(info.manifest['files'])}, all match manifest.json"
                         f"{'; this version is promoted' if info.promoted else ''}\n")
        return 0
    from causa.storage.model_versions import DEFAULT
    from causa.storage.promotion import promote
    from causa.storage.registry import HISTORY_FILE

    if args.models_command == "rollback" or args.version == DEFAULT:
        record = registry.rollback(args.reason)
        sys.stdout.write(f"rolled back to the shipped model (was: {record['previous'] or 'none promoted'}); "
                         f"recorded in {registry.root / HISTORY_FILE}\n")
        return 0
    return _promote(registry, args)


def _promote(registry: ModelRegistry, args: argparse.Namespace) -> int:
    """Compares, prints the gate's figures, the per-class changes and the lake-share preview, then promotes or
    raises PromotionRefused."""
    from causa.storage.promotion import compare, promote_compared
    from causa.storage.promotion_rules import GateRules

    rules = GateRules(min_per_class=args.min_per_class, min_lower_bound=args.min_lower_bound)
    registry.verify(args.version)
    comparison = compare(registry, args.version, args.labels)
    sys.stdout.write(_gate_text(comparison, rules))
    sys.stdout.write(_lake_preview(args, registry, comparison))
    promote_compared(registry, comparison, force=args.force, reason=args.reason, rules=rules)
    sys.stdout.write(f"promoted {args.version}: {comparison.describe()}\n")
    return 0


def _gate_text(comparison: Comparison, rules: GateRules) -> str:
    """Examples per class, each gated metric's difference with its interval, and the per-language, per-class table."""
    from causa.storage.promotion_stats import format_class_changes

    counts = comparison.counts
    lines = [f"{comparison.candidate} vs {comparison.current} on {comparison.evaluation_set}",
             f"examples per class (at least {rules.min_per_class} needed): "
             + ", ".join(f"{name} {count}" for name, count in {**counts.sentiments, **counts.causes}.items())]
    for key, difference in comparison.differences.items():
        verdict = "ok" if difference.low > rules.min_lower_bound else "too low"
        lines.append(f"{key}: {comparison.candidate_scores[key]:.3f} vs {comparison.current_scores[key]:.3f}, "
                     f"difference {difference.observed:+.3f}, {difference.confidence:.0%} interval "
                     f"{difference.low:+.3f} to {difference.high:+.3f} ({difference.resamples} paired resamples; "
                     f"lower bound must be above {rules.min_lower_bound:+.3f}: {verdict})")
    lines.append(f"F1 per language and class ({comparison.candidate} vs {comparison.current}; n = examples):")
    return "\n".join(lines) + "\n" + format_class_changes(comparison.class_changes())


def _lake_preview(args: argparse.Namespace, registry: ModelRegistry, comparison: Comparison) -> str:
    """The lake's sentiment and cause shares now and with the candidate, or a note saying why there are none."""
    from causa.pipelines.settings import SettingsError, load_settings
    from causa.storage.lake import Lake
    from causa.storage.lake_shares import preview_shares
    from causa.storage.model_versions import PROMOTED, load_version, model_for

    if args.lake_sample < 1:
        return f"lake shares: skipped (--lake-sample {args.lake_sample})\n"
    try:
        lake = Lake(load_settings(args.config).lake_root)
    except SettingsError as error:
        return f"lake shares: skipped, no lake configured ({error})\n"
    candidate, _ = load_version(comparison.candidate, registry.root)
    current, _ = model_for(PROMOTED, registry.root)
    scored, changes = preview_shares(lake, args.lake_sample, current, candidate)
    if not scored:
        return f"lake shares: skipped, the lake at {lake.root} holds no stored feedback\n"
    lines = [f"lake shares of the latest {scored} stored items in {lake.root} "
             f"({comparison.current} -> {comparison.candidate}):"]
    lines += [f"  {change.kind:<9} {change.describe()}" for change in changes]
    return "\n".join(lines) + "\n"


def _list_models(registry) -> int:
    from causa.storage.promotion import headline

    versions = registry.versions()
    promoted = registry.promoted()
    sys.stdout.write(f"registry {registry.root}: {len(versions)} versions; promoted: {promoted or 'none (shipped model in use)'}\n")
    if versions:
        sys.stdout.write(f"  {'version':<32} {'created':<26} {'train rows':>10} {'held out':>8} "
                         f"{'sentiment F1':>12} {'causes F1':>9}   (* promoted; F1 = held-out macro-F1)\n")
    for version in versions:
        info = registry.info(version)
        scores = headline(info.metrics.get("model", {}))
        counts = info.manifest.get("training_data", {}).get("counts", {})
        mark = "*" if version == promoted else " "
        sys.stdout.write(f"{mark} {version:<32} {info.manifest.get('created', '?'):<26} "
                         f"{counts.get('train', '?'):>10} {counts.get('heldout', '?'):>8} "
                         f"{_figure(scores.get('sentiment_macro_f1')):>12} {_figure(scores.get('causes_macro_f1')):>9}\n")
    return 0


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def command_explain(args: argparse.Namespace) -> int:
    from causa.nlp.language import LanguageDetector
    from causa.nlp.explain import explain, format_explanation
    from causa.pipelines.active_model import active_model

    model, version = active_model(args.model, args.config, args.registry)
    language = args.language or LanguageDetector().detect_many([args.text])[0]
    result = {"model_version": version, **explain(model, args.text, language, tier=args.tier)}
    if args.json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    else:
        sys.stdout.write(f"model {version}\n" + format_explanation(result))
    return 0


def command_review_queue(args: argparse.Namespace) -> int:
    from causa.pipelines.active_model import active_model
    from causa.pipelines.settings import load_settings
    from causa.storage.lake import Lake
    from causa.storage.review_queue import ScoringModel, labelled_items, review_queue, write_queue

    settings = load_settings(args.config)
    exclude = labelled_items(args.exclude)
    model, version = active_model(args.model, args.config, args.registry)
    frame = review_queue(Lake(settings.lake_root), args.n, exclude, model=ScoringModel(model, version))
    write_queue(frame, args.output)
    sys.stdout.write(f"wrote {len(frame)} items to label into {args.output}, ranked by model {version} "
                     f"(fill in 'sentiment' and 'causes', then: causa train --labels {args.output})\n")
    return 0


MODEL_COMMANDS = {
    "train": command_train,
    "models": command_models,
    "explain": command_explain,
    "review-queue": command_review_queue,
}
