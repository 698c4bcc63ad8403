"""The nightly flow end to end over the bundled sample, read back with DuckDB; reruns change nothing."""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from causa.pipelines.cli import main
from causa.pipelines.flows import nightly
from causa.pipelines.schedule import nightly_deployment
from tests.pipelines.sample_files import repeated, sample_rows

pytestmark = pytest.mark.usefixtures("prefect_server")
RUN_DATE = date(2026, 11, 20)
DATA_TABLES = ("feedback", "scored", "daily_summary", "quarantine")
INCIDENT_WEEK = date(2026, 10, 26)
"""Monday of the sample's courier outage (pipelines/sample/README.md): delay complaints spike on social media."""


def table(lake: Path, name: str) -> str:
    return f"read_parquet('{lake}/{name}/*/*.parquet', hive_partitioning = true)"


def file_hashes(lake: Path) -> dict[str, str]:
    return {
        str(path.relative_to(lake)): hashlib.sha256(path.read_bytes()).hexdigest()
        for name in DATA_TABLES
        for path in sorted((lake / name).rglob("*.parquet"))
    }


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> tuple[Path, object]:
    from causa.pipelines.settings import default_config_path

    folder = tmp_path_factory.mktemp("night")
    config = folder / "causa.toml"
    config.write_text(default_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    result = nightly(config_path=str(config), run_date=RUN_DATE)
    return config, result


def test_sample_night_lands_every_table(sample_run) -> None:
    config, result = sample_run
    lake = config.parent / "lake"
    assert result.status == "success"
    rows = sample_rows()
    read = sum(len(source_rows) for source_rows in rows.values())
    repeats = sum(repeated(source_rows) for source_rows in rows.values())
    assert [(o.source, o.extracted) for o in result.outcomes] == [(name, len(r)) for name, r in rows.items()]
    with duckdb.connect() as db:
        stored = db.execute(f"select count(*), count(distinct feedback_id) from {table(lake, 'feedback')}").fetchone()
        quarantined = db.execute(f"select count(*) from {table(lake, 'quarantine')}").fetchone()[0]
        assert stored[0] == stored[1], "feedback_id must be unique"
        assert repeats >= 2, "the sample holds repeated posts"
        assert stored[0] + quarantined + repeats == read
        assert quarantined >= 2
        scored = db.execute(
            f"select count(*), count(sentiment), count(distinct feedback_id) from {table(lake, 'scored')}"
        ).fetchone()
        assert scored == (stored[0], stored[0], stored[0])
        summary_total = db.execute(f"select sum(n_feedback) from {table(lake, 'daily_summary')}").fetchone()[0]
        assert summary_total == stored[0]
        sentiment_total = db.execute(
            f"select sum(n_negative + n_neutral + n_positive) from {table(lake, 'daily_summary')}"
        ).fetchone()[0]
        assert sentiment_total == stored[0]
        days = db.execute(f"select count(distinct created_date) from {table(lake, 'feedback')}").fetchone()[0]
        assert days >= 30
        languages = {row[0] for row in db.execute(f"select distinct language from {table(lake, 'feedback')}").fetchall()}
        assert {"en", "pt", "es", "ro", "ru"} <= languages
        runs = db.execute(f"select status, rows_in, rows_quarantined, model_version from {table(lake, 'runs')}").fetchall()
        assert runs == [("success", read, quarantined, result.model_version)]


def test_quarantine_names_the_reason_and_holds_no_personal_data(sample_run) -> None:
    config, _ = sample_run
    lake = config.parent / "lake"
    with duckdb.connect() as db:
        reasons = [row[0] for row in db.execute(f"select reason from {table(lake, 'quarantine')}").fetchall()]
        texts = [row[0] for row in db.execute(f"select text from {table(lake, 'feedback')}").fetchall()]
    assert any("empty text" in reason for reason in reasons)
    assert any("created_at" in reason for reason in reasons)
    assert not any("4111 1111 1111 1111" in text or "@example." in text for text in texts)


def test_sample_night_alerts_on_the_incident_week_and_collects_survey_scores(sample_run) -> None:
    """The sample's courier outage raises delay alerts on social on most days of its week, more than in any other
    week (false alarms are rare, not absent); the post-contact surveys give CSAT, NPS and CES, shown as KPIs."""
    config, _ = sample_run
    lake = config.parent / "lake"
    with duckdb.connect() as db:
        alert_days = [day for (day,) in db.execute(
            f"select created_date from {table(lake, 'alerts')} where cause = 'delay' and channel = 'social'"
        ).fetchall()]
        surveys = db.execute(f"select count(*) from {table(lake, 'feedback')} where channel = 'survey'").fetchone()[0]
        answers = db.execute(f"select sum(n_csat), sum(n_nps), sum(n_ces), min(nps), max(nps), min(ces_avg), "
                             f"max(ces_avg) from {table(lake, 'daily_summary')} where channel = 'survey'").fetchone()
    weeks = Counter(day - timedelta(days=day.weekday()) for day in alert_days)
    assert weeks[INCIDENT_WEEK] >= 3 and all(n < weeks[INCIDENT_WEEK] for week, n in weeks.items()
                                             if week != INCIDENT_WEEK), alert_days
    assert surveys > 100 and answers[:3] == (surveys, surveys, surveys)
    assert -100 <= answers[3] < answers[4] <= 100 and 1 <= answers[5] < answers[6] <= 7
    report = (lake / "report.html").read_text(encoding="utf-8")
    values = dict(re.findall(r'data-kpi="(\w+)" data-value="([^"]*)"', report))
    assert all(values.get(kpi) for kpi in ("csat_pct", "nps", "ces_avg")), values  # empty when not collected
    assert "data-not-collected" not in report


def test_second_identical_run_changes_no_data_table(sample_run) -> None:
    config, first = sample_run
    lake = config.parent / "lake"
    before = file_hashes(lake)
    second = nightly(config_path=str(config), run_date=RUN_DATE)
    assert second.status == "success"
    assert sum(o.changed for o in second.outcomes) == 0
    assert file_hashes(lake) == before
    with duckdb.connect() as db:
        runs = db.execute(f"select run_id, rows_changed from {table(lake, 'runs')} order by started_at").fetchall()
    assert [run_id for run_id, _ in runs] == [first.run_id, second.run_id]
    assert runs[1][1] == 0


def test_malformed_row_goes_to_quarantine_while_the_rest_lands(tmp_path: Path) -> None:
    drops = tmp_path / "drops"
    drops.mkdir()
    (drops / "day.csv").write_text(
        "id,at,body,stars\n"
        "a1,2026-11-01T10:00:00Z,The courier was two days late,2\n"
        "a2,2026-11-01T11:00:00Z,Lovely staff and quick service,5\n"
        "a3,yesterday-ish,This row has a broken date,3\n"
        "a4,2026-11-02T09:00:00Z,Rating out of range,11\n",
        encoding="utf-8",
    )
    config = tmp_path / "causa.toml"
    config.write_text(
        '[lake]\nroot = "lake"\n[[sources]]\nname = "shop"\nkind = "files"\npath = "drops/*.csv"\nchannel = "review"\n'
        '[sources.fields]\nid = "id"\ntext = "body"\ncreated_at = "at"\nrating = "stars"\n',
        encoding="utf-8",
    )
    result = nightly(config_path=str(config), run_date=RUN_DATE)
    assert result.status == "success"
    lake = tmp_path / "lake"
    with duckdb.connect() as db:
        ids = sorted(row[0] for row in db.execute(f"select source_item_id from {table(lake, 'feedback')}").fetchall())
        rejected = dict(db.execute(f"select source_item_id, reason from {table(lake, 'quarantine')}").fetchall())
    assert ids == ["a1", "a2"]
    assert "not a valid ISO 8601 time: 'yesterday-ish'" in rejected["a3"]
    assert "rating 11 is outside 1..5" in rejected["a4"]


def test_failing_source_is_reported_while_the_others_land(tmp_path: Path, capsys) -> None:
    (tmp_path / "ok.jsonl").write_text('{"id": "1", "t": "Muito obrigado, entrega rápida!", "d": "2026-11-01"}\n')
    config = tmp_path / "causa.toml"
    config.write_text(
        '[lake]\nroot = "lake"\n'
        '[[sources]]\nname = "gone"\nkind = "files"\npath = "missing/*.csv"\nchannel = "review"\n'
        '[sources.fields]\nid = "id"\ntext = "t"\ncreated_at = "d"\n'
        '[[sources]]\nname = "ok"\nkind = "files"\npath = "ok.jsonl"\nchannel = "social"\n'
        '[sources.fields]\nid = "id"\ntext = "t"\ncreated_at = "d"\n',
        encoding="utf-8",
    )
    exit_code = main(["run", "--config", str(config), "--date", "2026-11-20"])
    assert exit_code == 1
    output = capsys.readouterr().out
    assert "partial" in output and "gone" in output and "FAILED" in output
    lake = tmp_path / "lake"
    with duckdb.connect() as db:
        assert db.execute(f"select count(*) from {table(lake, 'feedback')}").fetchone()[0] == 1
        [(counts,)] = db.execute(f"select source_counts from {table(lake, 'runs')}").fetchall()
    by_source = {entry["source"]: entry for entry in counts}
    assert by_source["gone"]["status"] == "failed" and "no file matches" in by_source["gone"]["error"]
    assert by_source["ok"]["stored"] == 1


def test_nightly_schedule_is_built_as_documented(tmp_path: Path) -> None:
    config = tmp_path / "causa.toml"
    config.write_text("")
    deployment = nightly_deployment("nightly", "0 2 * * *", config)
    assert deployment.name == "nightly"
    assert deployment.parameters == {"config_path": str(config.resolve())}
    [schedule] = deployment.schedules
    assert schedule.schedule.cron == "0 2 * * *"


def test_score_explain_and_evaluate_give_the_nightly_scores_for_the_same_raw_texts(sample_run, shipped_model,
                                                                                  tmp_path) -> None:
    """One preparation: the raw review texts (with their personal data) score as the night scored them."""
    import pandas as pd

    from causa.nlp.explain import explain
    from causa.storage.scoring import score_file
    from causa.pipelines.settings import sample_root
    from causa.storage.identity import feedback_id

    config, _ = sample_run
    lake = config.parent / "lake"
    raw = pd.concat([pd.read_csv(path, encoding="utf-8-sig", dtype=str) for path in
                     sorted(sample_root().glob("store_reviews/*.csv"))])
    raw["id"] = [feedback_id("store_reviews", review_id) for review_id in raw["review_id"]]
    with duckdb.connect() as db:
        night = db.execute(
            f"select s.feedback_id, f.language, s.p_negative, s.cause_scores, f.text "
            f"from {table(lake, 'scored')} s join {table(lake, 'feedback')} f using (feedback_id)").df()
    night = night.set_index("feedback_id")
    raw = raw[raw["id"].isin(night.index)]  # the malformed rows went to quarantine
    assert len(raw) > 100
    night = night.loc[raw["id"]]
    assert (night["text"].to_numpy() != raw["text"].to_numpy()).any(), "the sample should hold personal data"
    pd.DataFrame({"id": raw["id"], "text": raw["text"], "language": night["language"].to_numpy()}).to_csv(
        tmp_path / "raw.csv", index=False)
    score_file(tmp_path / "raw.csv", tmp_path / "scored.parquet", shipped_model)
    scored = pd.read_parquet(tmp_path / "scored.parquet").set_index("id").loc[raw["id"]]
    assert scored["p_negative"].to_numpy() == pytest.approx(night["p_negative"].to_numpy(), abs=1e-6)
    assert scored["score_delay"].to_numpy() == pytest.approx(
        [{item["cause"]: item["score"] for item in scores}["delay"] for scores in night["cause_scores"]], abs=1e-6)
    evaluated = shipped_model.score(raw["text"].tolist(), night["language"].tolist())
    assert [s.probabilities["negative"] for s in evaluated] == pytest.approx(night["p_negative"].tolist(), abs=1e-6)
    text, language, p_negative = raw["text"].iloc[0], night["language"].iloc[0], night["p_negative"].iloc[0]
    assert explain(shipped_model, text, language)["probabilities"]["negative"] == pytest.approx(p_negative, abs=1e-4)


def test_train_adapts_to_the_lakes_stored_texts(sample_run, tmp_path: Path, caplog) -> None:
    """`causa train --adapt N`: the shipped model's accurate tier labels N stored texts and the fast tier learns them."""
    import json

    import pandas as pd

    from causa.nlp.model_store import load_model

    config, _ = sample_run
    rows = [("still waiting for my parcel, two weeks late", "negative", "delay"),
            ("the agent was rude and hung up on me", "negative", "rudeness"),
            ("charged twice for one order", "negative", "overcharge"),
            ("wrote five times, nobody solved it", "negative", "unresolved_issue"),
            ("lovely shop, quick and friendly", "positive", ""), ("when do you open on sunday?", "neutral", "")]
    labels = tmp_path / "labels.csv"
    pd.DataFrame([{"text": f"{text} #{i}", "sentiment": sentiment, "causes": causes, "language": "en"}
                  for i in range(8) for text, sentiment, causes in rows]).to_csv(labels, index=False)
    registry = tmp_path / "models"
    common = ["--labels", str(labels), "--base", "none", "--registry", str(registry), "--config", str(config)]
    assert main(["train", *common, "--name", "plain"]) == 0
    assert main(["train", *common, "--name", "adapted", "--adapt", "60"]) == 0
    manifest = json.loads((registry / "adapted" / "manifest.json").read_text())
    assert manifest["training_data"]["counts"]["adapted"] == 60
    assert manifest["training_data"]["adapted"]["teacher"].endswith("(accurate tier)")
    plain, adapted = load_model(registry / "plain"), load_model(registry / "adapted")
    assert set(plain.resources) == {"en"} and set(adapted.resources) > {"en"}
    plain_terms = set(plain.featurizer_.words_.vocabulary_)
    assert plain_terms < set(adapted.featurizer_.words_.vocabulary_)
    with caplog.at_level(logging.ERROR, logger="causa"):
        assert main(["train", *common, "--name", "negative", "--adapt", "-5"]) == 2
    assert "--adapt must be at least 1, got -5" in caplog.text
