"""Reading a lake's tables back the way a report consumer does, for comparing two runs."""

from __future__ import annotations

from pathlib import Path

import duckdb

from causa.storage.schemas import ALERTS, FEEDBACK, QUARANTINE, SCORED, TableSpec, daily_summary_spec

DATA_TABLES: tuple[TableSpec, ...] = (FEEDBACK, SCORED, daily_summary_spec(), QUARANTINE, ALERTS)


def table_rows(lake: Path, spec: TableSpec) -> list[tuple]:
    """Every row of one table, read with DuckDB without its volatile columns, ordered by partition and key."""
    if not sorted((lake / spec.name).glob("*/*.parquet")):
        return []
    exclude = f" exclude ({', '.join(spec.volatile_columns)})" if spec.volatile_columns else ""
    order = ", ".join((spec.partition_column, *spec.key))
    sql = (
        f"select *{exclude} from read_parquet('{lake / spec.name}/*/*.parquet', hive_partitioning = true, "
        f"union_by_name = true) order by {order}"
    )
    with duckdb.connect() as con:
        return con.execute(sql).fetchall()
