"""The `causa` command: run, score, serve (a nightly schedule)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Sequence

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect waits 20 s for the temporary API server a run starts; a busy two-core machine can need more.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from causa.errors import EXIT_FAILED, CausaError  # noqa: E402  (light: no Prefect import)
from causa.nlp.taxonomy import SUPPORTED_LANGUAGES, TIERS  # noqa: E402

from causa.pipelines.cli_logging import configure_logging  # noqa: E402
from causa.pipelines.cli_models import MODEL_COMMANDS, add_model_choice, add_model_commands  # noqa: E402

logger = logging.getLogger("causa")

STARTED = time.perf_counter()  # start-up of a command is measured from here (the interpreter's own start is ~0.05 s)

DEFAULT_CRON = "0 2 * * *"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 1: {text!r}")
    return value


DISTRIBUTION = "causa-feedback"

VERBOSE_HELP = "log debug detail and every traceback (before or after the command)"


class VersionAction(argparse.Action):
    """--version: prints the installed package's version and the shipped model's, then exits."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values, option_string=None):
        sys.stdout.write(version_text() + "\n")
        parser.exit()


def version_text() -> str:
    """Such as "causa 0.1.0 (shipped model default-3)"."""
    import json
    from importlib import resources
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version(DISTRIBUTION)
    except PackageNotFoundError:
        package = f"unknown ({DISTRIBUTION} is not installed)"
    # The manifest read as JSON: causa.nlp.model_store would import numpy and scikit-learn for one field.
    manifest_file = resources.files("causa.nlp") / "default_model" / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    return f"causa {package} (shipped model {manifest['version']})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="causa", description="Customer-feedback mining into Parquet tables.")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    parser.add_argument("--version", action=VersionAction, help="print the causa version and the shipped model's")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", help="what to do")

    run = commands.add_parser("run", help="run the nightly flow once")
    run.add_argument("--config", type=Path, help="causa.toml (default: ./causa.toml, else the bundled sample config)")
    run.add_argument("--date", type=_date, help="the night to run, YYYY-MM-DD (default: today, UTC)")
    run.add_argument("--since", type=_date, help="pull every source again from this date, YYYY-MM-DD (UTC), "
                     "instead of from its watermark; rows already stored are merged, never duplicated")
    run.add_argument("--executor", help="where scoring runs: local (threads), processes (this machine's cores) "
                     "or dask (default: run.executor in causa.toml, else local)")
    run.add_argument("--dask-address", help="scheduler of an existing Dask cluster, e.g. tcp://HOST:8786 "
                     "(implies --executor dask; without it, dask starts a local cluster for the run)")

    score = commands.add_parser("score", help="score a CSV, JSONL or Parquet file with a `text` column")
    score.add_argument("input", type=Path, help="CSV, JSONL or Parquet file with a `text` column (optional `id` "
                       "and `language`)")
    score.add_argument("-o", "--output", type=Path, required=True, help="Parquet file to write")
    add_model_choice(score)
    score.add_argument("--tier", choices=TIERS, default="fast",
                       help="fast (default, thousands of docs/s) or accurate (fused with the multilingual encoder, "
                            "about 60 docs/s on two cores)")
    score.add_argument("--workers", type=_positive, help="processes scoring batches (default: every core this "
                       "process may use); the output is the same whatever the number")
    score.add_argument("--batch-rows", type=_positive, default=5_000,
                       help="rows read and scored at a time (default: 5000); memory grows with it, not with the file")

    evaluate = commands.add_parser("evaluate", help="precision, recall, F1 and confusion against a labelled file")
    evaluate.add_argument("--labels", type=Path, required=True, help="CSV, JSONL or Parquet with text and labels")
    evaluate.add_argument("--json", type=Path, help="also write the full report as JSON here")
    add_model_choice(evaluate)
    evaluate.add_argument("--tier", choices=TIERS, default="fast", help="fast (default) or accurate")
    evaluate.add_argument("--text-col", default="text", help="column of the texts (default: text)")
    evaluate.add_argument("--sentiment-col", default="sentiment",
                          help="column of the sentiment labels (default: sentiment)")
    evaluate.add_argument("--causes-col", default="causes", help="column of the cause labels (default: causes)")

    report = commands.add_parser("report", help="write the static HTML report (KPIs, trends, alerts, causes, themes)")
    report.add_argument("--config", type=Path, help="causa.toml (default: ./causa.toml, else the bundled sample config)")
    report.add_argument("--from", dest="start", type=_date, help="first day, YYYY-MM-DD (default: 90 days before --to)")
    report.add_argument("--to", dest="end", type=_date, help="last day, YYYY-MM-DD (default: the last day with data)")
    report.add_argument("-o", "--output", type=Path, default=Path("report.html"), help="HTML file (default: report.html)")
    report.add_argument("--locale", choices=SUPPORTED_LANGUAGES,
                        help="language of the report's words (default: [report] locale of the configuration, else en)")
    report.add_argument("--model", default=None, metavar="VERSION",
                        help="show only the rows this model version scored: default (the shipped model), promoted or "
                             "a registered version (default: every row of the period; the page names their versions)")

    views = commands.add_parser("views", help="write the DuckDB file of views over the lake's tables for BI tools")
    views.add_argument("--config", type=Path, help="causa.toml (default: ./causa.toml, else the bundled sample config)")
    views.add_argument("-o", "--output", type=Path,
                       help="DuckDB database file to write (default: causa.duckdb in the lake's root)")

    serve = commands.add_parser("serve", help="serve the nightly flow on a cron schedule (a Prefect deployment)")
    serve.add_argument("--config", type=Path,
                       help="causa.toml (default: ./causa.toml, else the bundled sample config)")
    serve.add_argument("--cron", default=DEFAULT_CRON, help=f"cron expression, UTC (default: {DEFAULT_CRON!r})")
    serve.add_argument("--name", default="nightly", help="deployment name (default: nightly)")
    sources = commands.add_parser("sources", help="inspect the configured sources")
    source_commands = sources.add_subparsers(dest="sources_command", required=True, metavar="SUBCOMMAND",
                                             help="what to do with the sources")
    check = source_commands.add_parser("check", help="fetch one page or batch of each source and show mapped fields")
    check.add_argument("--config", type=Path, help="causa.toml (default: ./causa.toml, else the bundled sample config)")
    check.add_argument("--source", action="append", help="check only this source (repeatable)")
    check.add_argument("--show", type=int, default=3, help="records to show per source (default: 3)")
    add_model_commands(commands)
    add_verbose_to_subcommands(parser)
    return parser


