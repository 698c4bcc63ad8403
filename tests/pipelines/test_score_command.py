"""`causa score` and `causa evaluate`: the stable file interfaces, on CSV, JSONL and Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from causa.pipelines.cli import main

TEXTS = [
    ("1", "I have been on hold for three hours and nobody solves my problem"),
    ("2", "Fui cobrado duas vezes pela mesma compra, quero meu dinheiro de volta"),
    ("3", "El repartidor fue muy grosero y me colgó el teléfono"),
    ("4", "Comanda a ajuns la timp, multumesc, totul perfect"),
    ("5", "Спасибо большое, всё очень понравилось!"),
]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_score_writes_one_row_per_text(tmp_path: Path, suffix: str, shipped_model) -> None:
    source = tmp_path / f"in{suffix}"
    frame = pd.DataFrame(TEXTS, columns=["id", "text"])
    {".csv": lambda: frame.to_csv(source, index=False),
     ".jsonl": lambda: frame.to_json(source, orient="records", lines=True, force_ascii=False),
     ".parquet": lambda: frame.to_parquet(source)}[suffix]()
    output = tmp_path / "out.parquet"
    assert main(["score", str(source), "-o", str(output)]) == 0
    result = pq.read_table(output).to_pandas()
    assert result["id"].tolist() == [item_id for item_id, _ in TEXTS]
    assert result["language"].tolist() == ["en", "pt", "es", "ro", "ru"]
    expected_columns = {"sentiment", "p_negative", "p_neutral", "p_positive", "causes", "score_rudeness",
                        "score_unresolved_issue", "score_overcharge", "score_delay", "evidence", "needs_review"}
    assert expected_columns <= set(result.columns)
    sums = result[["p_negative", "p_neutral", "p_positive"]].sum(axis=1)
    assert sums.between(0.999, 1.001).all()
    for (_, text), evidence in zip(TEXTS, result["evidence"]):
        for span in evidence:
            assert text[span["start"]:span["end"]] == span["text"]


def test_score_with_the_accurate_tier_fuses_the_encoder(tmp_path: Path, shipped_model) -> None:
    source = tmp_path / "in.csv"
    pd.DataFrame(TEXTS, columns=["id", "text"]).to_csv(source, index=False)
    assert main(["score", str(source), "-o", str(tmp_path / "fast.parquet")]) == 0
    assert main(["score", str(source), "-o", str(tmp_path / "accurate.parquet"), "--tier", "accurate"]) == 0
    fast, accurate = (pd.read_parquet(tmp_path / f"{tier}.parquet") for tier in ("fast", "accurate"))
    assert accurate["id"].tolist() == fast["id"].tolist()
    assert not (accurate["p_negative"] - fast["p_negative"]).abs().lt(1e-6).all()
    assert accurate[["p_negative", "p_neutral", "p_positive"]].sum(axis=1).between(0.999, 1.001).all()
    assert accurate.loc[0, "sentiment"] == "negative" and accurate.loc[4, "sentiment"] == "positive"


def test_score_names_a_missing_text_column(tmp_path: Path, caplog) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,body\n1,hello\n")
    assert main(["score", str(source), "-o", str(tmp_path / "o.parquet")]) == 2
    assert "no column 'text'" in caplog.text


def test_language_column_overrides_detection(tmp_path: Path, shipped_model) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"text": "ok", "language": "pt"}) + "\n")
    output = tmp_path / "o.parquet"
    assert main(["score", str(source), "-o", str(output)]) == 0
    assert pq.read_table(output).column("language").to_pylist() == ["pt"]


def test_evaluate_reports_per_language_and_writes_json(tmp_path: Path, capsys, shipped_model) -> None:
    labels = tmp_path / "labels.csv"
    pd.DataFrame(
        {
            "text": [text for _, text in TEXTS],
            "sentiment": ["negative", "negative", "negative", "positive", "positive"],
            "causes": ["delay;unresolved_issue", "overcharge", "rudeness", "", ""],
        }
    ).to_csv(labels, index=False)
    report_path = tmp_path / "report.json"
    assert main(["evaluate", "--labels", str(labels), "--json", str(report_path)]) == 0
    printed = capsys.readouterr().out
    assert "== all (5 items)" in printed and "== ru (1 items)" in printed
    report = json.loads(report_path.read_text())["report"]
    assert report["all"]["sentiment"]["n"] == 5
    assert set(report["all"]["causes"]) == {"rudeness", "unresolved_issue", "overcharge", "delay"}
    assert len(report["all"]["sentiment"]["confusion"]) == 3


def test_evaluate_names_a_bad_label(tmp_path: Path, caplog) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("text,sentiment\nhello,furious\n")
    assert main(["evaluate", "--labels", str(labels)]) == 2
    assert "'furious'" in caplog.text
