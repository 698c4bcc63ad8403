"""Text clean-up, and the evaluation report's figures on hand-computed cases."""

from __future__ import annotations

import pytest

from causa.nlp.evaluation import NO_EXAMPLES, binary_report, classification_report, evaluate, format_report
from causa.nlp.normalise import clean_text
from causa.nlp.labels import parse_causes


def test_clean_text_folds_spaces_and_drops_invisible_characters() -> None:
    assert clean_text("  Ola\u200b  mundo\t\u00a0!\r\n\r\n  tchau ") == "Ola mundo !\ntchau"
    assert clean_text("Cafe\u0301") == "Café"
    assert clean_text("👍🏽 great 👨\u200d👩\u200d👧") == "👍🏽 great 👨\u200d👩\u200d👧"


def test_classification_report_matches_hand_counts() -> None:
    gold = ["negative", "negative", "neutral", "positive"]
    predicted = ["negative", "neutral", "neutral", "negative"]
    report = classification_report(gold, predicted, ["negative", "neutral", "positive"])
    assert report["classes"]["negative"]["precision"] == pytest.approx(0.5)
    assert report["classes"]["negative"]["recall"] == pytest.approx(0.5)
    assert report["classes"]["neutral"]["f1"] == pytest.approx(2 / 3)
    assert report["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0.0) / 3)
    assert report["confusion"] == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_binary_report() -> None:
    report = binary_report([True, True, False, False], [True, False, True, False])
    assert (report["precision"], report["recall"], report["f1"]) == (0.5, 0.5, 0.5)


def test_evaluate_splits_by_language_and_skips_unlabelled() -> None:
    report = evaluate(
        ["en", "en", "pt"], ["negative", None, "positive"], ["negative", "neutral", "negative"],
        [["delay"], None, []], [["delay"], [], ["delay"]], ("delay", "rudeness"),
    )
    assert report["all"]["sentiment"]["n"] == 2 and report["en"]["sentiment"]["accuracy"] == 1.0
    assert report["pt"]["causes"]["delay"]["precision"] == 0.0
    assert report["all"]["causes"]["delay"]["support"] == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [("delay; overcharge", ("delay", "overcharge")), ('["Rudeness"]', ("rudeness",)), ("", ()), (None, ()),
     (["delay", "delay"], ("delay",)), ("delay|unresolved_issue", ("delay", "unresolved_issue"))],
)
def test_parse_causes(value, expected) -> None:
    assert parse_causes(value, "row 1") == expected


def test_parse_causes_names_a_broken_json_list() -> None:
    with pytest.raises(ValueError, match="row 7"):
        parse_causes("[delay", "row 7")


def test_a_class_without_examples_reads_n_a_and_is_left_out_of_the_macro_average() -> None:
    report = evaluate(["en"] * 4, ["negative", "negative", "positive", "positive"],
                      ["negative", "positive", "positive", "positive"],
                      [("delay",), (), (), ("delay",)], [("delay",), (), (), ()], ("delay", "rudeness"))
    section = report["all"]
    assert section["causes"]["rudeness"]["support"] == 0
    assert section["causes_macro_f1"] == pytest.approx(section["causes"]["delay"]["f1"])
    assert section["sentiment"]["macro_f1"] == pytest.approx(
        (section["sentiment"]["classes"]["negative"]["f1"] + section["sentiment"]["classes"]["positive"]["f1"]) / 2)
    text = format_report(report)
    assert f"rudeness          {NO_EXAMPLES}  n 0" in text
    assert "no examples of rudeness" in text and "no examples of neutral" in text
    assert "F1 0.000  n 0" not in text
