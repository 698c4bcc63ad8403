"""No personal data in any table: contact data redacted in every language, author handles never stored, and
production mode refuses to run without a salt."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from causa.pipelines.cli import main
from causa.pipelines.flows import nightly
from causa.pipelines.settings import SettingsError, load_settings
from tests.reliability.lakes import RUN_DATE, write_config

pytestmark = pytest.mark.reliability

ITEMS = [
    ("en", "Call me at (415) 555-2671 or write to john.doe@example.com, card 4111 1111 1111 1111 was charged twice"),
    ("en", "Reset link https://shop.example.com/reset?token=8f14e45fceea167a5a36dedd4bea2543&lang=en never worked"),
    ("pt", "Meu celular: +55 11 91234-5678, email maria.silva@exemplo.com.br, cobraram duas vezes"),
    ("pt", "Liguem para 912 345 678, o IBAN PT50 0002 0123 1234 5678 9015 4 está certo e ninguém responde"),
    ("es", "Llámame al 612 34 56 78, mi correo es lucia@ejemplo.es y la tarjeta 5500 0000 0000 0004"),
    ("es", "Devuelvan el dinero a ES91 2100 0418 4502 0005 1332, llevo un mes esperando"),
    ("ro", "Sunați-mă la 0721 234 567 sau scrieți la ion.popescu@exemplu.ro, comanda a întârziat"),
    ("ro", "Returnați banii în RO49 AAAA 1B31 0075 9384 0000, vă rog, e a treia oară"),
    ("ru", "Позвоните +7 (912) 345-67-89, почта ivan@primer.ru, доставка опоздала на неделю"),
    ("ru", "Карта 4111-1111-1111-1111 списали дважды, мой номер 8 912 345 67 89"),
    ("pt", "Meu CPF é 529.982.247-25 e a senha do app é Banana77, escreve joao arroba gmail ponto com"),
    ("ru", "СНИЛС 112-233-445 95, паспорт 45 06 123456, пароль: qwe123, поддержка молчит"),
]
SECRETS = [
    "(415) 555-2671", "john.doe@example.com", "4111 1111 1111 1111", "8f14e45fceea167a5a36dedd4bea2543",
    "91234-5678", "maria.silva@exemplo.com.br", "912 345 678", "PT50 0002", "612 34 56 78", "lucia@ejemplo.es",
    "5500 0000 0000 0004", "ES91 2100", "0721 234 567", "ion.popescu@exemplu.ro", "RO49 AAAA", "345-67-89",
    "ivan@primer.ru", "4111-1111-1111-1111", "912 345 67 89", "529.982.247-25", "Banana77", "joao arroba",
    "112-233-445 95", "45 06 123456", "qwe123",
]
HANDLES = [f"handle_{language}_{index}_zz" for index, (language, _) in enumerate(ITEMS)]
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
CARD = re.compile(r"\b(?:\d[ -]?){13,19}\b")


def all_strings(lake: Path) -> list[str]:
    """Every string value of every table (nested values as JSON), read back through DuckDB."""
    values: list[str] = []
    with duckdb.connect() as db:
        for table in sorted(p.name for p in lake.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
            files = list((lake / table).glob("*/*.parquet"))
            if not files:
                continue
            relation = db.execute(f"select * from read_parquet('{lake}/{table}/*/*.parquet', union_by_name=true)")
            for row in relation.fetchall():
                values.extend(json.dumps(value, default=str, ensure_ascii=False) for value in row)
    return values


def test_no_personal_data_and_no_author_handle_in_any_table(prefect_server, tmp_path: Path, fault_report) -> None:
    drops = tmp_path / "drops"
    drops.mkdir()
    records = [
        {"id": f"{language}-{index}", "body": text, "at": f"2026-11-{index + 1:02d}T10:00:00Z", "who": handle, "stars": 1}
        for index, ((language, text), handle) in enumerate(zip(ITEMS, HANDLES))
    ]
    # rejected rows keep their raw record in quarantine: it must be clean too
    records.append({"id": "q-1", "body": "Email me: ana.souza@exemplo.com.br, tel +351 912 345 678, DNI 12345678Z, "
                    "password: hunter2", "at": "broken", "who": "handle_quarantined_zz"})
    (drops / "drop.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    result = nightly(config_path=str(write_config(tmp_path)), run_date=RUN_DATE)
    assert result.status == "success"
    lake = tmp_path / "lake"
    values = all_strings(lake)
    blob = "\n".join(values)
    for secret in [*SECRETS, "ana.souza@exemplo.com.br", "912 345 678", "12345678Z", "hunter2"]:
        assert secret not in blob, f"{secret!r} is stored"
    for handle in [*HANDLES, "handle_quarantined_zz"]:
        assert handle not in blob, f"author handle {handle!r} is stored"
    assert not EMAIL.search(blob.replace("[EMAIL]", "")), EMAIL.search(blob)
    with duckdb.connect() as db:
        kinds = db.execute(
            f"select language, list_sort(list_distinct(flatten(list(redactions)))) from read_parquet('{lake}/feedback/*/*.parquet')"
            " group by 1 order by 1"
        ).fetchall()
        hashes = db.execute(f"select count(distinct author_hash) from read_parquet('{lake}/feedback/*/*.parquet')").fetchall()
        quarantined = db.execute(f"select raw from read_parquet('{lake}/quarantine/*/*.parquet')").fetchall()
    by_language = dict(kinds)
    assert set(by_language) == {"en", "pt", "es", "ro", "ru"}
    assert {"email", "phone", "card", "url_token"} <= set(by_language["en"])
    assert {"email", "phone", "iban"} <= set(by_language["pt"]) and {"email", "phone", "card", "iban"} <= set(by_language["es"])
    assert {"email", "phone", "iban"} <= set(by_language["ro"]) and {"email", "phone", "card"} <= set(by_language["ru"])
    assert {"national_id", "credential"} <= set(by_language["pt"]) and {"national_id", "credential"} <= set(by_language["ru"])
    assert hashes == [(len(ITEMS),)]
    assert "[EMAIL]" in quarantined[0][0] and "[AUTHOR]" in quarantined[0][0]
    assert "[NATIONAL_ID]" in quarantined[0][0] and "[CREDENTIAL]" in quarantined[0][0]
    fault_report.record("PII in five languages through the flow", len(records), len(ITEMS), 1)


def test_production_mode_without_a_salt_refuses_to_run(tmp_path: Path, monkeypatch, caplog) -> None:
    config = write_config(tmp_path)
    config.write_text(config.read_text() + '\n[privacy]\nproduction = true\nsalt_env = "CAUSA_TEST_SALT"\n')
    monkeypatch.delenv("CAUSA_TEST_SALT", raising=False)
    with pytest.raises(SettingsError, match="CAUSA_TEST_SALT"):
        load_settings(config)
    assert main(["run", "--config", str(config), "--date", "2026-11-20"]) == 2
    assert "CAUSA_TEST_SALT" in caplog.text
    assert not (tmp_path / "lake" / "feedback").exists()
    monkeypatch.setenv("CAUSA_TEST_SALT", "a-real-secret")
    assert load_settings(config).author_salt == "a-real-secret"
