"""`causa review-queue` end to end on a small scored lake: near-duplicates once, languages balanced, labelled items
left out, the file `causa train` reads."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from causa.pipelines.cli import main
from causa.storage.lake import Lake
from causa.storage.model_versions import DEFAULT, model_for
from causa.storage.schemas import FEEDBACK, PROBABILITY_COLUMNS, SCORED, probability_column
from causa.storage.scoring import score_texts

TEMPLATE = "Flight {} was delayed {} hours but the crew were lovely and kept us informed, thanks"
COPIES = 12
ENGLISH = [
    "The agent on the phone was rude and hung up on me",
    "They charged my card twice for one seat and nobody refunds it",
    "What is the baggage allowance on the morning flight to Boston?",
    "My refund request has been open for six weeks with no answer",
    "Seats were dirty and the screen did not work the whole trip",
    "Boarding was quick and the staff were friendly",
    "Lost my suitcase in Denver, still no news after a week",
    "Food was okay, nothing special, landed on time",
    "Is there wifi on the new planes or not?",
    "Worst customer service ever, I waited on hold for two hours",
    "Great upgrade to business class, thank you so much",
    "The app keeps crashing when I try to check in",
    "Pilot kept us updated during the turbulence, appreciated",
    "Why do you charge for water bottles now?",
    "Gate changed three times and nobody announced it",
    "Cheap fare but the legroom is terrible",
]
PORTUGUESE = [
    "O voo atrasou quatro horas e ninguém explicou nada aos passageiros",
    "A comissária foi muito grosseira comigo durante o embarque",
    "Cobraram a bagagem duas vezes no cartão e não devolvem",
    "Adorei o atendimento no check-in, equipe muito simpática",
    "Qual é o horário do primeiro voo para Lisboa amanhã?",
    "Minha reclamação está aberta há um mês sem resposta",
]
SPANISH = [
    "El vuelo salió con tres horas de retraso y sin ninguna explicación",
    "La azafata fue muy maleducada con mi madre",
    "Me cobraron dos veces el equipaje y nadie me devuelve el dinero",
    "Excelente servicio a bordo, muy amables todos",
    "¿A qué hora abre el mostrador de facturación en Madrid?",
    "Llevo semanas esperando una respuesta a mi reclamación",
]
QUEUE_COLUMNS = ["feedback_id", "text", "language", "channel", "source", "created_at", "predicted_sentiment",
                 "predicted_causes", *PROBABILITY_COLUMNS, "margin", "needs_review", "model_version", "sentiment",
                 "causes"]


@pytest.fixture(scope="module")
def small_lake(tmp_path_factory, prefect_server) -> Path:
    """A night over 40 airline comments: 12 copies of one mixed review (numbers changed), 16 other English, 6
    Portuguese and 6 Spanish ones; returns its causa.toml."""
    from causa.pipelines.flows import nightly

    folder = tmp_path_factory.mktemp("queue-lake")
    (folder / "drops").mkdir()
    texts = [TEMPLATE.format(1200 + i, 2 + i % 3) for i in range(COPIES)] + ENGLISH + PORTUGUESE + SPANISH
    with (folder / "drops" / "day.csv").open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "at", "body"])
        writer.writerows([f"m{i:02d}", f"2026-11-01T{10 + i % 10}:00:00Z", text] for i, text in enumerate(texts))
    config = folder / "causa.toml"
    config.write_text(
        '[lake]\nroot = "lake"\n[[sources]]\nname = "shop"\nkind = "files"\npath = "drops/*.csv"\nchannel = "review"\n'
        '[sources.fields]\nid = "id"\ntext = "body"\ncreated_at = "at"\n', encoding="utf-8")
    assert nightly(config_path=str(config)).status == "success"
    return config


def stored(config: Path) -> pd.DataFrame:
    """The lake's scored items with text and language, least sure first (the order of the queue before diversity)."""
    lake = Lake(config.parent / "lake")
    frame = lake.read(SCORED).to_pandas().merge(lake.read(FEEDBACK).to_pandas()[["feedback_id", "text", "language"]])
    ordered = np.sort(frame[list(PROBABILITY_COLUMNS)].to_numpy(), axis=1)
    frame["margin"] = ordered[:, -1] - ordered[:, -2]
    return frame.sort_values(["needs_review", "margin", "feedback_id"], ascending=[False, True, True])


def queue(config: Path, path: Path, n: int, *exclude: Path) -> pd.DataFrame:
    arguments = ["review-queue", "--n", str(n), "-o", str(path), "--config", str(config)]
    for labelled in exclude:
        arguments += ["--exclude", str(labelled)]
    assert main(arguments) == 0
    if path.suffix == ".jsonl":
        return pd.DataFrame([json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()])
    return pd.read_csv(path, keep_default_na=False)


def is_copy(text: str) -> bool:
    return text.startswith("Flight 1") and "crew were lovely" in text