def add_verbose_to_subcommands(parser: argparse.ArgumentParser) -> None:
    """Gives every subcommand -v/--verbose too, so `causa run -v` means `causa -v run`. Its default is left unset
    (SUPPRESS): a subcommand without -v keeps the value given before it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                subparser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                                       help=VERBOSE_HELP)
                add_verbose_to_subcommands(subparser)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command: a CausaError is its message and exit code; any other exception is a bug (a traceback)."""
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    try:
        return COMMANDS[args.command](args)
    except CausaError as error:  # bad input, a tampered model, a locked lake: its message and exit code
        logger.error("%s", error)
        return error.exit_code


def command_run(args: argparse.Namespace) -> int:
    from causa.pipelines.active_model import scoring_model
    from causa.pipelines.flows import failed_sources, run_nightly
    from causa.pipelines.progress import step_progress
    from causa.pipelines.report_text import run_summary_text
    from causa.pipelines.run_progress import listening
    from causa.pipelines.settings import load_settings

    settings = load_settings(args.config)
    scoring_model(settings.model_version, settings.registry_root)  # a model failing its hash check stops the run here
    with step_progress(sys.stderr, "run") as step, listening(step):
        result = run_nightly(
            config_path=str(args.config) if args.config else None, run_date=args.date, since=args.since,
            executor=args.executor, dask_address=args.dask_address,
        )
    sys.stdout.write(run_summary_text(result))
    if result.status == "success":
        return 0
    logger.error("%s", failed_sources(result))
    return EXIT_FAILED


