"""Helpers for reliability scenarios: generated sources, configs, subprocess runs, tables read back."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow.dataset as ds

DATA_TABLES = ("feedback", "scored", "daily_summary", "quarantine")
PARTITIONS = {"feedback": "created_date", "scored": "created_date", "daily_summary": "created_date",
              "quarantine": "received_date", "runs": "run_date"}
RUN_DATE = date(2026, 11, 20)

TEXTS = [
    ("en", "The courier was {n} days late and nobody answered my emails"),
    ("en", "Great service, the staff were kind and quick, thank you"),
    ("en", "I was charged twice for order {n}, still no refund"),
    ("pt", "A entrega atrasou {n} dias e o atendente foi grosseiro comigo"),
    ("pt", "Adorei o produto, chegou rápido e bem embalado"),
    ("es", "Me cobraron de más en la factura {n} y nadie responde"),
    ("es", "Excelente atención, muy amables en la tienda"),
    ("ro", "Comanda a întârziat {n} zile și nimeni nu răspunde la telefon"),
    ("ro", "Foarte mulțumit, livrare rapidă"),
    ("ru", "Доставка задержалась на {n} дней, оператор бросил трубку"),
    ("ru", "Отличный сервис, всё пришло вовремя"),
]


def generate_source(folder: Path, rows: int, days: int, seed: int = 7, bad_every: int = 97) -> dict[str, int]:
    """A JSONL drop of `rows` records over `days` days; every `bad_every`-th record is malformed."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime.combine(RUN_DATE - timedelta(days=days), datetime.min.time(), timezone.utc)
    bad = 0
    with (folder / "drop.jsonl").open("w", encoding="utf-8") as out:
        for index in range(rows):
            language, template = rng.choice(TEXTS)
            record = {
                "id": f"item-{index}",
                "body": template.format(n=rng.randint(2, 40)) + f" #{index}",
                "at": (start + timedelta(minutes=rng.randint(0, days * 24 * 60 - 1))).isoformat(),
                "who": f"user{rng.randint(0, rows // 3)}",
                "stars": rng.randint(1, 5),
            }
            if bad_every and index % bad_every == bad_every - 1:
                record["at"] = "not a date"
                bad += 1
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return {"rows": rows, "bad": bad}


def write_config(folder: Path, source_glob: str = "drops/*.jsonl", extra_lake: str = "") -> Path:
    config = folder / "causa.toml"
    config.write_text(
        f'[lake]\nroot = "lake"\n{extra_lake}\n'
        f'[[sources]]\nname = "drops"\nkind = "files"\npath = "{source_glob}"\nchannel = "review"\n'
        '[sources.fields]\nid = "id"\ntext = "body"\ncreated_at = "at"\nauthor = "who"\nrating = "stars"\n',
        encoding="utf-8",
    )
    return config


def run_command(config: Path, run_date: date = RUN_DATE) -> list[str]:
    return [sys.executable, "-m", "causa.pipelines.cli", "run", "--config", str(config), "--date", run_date.isoformat()]


def subprocess_env() -> dict[str, str]:
    """The environment for a `causa run` subprocess, pointed at the test session's Prefect server."""
    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    api = PREFECT_API_URL.value()
    if api:
        env["PREFECT_API_URL"] = api
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2]) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_run(config: Path, run_date: date = RUN_DATE, log: Path | None = None) -> subprocess.Popen:
    stream = open(log or config.parent / "run.log", "wb")
    return subprocess.Popen(
        run_command(config, run_date), env=subprocess_env(), cwd=config.parent, stdout=stream, stderr=subprocess.STDOUT
    )


def partition_files(lake: Path, table: str) -> list[Path]:
    return sorted((lake / table).glob("*=*/*.parquet"))


def rows_of(lake: Path, table: str, drop: tuple[str, ...] = ("run_id",)) -> list[tuple]:
    """All rows of a table via DuckDB, with its partition column, sorted, without the named columns."""
    if not partition_files(lake, table):
        return []
    with duckdb.connect() as db:
        relation = db.execute(
            f"select * from read_parquet('{lake}/{table}/*/*.parquet', hive_partitioning=true, union_by_name=true)"
        )
        names = [column[0] for column in relation.description]
        rows = relation.fetchall()
    keep = [i for i, name in enumerate(names) if name not in drop]
    return sorted((tuple(_hashable(row[i]) for i in keep) for row in rows), key=repr)


def partition_rows(lake: Path, table: str, partition: str) -> list[tuple]:
    """The rows of one partition file via pyarrow, sorted, without run_id."""
    table_rows = ds.dataset(lake / table / partition, format="parquet").to_table().to_pylist()
    return sorted((tuple(_hashable(v) for k, v in row.items() if k != "run_id") for row in table_rows), key=repr)


def _hashable(value):
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value
