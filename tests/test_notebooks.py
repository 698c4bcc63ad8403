"""The notebooks run top to bottom on the bundled sample (jupytext percent scripts executed by nbclient)."""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(scope="module")
def sample_lake(tmp_path_factory, prefect_server) -> Path:
    import shutil

    from causa.pipelines.flows import nightly
    from causa.pipelines.settings import default_config_path

    folder = tmp_path_factory.mktemp("notebook-lake")
    config = folder / "causa.toml"
    shutil.copy(default_config_path(), config)
    return nightly(config_path=str(config)).lake_root


@pytest.mark.parametrize("name", ["lake_trends.py", "retrain_and_promote.py", "active_learning_round.py"])
def test_notebook_runs(name: str, sample_lake: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CAUSA_LAKE", str(sample_lake))
    monkeypatch.setenv("CAUSA_REGISTRY", str(tmp_path / "models"))
    monkeypatch.setenv("CAUSA_BASE_PER_LANGUAGE", "80")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(NOTEBOOKS.parent), os.environ.get("PYTHONPATH", "")]))
    notebook = jupytext.read(NOTEBOOKS / name)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    assert not [output for output in outputs if output.get("output_type") == "error"]
    if name == "retrain_and_promote.py":
        printed = "".join(output.get("text", "") for output in outputs)
        assert "promoted now:" in printed and "# causa model" in printed
        assert any((tmp_path / "models").iterdir())
    if name == "active_learning_round.py":
        printed = "".join(output.get("text", "") for output in outputs)
        assert "queue: 60 items" in printed and "promoted now:" in printed
        assert "0 of them labelled before" in printed
        labelled = (tmp_path / "labelled_round_1.csv").read_text(encoding="utf-8")
        assert labelled.startswith("feedback_id,text,language") and any((tmp_path / "models").iterdir())
