"""The model learns, scores with evidence, and survives a save and reload unchanged; tampering is refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from causa.nlp.cues import LanguageResources
from causa.nlp.model import FeedbackModel
from causa.nlp.model_store import ModelIntegrityError, load_model, save_model
from causa.nlp.text_preparation import prepare_texts

RESOURCES = {
    "en": LanguageResources(
        cues={
            "delay": ["still waiting", "late", "on hold for"],
            "rudeness": ["rude", "hung up on me"],
            "overcharge": ["charged twice", "hidden fee"],
            "unresolved_issue": ["nobody answers", "no solution"],
        },
        lexicon={"positive": ["great", "love", "fast"], "negative": ["awful", "terrible", "worst"],
                 "negators": ["not", "never"], "intensifiers": ["very", "so"]},
    )
}
TRAIN = [
    ("My parcel is late again, still waiting after two weeks", "negative", ["delay"]),
    ("The agent was rude and hung up on me", "negative", ["rudeness"]),
    ("They charged twice for one ticket, awful", "negative", ["overcharge"]),
    ("I wrote five times and nobody answers, no solution", "negative", ["unresolved_issue"]),
    ("Great service, fast delivery, love it", "positive", []),
    ("What time does the store open on Sunday?", "neutral", []),
]


def make_training_set(copies: int = 8):
    rows = [row for row in TRAIN for _ in range(copies)]
    texts = [f"{text} #{i}" for i, (text, _, _) in enumerate(rows)]
    return texts, ["en"] * len(rows), [s for _, s, _ in rows], [c for _, _, c in rows]


@pytest.fixture(scope="module")
def trained() -> FeedbackModel:
    texts, languages, sentiments, causes = make_training_set()
    return FeedbackModel(RESOURCES, ("rudeness", "unresolved_issue", "overcharge", "delay")).fit(
        texts, languages, sentiments, causes
    )


def test_overfits_its_training_examples(trained: FeedbackModel) -> None:
    scores = trained.score([text for text, _, _ in TRAIN], ["en"] * len(TRAIN))
    assert [s.sentiment for s in scores] == [sentiment for _, sentiment, _ in TRAIN]
    assert [list(s.causes) for s in scores] == [causes for _, _, causes in TRAIN]


def test_evidence_points_at_the_cue_in_the_text(trained: FeedbackModel) -> None:
    text = "Still waiting for my order, it is late"
    [score] = trained.score([text], ["en"])
    assert "delay" in score.causes
    spans = [(e.start, e.end, e.text) for e in score.evidence if e.cause == "delay"]
    assert spans and all(text[start:end] == snippet for start, end, snippet in spans)
    assert any(snippet.lower() == "still waiting" for _, _, snippet in spans)


def test_probabilities_sum_to_one(trained: FeedbackModel) -> None:
    [score] = trained.score(["hello there"], ["en"])
    assert sum(score.probabilities.values()) == pytest.approx(1.0, abs=1e-6)


def test_no_cause_without_complaint(trained: FeedbackModel) -> None:
    [score] = trained.score(["Great service, fast delivery, love it"], ["en"])
    assert score.sentiment == "positive" and score.causes == ()


def test_save_and_reload_gives_identical_scores(trained: FeedbackModel, tmp_path) -> None:
    save_model(trained, tmp_path / "m", {"version": "test"})
    reloaded = load_model(tmp_path / "m")
    texts = [text for text, _, _ in TRAIN] + ["something else entirely"]
    assert reloaded.score(texts, ["en"] * len(texts)) == trained.score(texts, ["en"] * len(texts))


def test_tampered_model_file_is_refused(trained: FeedbackModel, tmp_path) -> None:
    folder = tmp_path / "m"
    save_model(trained, folder, {"version": "test"})
    described = json.loads((folder / "model.json").read_text())
    described["thresholds"]["delay"] = 0.01
    (folder / "model.json").write_text(json.dumps(described))
    with pytest.raises(ModelIntegrityError, match="model.json changed"):
        load_model(folder)


def test_unknown_sentiment_label_is_named() -> None:
    with pytest.raises(ValueError, match="'angry'"):
        FeedbackModel(RESOURCES, ("delay",)).fit(["x"], ["en"], ["angry"], [[]])


def test_texts_without_cause_labels_train_sentiment_only() -> None:
    texts, languages, sentiments, causes = make_training_set()
    unlabelled = [f"{TRAIN[0][0]} (copy {i})" for i in range(40)]
    model = FeedbackModel(RESOURCES, ("rudeness", "unresolved_issue", "overcharge", "delay")).fit(
        texts + unlabelled, languages + ["en"] * 40, sentiments + ["negative"] * 40, causes + [None] * 40
    )
    [score] = model.score([TRAIN[0][0]], ["en"])
    assert score.sentiment == "negative" and "delay" in score.causes


def test_no_cause_labels_at_all_is_named() -> None:
    texts, languages, sentiments, _ = make_training_set()
    with pytest.raises(ValueError, match="no text has cause labels"):
        FeedbackModel(RESOURCES, ("delay",)).fit(texts, languages, sentiments, [None] * len(texts))


def test_scoring_prepares_the_text_itself(trained: FeedbackModel) -> None:
    raw = "Still\u200b waiting   for my order, call me at +1 415 555 0199 or jo.doe@example.com"
    [prepared] = prepare_texts([raw])
    assert "[PHONE]" in prepared and "[EMAIL]" in prepared and "\u200b" not in prepared
    assert trained.score([raw], ["en"]) == trained.score([prepared], ["en"])
    [score] = trained.score([raw], ["en"])
    assert all(prepared[span.start:span.end] == span.text for span in score.evidence)


def test_preparation_is_idempotent() -> None:
    texts = ["Mail me: ana@example.com", "card 4111 1111 1111 1111 charged twice", "  plain\n\n text  ", ""]
    once = prepare_texts(texts)
    assert prepare_texts(once) == once


def test_length_alone_does_not_decide_causes(trained: FeedbackModel) -> None:
    assert not any("length" in name for name in trained.featurizer_.feature_names())
    short = "The parcel arrived."
    padded = "The parcel arrived. " + "It was a Tuesday and the weather was grey, the street quiet. " * 6
    [a, b] = trained.score([short, padded], ["en", "en"])
    assert a.causes == b.causes == ()


def test_every_cause_has_readable_evidence(trained: FeedbackModel) -> None:
    texts = [text for text, _, _ in TRAIN] + ["they were so late and me and my mum waited, charged twice"]
    stop_words = trained.analyser.stop_words("en")
    for score in trained.score(texts, ["en"] * len(texts)):
        assert {span.cause for span in score.evidence} == set(score.causes)
        assert all(span.text.lower() not in stop_words for span in score.evidence)


def test_a_cause_decides_on_its_own_score_not_the_sentiment_argmax(trained: FeedbackModel) -> None:
    [item] = trained.analyser.analyse(["still waiting"], ["en"])
    neutral_leaning = np.array([0.3, 0.6, 0.1])
    delay_only = np.array([0.0, 0.0, 0.0, 0.9])
    thresholds = trained.cause_model_.thresholds_
    score = trained._combine(item, neutral_leaning, delay_only, thresholds)
    assert score.causes == ("delay",) and score.sentiment == "negative"
    not_a_complaint = trained._combine(item, np.array([0.05, 0.15, 0.8]), delay_only, thresholds)
    assert not_a_complaint.causes == () and not_a_complaint.sentiment == "positive"
    no_cause = trained._combine(item, neutral_leaning, np.zeros(4), thresholds)
    assert no_cause.causes == () and no_cause.sentiment == "neutral"


def test_review_reasons_name_the_rule(trained: FeedbackModel) -> None:
    for score in trained.score(["hello there", "late?"], ["en", "en"]):
        assert score.needs_review == bool(score.review_reasons)
        assert all(isinstance(reason, str) and reason for reason in score.review_reasons)


def test_unknown_tier_is_named(trained: FeedbackModel) -> None:
    assert trained.tiers == ("fast",)
    with pytest.raises(ValueError, match="'accurate'"):
        trained.score(["late"], ["en"], tier="accurate")


@pytest.fixture(scope="module")
def accurate() -> FeedbackModel:
    texts, languages, sentiments, causes = make_training_set(copies=6)
    return FeedbackModel(RESOURCES, ("rudeness", "unresolved_issue", "overcharge", "delay")).fit(
        texts, languages, sentiments, causes, accurate=True)


def test_accurate_tier_fuses_the_encoder_and_survives_a_reload(accurate: FeedbackModel, tmp_path) -> None:
    texts = ["My parcel never showed up, two weeks now", "Lovely people, quick and kind", "Unde este coletul meu?"]
    fast = accurate.score(texts, ["en", "en", "ro"])
    fused = accurate.score(texts, ["en", "en", "ro"], tier="accurate")
    assert accurate.tiers == ("fast", "accurate")
    assert [f.probabilities for f in fast] != [f.probabilities for f in fused]
    assert all(sum(f.probabilities.values()) == pytest.approx(1.0, abs=1e-6) for f in fused)
    save_model(accurate, tmp_path / "m", {"version": "test"})
    reloaded = load_model(tmp_path / "m")
    assert reloaded.tiers == ("fast", "accurate")
    assert reloaded.score(texts, ["en", "en", "ro"], tier="accurate") == fused


def test_encoder_heads_learn_only_from_the_rows_marked(accurate: FeedbackModel) -> None:
    """Texts the teacher labelled (distillation) train the fast tier but never the encoder heads they came from."""
    texts, languages, sentiments, causes = make_training_set(copies=6)
    taught = ["the parcel came on time, lovely #t1", "staff were kind and quick #t2"] * 3
    mixed = FeedbackModel(RESOURCES, ("rudeness", "unresolved_issue", "overcharge", "delay")).fit(
        texts + taught, languages + ["en"] * len(taught), sentiments + ["negative"] * len(taught),
        causes + [("rudeness",)] * len(taught), accurate=True,
        encoder_rows=[True] * len(texts) + [False] * len(taught))
    for name, array in accurate.encoder_heads_.arrays().items():
        assert mixed.encoder_heads_.arrays()[name] == pytest.approx(array), name
    assert set(mixed.featurizer_.words_.vocabulary_) > set(accurate.featurizer_.words_.vocabulary_)
    with pytest.raises(ValueError, match="encoder_rows must be"):
        FeedbackModel(RESOURCES, ("rudeness", "unresolved_issue", "overcharge", "delay")).fit(
            texts, languages, sentiments, causes, accurate=True, encoder_rows=[True])