def command_score(args: argparse.Namespace) -> int:
    from functools import partial

    from causa.pipelines.active_model import active_version
    from causa.pipelines.progress import score_progress
    from causa.storage.model_versions import load_model, load_version
    from causa.storage.scoring import score_file
    from causa.storage.scoring_pool import available_cores
    from causa.table_files import known_row_count

    imported = time.perf_counter()
    concrete, registry_root = active_version(args.model, args.config, args.registry)
    model, version = load_version(concrete, registry_root)
    loaded = time.perf_counter()
    logger.debug("start-up %.2f s: imports %.2f s, model load %.2f s", loaded - STARTED, imported - STARTED,
                 loaded - imported)
    workers = args.workers or available_cores()
    with score_progress(sys.stderr, known_row_count(args.input)) as advance:
        count = score_file(args.input, args.output, model, args.tier, workers=workers,
                           load_model=partial(load_model, concrete, registry_root), batch_rows=args.batch_rows,
                           on_batch=advance, model_version=version)
    sys.stdout.write(f"scored {count} texts with model {version} ({args.tier} tier) into {args.output}\n")
    return 0


def command_evaluate(args: argparse.Namespace) -> int:
    import json

    from causa.nlp.evaluation import evaluate, format_report
    from causa.nlp.language import LanguageDetector
    from causa.pipelines.active_model import active_model
    from causa.nlp.labels import read_labels

    model, version = active_model(args.model, args.config, args.registry)
    labels = read_labels(args.labels, args.text_col, args.sentiment_col, args.causes_col)
    detected = LanguageDetector().detect_many(labels.texts)
    languages = [given or found for given, found in zip(labels.languages, detected)]
    scores = model.score(labels.texts, languages, tier=args.tier)
    report = evaluate(
        languages, labels.sentiments, [s.sentiment for s in scores], labels.causes, [s.causes for s in scores],
        model.causes,
    )
    sys.stdout.write(f"model {version} ({args.tier} tier) on {args.labels}\n" + format_report(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"model_version": version, "tier": args.tier, "report": report}, indent=1),
                             encoding="utf-8")
    return 0


def command_serve(args: argparse.Namespace) -> int:
    from causa.pipelines.schedule import nightly_deployment

    from prefect import serve

    serve(nightly_deployment(args.name, args.cron, args.config))
    return 0


def command_sources(args: argparse.Namespace) -> int:
    """`causa sources check`: exit 1 when any source cannot be read."""
    from causa.pipelines.settings import load_settings
    from causa.pipelines.source_check import check_sources, format_check

    settings = load_settings(args.config)
    by_name = {source.name: source for source in settings.sources}
    checks = check_sources(settings, args.source)
    for check in checks:
        sys.stdout.write(format_check(check, by_name[check.source], args.show))
    return 1 if any(check.error for check in checks) else 0


def command_report(args: argparse.Namespace) -> int:
    from causa.pipelines.active_model import active_model
    from causa.pipelines.progress import step_progress
    from causa.storage.report import write_report
    from causa.pipelines.settings import load_settings

    settings = load_settings(args.config)
    model, version = active_model(args.model, args.config)
    with step_progress(sys.stderr, "report") as step:
        data = write_report(settings.lake_root, args.output, model.analyser, model.causes, args.start, args.end,
                            args.locale or settings.report_locale, model_version=version if args.model else None,
                            csi_weights=settings.csi_weights, on_step=step)
    versions = ", ".join(data.provenance.model_versions) if data.provenance else "?"
    sys.stdout.write(
        f"report {data.start} to {data.end}: {data.n_feedback} items scored by {versions or 'an unknown model'}, "
        f"{len(data.alerts)} alerts, {len(data.themes)} unexplained themes -> {args.output}\n"
    )
    return 0


def command_views(args: argparse.Namespace) -> int:
    from causa.pipelines.settings import load_settings
    from causa.storage.views import write_views

    settings = load_settings(args.config)
    written = write_views(settings.lake_root, args.output)
    empty = f" ({', '.join(written.empty_tables)} empty: no files yet)" if written.empty_tables else ""
    sys.stdout.write(f"{len(written.views)} views over {settings.lake_root}{empty} -> {written.path}\n")
    return 0


COMMANDS = {
    "report": command_report,
    "views": command_views,
    "sources": command_sources,
    "run": command_run,
    "score": command_score,
    "evaluate": command_evaluate,
    "serve": command_serve,
    **MODEL_COMMANDS,
}

if __name__ == "__main__":
    sys.exit(main())