def test_near_duplicates_enter_the_queue_once_and_languages_share_it(small_lake: Path, tmp_path: Path) -> None:
    least_sure = stored(small_lake).head(20)
    assert sum(map(is_copy, least_sure["text"])) >= 2  # the copies are among the least sure: the rule has work to do
    frame = queue(small_lake, tmp_path / "queue.csv", 20)
    assert list(frame.columns) == QUEUE_COLUMNS and len(frame) == 20
    assert sum(map(is_copy, frame["text"])) == 1
    assert frame["feedback_id"].is_unique and set(frame["sentiment"]) == {""} and set(frame["causes"]) == {""}
    # 40 items in three languages, 20 slots: equal shares, the two small languages in full
    assert Counter(frame["language"]) == {"en": 8, "pt": 6, "es": 6}
    # listed as before: needs_review first, then the smallest margin
    margins = frame.loc[~frame["needs_review"].astype(bool), "margin"].astype(float).tolist()
    assert margins == sorted(margins)


def test_no_predicted_cause_takes_the_queue_when_others_are_there(small_lake: Path, tmp_path: Path) -> None:
    least_sure = stored(small_lake).head(10)
    groups = Counter(causes[0] if len(causes) else "" for causes in least_sure["causes"])
    assert groups.most_common(1)[0][1] > 5  # by uncertainty alone one cause would fill most of a queue of 10
    frame = queue(small_lake, tmp_path / "queue.jsonl", 10)
    picked = Counter(causes.split(";")[0] for causes in frame["predicted_causes"])
    assert len(frame) == 10 and picked.most_common(1)[0][1] <= 4 and len(picked) >= 3


def test_items_already_labelled_are_left_out(small_lake: Path, tmp_path: Path) -> None:
    first = queue(small_lake, tmp_path / "first.csv", 10)
    labelled = first.assign(sentiment=first["predicted_sentiment"], causes=first["predicted_causes"])
    unlabelled_id = labelled["feedback_id"].iloc[-1]
    labelled.loc[labelled.index[-1], "sentiment"] = ""  # a row left unlabelled is not excluded
    labelled.to_csv(tmp_path / "labelled.csv", index=False)
    # a file without feedback_id: matched by text, whatever its case, spacing and punctuation
    by_text = ["  the APP keeps crashing when I try to check in!! ", "Cheap fare, but the legroom is terrible."]
    pd.DataFrame({"text": by_text, "sentiment": ["negative", "negative"]}).to_csv(tmp_path / "texts.csv", index=False)

    second = queue(small_lake, tmp_path / "second.csv", 100, tmp_path / "labelled.csv", tmp_path / "texts.csv")
    excluded = set(labelled["feedback_id"]) - {unlabelled_id}
    assert not excluded & set(second["feedback_id"])
    assert unlabelled_id in set(second["feedback_id"])
    assert not {"The app keeps crashing when I try to check in", "Cheap fare but the legroom is terrible"} & set(
        second["text"])
    # every other item is still offered, the copies of one review once
    others = [text for text in ENGLISH + PORTUGUESE + SPANISH
              if text not in set(labelled.loc[labelled["feedback_id"].isin(excluded), "text"])
              and text not in {"The app keeps crashing when I try to check in", "Cheap fare but the legroom is terrible"}]
    assert sorted(second.loc[~second["text"].map(is_copy), "text"]) == sorted(others)
    assert sum(map(is_copy, second["text"])) == 1


def test_an_exclude_file_without_ids_or_texts_is_refused(small_lake: Path, tmp_path: Path, caplog) -> None:
    pd.DataFrame({"body": ["x"], "sentiment": ["negative"]}).to_csv(tmp_path / "odd.csv", index=False)
    arguments = ["review-queue", "--n", "5", "-o", str(tmp_path / "q.csv"), "--config", str(small_lake),
                 "--exclude", str(tmp_path / "odd.csv")]
    assert main(arguments) == 2
    assert "has neither a feedback_id nor a text column" in caplog.text
    assert not (tmp_path / "q.csv").exists()


def test_the_queue_ranks_by_the_active_model_and_rescores_what_another_version_scored(
        small_lake: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(small_lake.parent, copy)
    scored_files = sorted((copy / "lake" / "scored").rglob("*.parquet"))
    assert scored_files
    for path in scored_files:  # an older version that was sure of everything
        table = pq.read_table(path)
        rows = len(table)
        table = table.set_column(table.schema.get_field_index("model_version"), "model_version",
                                 pa.array(["older-1"] * rows))
        for column in PROBABILITY_COLUMNS:
            sure = [1.0 if column == probability_column("neutral") else 0.0] * rows
            table = table.set_column(table.schema.get_field_index(column), column,
                                     pa.array(sure, type=table.schema.field(column).type))
        pq.write_table(table, path)

    frame = queue(copy / "causa.toml", tmp_path / "queue.csv", 10)
    model, version = model_for(DEFAULT, None)  # the sample configuration's registry is empty: the shipped model
    assert set(frame["model_version"]) == {version}
    fresh = score_texts(model, frame["text"].tolist(), frame["language"].tolist()).to_pandas()
    for column in PROBABILITY_COLUMNS:
        assert np.allclose(frame[column].astype(float), fresh[column].round(3), atol=1e-3), column
    assert frame["margin"].astype(float).max() < 1.0  # not the older version's certainty
