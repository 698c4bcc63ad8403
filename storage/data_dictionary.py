"""The README's data dictionary, generated from the table schemas (causa.storage.schemas) and their descriptions.

    python -m causa.storage.data_dictionary README.md           rewrite the section between the markers
    python -m causa.storage.data_dictionary README.md --check   exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Sequence

import pyarrow as pa

from causa.storage.errors import StorageError
from causa.storage.schemas import TABLES, TableSpec, description
from causa.table_files import write_text_atomically

logger = logging.getLogger(__name__)

BEGIN = "<!-- data dictionary: generated from storage/schemas.py by `python -m causa.storage.data_dictionary README.md` -->"
END = "<!-- end of the generated data dictionary -->"


class DataDictionaryError(StorageError, ValueError):
    """A file without the data dictionary's markers; the message names the file and the marker."""


def type_name(type_: pa.DataType) -> str:
    """A column type the way the data dictionary writes it (`timestamp (UTC)`, `list<string>`, `double`, ...)."""
    if pa.types.is_timestamp(type_):
        return f"timestamp ({type_.tz})" if type_.tz else "timestamp"
    if pa.types.is_list(type_):
        return f"list&lt;{type_name(type_.value_type)}&gt;"
    if pa.types.is_struct(type_):
        return f"struct&lt;{', '.join(field.name for field in type_)}&gt;"
    if pa.types.is_float32(type_):
        return "float"
    return str(type_)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def table_section(spec: TableSpec) -> str:
    """One table's heading and its columns: name, type (key columns marked), meaning; the partition column last."""
    keys = set(spec.key)
    lines = [f"### {spec.name}: {spec.description}", "", "| column | type | meaning |", "|---|---|---|"]
    for field in spec.schema:
        kind = type_name(field.type) + (" (key)" if field.name in keys else "")
        lines.append(f"| {field.name} | {kind} | {_cell(description(field))} |")
    lines.append(f"| {spec.partition_column} | date (partition) | {_cell(spec.partition_description)} |")
    return "\n".join(lines)


def render(specs: Sequence[TableSpec] = TABLES) -> str:
    """The generated section, markers included."""
    return "\n\n".join([BEGIN, *(table_section(spec) for spec in specs), END])


def updated(text: str, path: Path | str = "README.md") -> str:
    """`text` with the section between the markers replaced by the one generated now."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        missing = BEGIN if start < 0 else END
        raise DataDictionaryError(f"{path} has no data dictionary marker {missing!r} (after the first one)")
    return text[:start] + render() + text[end + len(END) :]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("readme", type=Path, help="the README holding the data dictionary markers")
    parser.add_argument("--check", action="store_true", help="only report whether the section is up to date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    text = args.readme.read_text(encoding="utf-8")
    wanted = updated(text, args.readme)
    if wanted == text:
        logger.info("%s: the data dictionary is up to date", args.readme)
        return 0
    if args.check:
        logger.error("%s: the data dictionary is out of date; run python -m causa.storage.data_dictionary %s",
                     args.readme, args.readme)
        return 1
    write_text_atomically(args.readme, wanted)
    logger.info("%s: data dictionary rewritten from the schemas", args.readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
