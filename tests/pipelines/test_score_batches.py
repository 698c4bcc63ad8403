"""`causa score` in batches and on several worker processes: the same rows as one batch on one worker."""

from __future__ import annotations

import json
import logging
import os
import random
import select
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from causa.pipelines.cli import main
from causa.pipelines.progress import score_progress

PHRASES = {
    "en": ["my order arrived two weeks late", "the agent was rude and hung up on me", "they charged me twice",
           "nobody solves my problem", "great service, thank you", "what time do you open"],
    "pt": ["meu pedido chegou atrasado", "o atendente foi grosseiro", "cobraram duas vezes no cartão",
           "produto excelente, recomendo", "ninguém responde o chat"],
    "es": ["el pedido llegó tarde", "la cajera fue muy maleducada", "me cobraron de más", "muy buena atención"],
    "ro": ["comanda a ajuns cu intarziere", "operatorul a fost nepoliticos", "produs foarte bun, multumesc"],
    "ru": ["заказ пришёл с опозданием", "оператор нагрубил мне", "списали деньги дважды", "отличный сервис, спасибо"],
}


def mixed_texts(count: int, seed: int = 3) -> pd.DataFrame:
    """`count` texts of one to three phrases of one language, some empty, some with a language given."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        language = rng.choice(sorted(PHRASES))
        text = ", ".join(rng.choice(PHRASES[language]) for _ in range(rng.randint(1, 3))) + rng.choice(["", "!", "?"])
        if index % 37 == 5:
            text = ""
        rows.append({"id": f"r{index}", "text": text, "language": language if index % 4 == 0 else ""})
    return pd.DataFrame(rows)


def test_two_workers_write_the_rows_of_one_worker(tmp_path: Path, caplog, shipped_model) -> None:
    source = tmp_path / "in.csv"
    frame = mixed_texts(300)
    frame.to_csv(source, index=False)
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    assert main(["score", str(source), "-o", str(one), "--model", "default", "--workers", "1",
                 "--batch-rows", "40"]) == 0
    caplog.set_level(logging.DEBUG, logger="causa.storage.scoring_pool")
    assert main(["score", str(source), "-o", str(two), "--model", "default", "--workers", "2",
                 "--batch-rows", "40"]) == 0
    worker_pids = {record.args[0] for record in caplog.records if record.name == "causa.storage.scoring_pool"}
    assert worker_pids and os.getpid() not in worker_pids, "the two-worker run should score in other processes"
    single, pooled = pq.read_table(one), pq.read_table(two)
    assert pooled.column("id").to_pylist() == frame["id"].tolist()
    assert pooled.equals(single)
    assert set(PHRASES) <= set(pooled.column("language").to_pylist())
    assert "negative" in pooled.column("sentiment").to_pylist()


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_a_file_larger_than_one_batch_scores_as_one_batch(tmp_path: Path, suffix: str, shipped_model) -> None:
    source = tmp_path / f"in{suffix}"
    frame = mixed_texts(90, seed=8)[["text", "language"]]  # no id column: ids are positions in the whole file
    {".csv": lambda: frame.to_csv(source, index=False),
     ".jsonl": lambda: frame.to_json(source, orient="records", lines=True, force_ascii=False),
     ".parquet": lambda: frame.to_parquet(source)}[suffix]()
    whole, batched = tmp_path / "whole.parquet", tmp_path / "batched.parquet"
    assert main(["score", str(source), "-o", str(whole), "--model", "default", "--workers", "1"]) == 0
    assert main(["score", str(source), "-o", str(batched), "--model", "default", "--workers", "1",
                 "--batch-rows", "7"]) == 0
    assert pq.ParquetFile(whole).num_row_groups == 1
    assert pq.ParquetFile(batched).num_row_groups == 13  # written batch by batch, not gathered first
    result = pq.read_table(batched)
    assert result.column("id").to_pylist() == [str(index) for index in range(90)]
    assert result.equals(pq.read_table(whole))


def test_an_empty_file_gives_an_empty_table(tmp_path: Path, shipped_model) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,text\n")
    output = tmp_path / "o.parquet"
    assert main(["score", str(source), "-o", str(output), "--model", "default", "--workers", "2"]) == 0
    table = pq.read_table(output)
    assert table.num_rows == 0 and "p_negative" in table.column_names


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_a_missing_text_column_is_named_and_nothing_is_written(tmp_path: Path, suffix: str, caplog) -> None:
    source = tmp_path / f"in{suffix}"
    frame = pd.DataFrame({"id": [str(index) for index in range(20)], "body": ["hello"] * 20})
    {".csv": lambda: frame.to_csv(source, index=False),
     ".jsonl": lambda: frame.to_json(source, orient="records", lines=True),
     ".parquet": lambda: frame.to_parquet(source)}[suffix]()
    output = tmp_path / "out" / "o.parquet"
    assert main(["score", str(source), "-o", str(output), "--model", "default", "--workers", "2",
                 "--batch-rows", "3"]) == 2
    assert "no column 'text'" in caplog.text and "'body'" in caplog.text
    assert not output.parent.exists()


def test_an_unknown_suffix_is_named(tmp_path: Path, caplog) -> None:
    source = tmp_path / "in.txt"
    source.write_text("text\nhello\n")
    assert main(["score", str(source), "-o", str(tmp_path / "o.parquet"), "--model", "default"]) == 2
    assert f"cannot read {source}: expected a suffix in" in caplog.text
    assert not (tmp_path / "o.parquet").exists()


def test_no_progress_is_shown_when_stderr_is_not_a_terminal(tmp_path: Path, capsys, shipped_model) -> None:
    source = tmp_path / "in.csv"
    mixed_texts(30).to_csv(source, index=False)
    assert main(["score", str(source), "-o", str(tmp_path / "o.parquet"), "--model", "default",
                 "--batch-rows", "10"]) == 0
    captured = capsys.readouterr()
    assert "docs/s" not in captured.err and "\r" not in captured.err
    assert captured.out.startswith("scored 30 texts")


@pytest.mark.parametrize("rich_installed", [True, False])
def test_progress_on_a_terminal_shows_rows_and_docs_per_second(rich_installed: bool, monkeypatch) -> None:
    if not rich_installed:
        monkeypatch.setitem(sys.modules, "rich.progress", None)  # its import fails: the plain line is drawn
    controller, terminal = os.openpty()
    with open(terminal, "w", encoding="utf-8", closefd=True) as stream:
        assert stream.isatty()
        with score_progress(stream, total=1_500) as advance:
            advance(1_000)
            advance(500)
    shown = b""
    while select.select([controller], [], [], 0.5)[0]:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal side is closed and everything was read
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    text = shown.decode("utf-8", errors="replace")
    assert "1,500 rows" in text and "docs/s" in text


def test_jsonl_ids_and_language_hints_come_through_the_batches(tmp_path: Path, shipped_model) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": index, "text": "ok", "language": "pt"}) + "\n" for index in range(5)))
    output = tmp_path / "o.parquet"
    assert main(["score", str(source), "-o", str(output), "--model", "default", "--batch-rows", "2"]) == 0
    table = pq.read_table(output)
    assert table.column("id").to_pylist() == ["0", "1", "2", "3", "4"]
    assert table.column("language").to_pylist() == ["pt"] * 5
