"""The shipped model is the one the starter corpus trains, loads verified, and reads all five languages."""

from __future__ import annotations

import json

import pytest

from causa.nlp.corpus import corpus_fingerprint, load_starter_corpus
from causa.nlp.model_store import default_model_dir, read_manifest, verify_files
from causa.nlp.taxonomy import DEFAULT_CAUSES, SENTIMENTS, SUPPORTED_LANGUAGES


def test_shipped_model_was_trained_on_the_current_starter_corpus() -> None:
    manifest = read_manifest(default_model_dir())
    verify_files(default_model_dir(), manifest)
    assert manifest["training_data"]["fingerprint"] == corpus_fingerprint(), (
        "the starter corpus changed since the default model was trained: run python -m causa.nlp.train_default"
    )


def test_starter_corpus_covers_every_language_sentiment_and_cause() -> None:
    corpus = load_starter_corpus()
    for lang in SUPPORTED_LANGUAGES:
        items = [item for item in corpus if item.language == lang]
        assert len(items) >= 200
        assert {item.sentiment for item in items} == set(SENTIMENTS)
        assert {cause for item in items for cause in item.causes} == set(DEFAULT_CAUSES)
        assert not any(item.causes for item in items if item.sentiment != "negative")


@pytest.mark.parametrize(
    ("text", "language", "sentiment", "cause"),
    [
        ("Two weeks and my parcel still has not arrived, nobody answers my emails", "en", "negative", "delay"),
        ("Me cobraron dos veces el mismo pedido y nadie me devuelve el dinero", "es", "negative", "overcharge"),
        ("O atendente foi extremamente grosseiro e desligou na minha cara", "pt", "negative", "rudeness"),
        ("Am sunat de zece ori si nimeni nu mi-a rezolvat problema", "ro", "negative", "unresolved_issue"),
        ("Заказ задерживают уже третью неделю, доставка ужасная", "ru", "negative", "delay"),
        ("Excellent service, the staff were lovely and everything arrived early", "en", "positive", None),
        ("Quais são os horários de funcionamento da loja no domingo?", "pt", "neutral", None),
    ],
)
def test_clear_cases_in_each_language(shipped_model, text, language, sentiment, cause) -> None:
    [score] = shipped_model.score([text], [language])
    assert score.sentiment == sentiment
    if cause:
        assert cause in score.causes
    else:
        assert score.causes == ()


def test_model_card_fields(shipped_model) -> None:
    described = json.loads((default_model_dir() / "model.json").read_text())
    assert described["causes"] == list(DEFAULT_CAUSES)
    assert set(described["thresholds"]) == set(DEFAULT_CAUSES)


NEGATED_CAUSES = [
    ("No problems with delivery, it came on the day they said", "en", "delay"),
    ("The courier was not rude at all, very polite actually", "en", "rudeness"),
    ("Nenhum problema com a entrega, chegou no dia certo", "pt", "delay"),
    ("O atendente não foi nada grosseiro, muito educado", "pt", "rudeness"),
    ("Ningún problema con la entrega, llegó el día previsto", "es", "delay"),
    ("El repartidor no fue nada grosero, muy amable", "es", "rudeness"),
    ("Nicio problema cu livrarea, a ajuns in ziua promisa", "ro", "delay"),
    ("Curierul nu a fost deloc nepoliticos, foarte amabil", "ro", "rudeness"),
    ("Никаких проблем с доставкой, привезли в обещанный день", "ru", "delay"),
    ("Оператор совсем не грубил, наоборот очень вежливый", "ru", "rudeness"),
]
SARCASTIC_DELAYS = [
    ("Great, another three weeks of waiting for my parcel", "en"),
    ("Ótimo, mais três semanas esperando a encomenda", "pt"),
    ("Genial, otras tres semanas esperando el paquete", "es"),
    ("Super, inca trei saptamani de asteptat coletul", "ro"),
    ("Отлично, ещё три недели ждать посылку", "ru"),
]


@pytest.mark.parametrize(("text", "language", "cause"), NEGATED_CAUSES)
def test_a_negated_cause_is_not_given(shipped_model, text, language, cause) -> None:
    [score] = shipped_model.score([text], [language])
    assert cause not in score.causes


@pytest.mark.parametrize(("text", "language"), SARCASTIC_DELAYS)
def test_sarcastic_praise_of_a_wait_is_a_delay_complaint(shipped_model, text, language) -> None:
    [score] = shipped_model.score([text], [language])
    assert score.sentiment == "negative" and "delay" in score.causes


def test_the_shipped_model_has_both_tiers(shipped_model) -> None:
    assert shipped_model.tiers == ("fast", "accurate")


def test_teacher_labelled_items_are_marked_and_never_relabel_a_hand_labelled_text() -> None:
    corpus = load_starter_corpus()
    taught = [item for item in corpus if item.distilled]
    hand = load_starter_corpus(distilled=False)
    assert taught and len(taught) + len(hand) == len(corpus)
    assert not any(item.distilled for item in hand)
    assert not {item.text for item in taught} & {item.text for item in hand}
