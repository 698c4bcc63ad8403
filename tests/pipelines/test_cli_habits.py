"""What every `causa` command offers alike: help text for each option, -v before or after the command, --version."""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from importlib.metadata import version as installed_version

import pytest

from causa.nlp.model_store import default_model_dir
from causa.pipelines.cli import build_parser


def every_parser(parser: argparse.ArgumentParser, path: str = "causa"):
    """(command path, parser) for `causa` and each of its subcommands, nested ones included."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                yield from every_parser(subparser, f"{path} {name}")


def test_every_option_argument_and_subcommand_has_help_text() -> None:
    missing = []
    for path, parser in every_parser(build_parser()):
        for action in parser._actions:
            if not (action.help or "").strip():
                missing.append(f"{path}: {'/'.join(action.option_strings) or action.dest}")
            if isinstance(action, argparse._SubParsersAction):  # a subcommand's help is its line in the list
                helps = {choice.dest: choice.help for choice in action._choices_actions}
                missing += [f"{path} {name}" for name in action.choices if not (helps.get(name) or "").strip()]
    assert not missing, missing


def test_every_subcommand_is_walked() -> None:
    paths = {path for path, _ in every_parser(build_parser())}
    assert {"causa run", "causa train", "causa report", "causa sources check", "causa models promote"} <= paths


@pytest.mark.parametrize("argv", [["-v", "models", "list"], ["models", "list", "-v"], ["models", "-v", "list"],
                                  ["--verbose", "run"], ["run", "--verbose"]])
def test_verbose_is_taken_before_or_after_the_command(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).verbose is True


@pytest.mark.parametrize("argv", [["models", "list"], ["run"], ["sources", "check"]])
def test_without_verbose_it_is_off(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).verbose is False


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_after_the_command_logs_debug_like_before_it(where: str, tmp_path) -> None:
    """The same debug line (score's start-up timing) with -v on either side of the command, none without."""
    source = tmp_path / "in.csv"
    source.write_text("text\nthe delivery was late\n", encoding="utf-8")

    def score(*verbose: str) -> str:
        options = ["score", str(source), "-o", str(tmp_path / "out.parquet"), "--model", "default"]
        argv = [*verbose, *options] if where == "before" else [*options, *verbose]
        done = subprocess.run([sys.executable, "-m", "causa.pipelines.cli", *argv], capture_output=True, text=True,
                              cwd=tmp_path, timeout=300)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("scored 1 texts with model ")
        return done.stderr

    assert "DEBUG causa: start-up" in score("-v")
    assert "DEBUG" not in score()


def test_version_names_the_package_and_the_shipped_model() -> None:
    done = subprocess.run([sys.executable, "-m", "causa.pipelines.cli", "--version"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    model = json.loads((default_model_dir() / "manifest.json").read_text(encoding="utf-8"))["version"]
    assert done.stdout == f"causa {installed_version('causa-feedback')} (shipped model {model})\n"
