"""The layout's rules hold: one-way imports between the packages, no cycles, `causa` the only installed name."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = {"causa": REPO / "causa", "causa.nlp": REPO / "nlp", "causa.storage": REPO / "storage",
                "causa.pipelines": REPO / "pipelines"}
FORBIDDEN = {
    "causa.nlp": ("prefect", "causa.storage", "causa.pipelines"),
    "causa.storage": ("prefect", "causa.pipelines"),
    "causa.errors": ("causa.nlp", "causa.storage", "causa.pipelines"),
    "causa.table_files": ("causa.nlp", "causa.storage", "causa.pipelines"),
}
"""What each part may not import: nlp knows nothing of tables or orchestration, storage nothing of orchestration,
and the shared leaf modules nothing of the packages."""
TOP_LEVEL_NAMES = ("nlp", "storage", "pipelines")


def source_modules() -> dict[str, Path]:
    """Every module of the installed `causa` package, by its dotted name, and its file in the repository."""
    modules = {}
    for package, folder in PACKAGE_DIRS.items():
        recurse = package != "causa"
        for path in sorted(folder.rglob("*.py") if recurse else folder.glob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join([package, *parts])] = path
    return modules


def imported_names(path: Path) -> list[str]:
    """What a file imports (`from a import b` gives a.b), at any depth, except under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
               and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
               for child in block.body for node in ast.walk(child)}
    names = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def import_graph() -> dict[str, set[str]]:
    """Each causa module and the causa modules it imports (a name that is not a module stands for the module
    that holds it)."""
    modules = source_modules()
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_names(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def test_every_import_goes_through_the_causa_namespace() -> None:
    offenders = [f"{path.relative_to(REPO)} imports {name}" for path in source_modules().values()
                 for name in imported_names(path) if name.split(".")[0] in TOP_LEVEL_NAMES]
    assert offenders == []


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_a_lower_part_does_not_import_a_higher_one(part: str) -> None:
    offenders = [f"{path.relative_to(REPO)} imports {name}"
                 for module, path in source_modules().items() if module == part or module.startswith(part + ".")
                 for name in imported_names(path) if name.startswith(FORBIDDEN[part])]
    assert offenders == []


def test_there_is_no_import_cycle() -> None:
    graph = import_graph()
    done: set[str] = set()
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append(" -> ".join(path[path.index(module):] + [module]))
            return
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, path + [module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert cycles == []


def test_the_cycle_check_finds_a_cycle(tmp_path: Path) -> None:
    """The import parser sees what a cycle is made of: imports inside functions count, TYPE_CHECKING ones do not."""
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import causa.nlp.model\n"
                      "def f():\n    from causa.storage.lake import Lake\n", encoding="utf-8")
    assert imported_names(module) == ["typing.TYPE_CHECKING", "causa.storage.lake.Lake"]


def test_the_wheel_installs_causa_as_its_only_top_level_package(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path), str(REPO)], check=True, cwd=tmp_path)
    (wheel,) = tmp_path.glob("causa_feedback-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"causa"}
    for expected in ("causa/__init__.py", "causa/nlp/model.py", "causa/nlp/default_model/manifest.json",
                     "causa/nlp/word_lists/language_detection.json", "causa/nlp/word_lists/redaction_context.json",
                     "causa/storage/report/render.py", "causa/pipelines/cli.py", "causa/pipelines/default_config.toml"):
        assert expected in names
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    with zipfile.ZipFile(wheel) as archive:
        assert "causa = causa.pipelines.cli:main" in archive.read(entry_points).decode()


def test_the_public_api_scores_texts_and_reads_a_lake(tmp_path: Path) -> None:
    import causa
    from causa.storage.schemas import FEEDBACK

    scores = causa.score_texts(causa.load_model("default"), ["The courier never came, two weeks late.",
                                                              "O atendente foi muito grosseiro comigo."])
    assert scores.column("language").to_pylist() == ["en", "pt"]
    assert "delay" in scores.column("causes")[0].as_py()
    assert causa.Lake(tmp_path).read("feedback").schema.names == causa.Lake(tmp_path).read(FEEDBACK).schema.names
    with pytest.raises(ValueError, match="no lake table is called 'feedbak'"):
        causa.Lake(tmp_path).read("feedbak")
    with pytest.raises(AttributeError, match="no attribute 'score'"):
        causa.score
