"""Token keys (lemma, accents stripped, Snowball stem) are the same whichever thread asks for them; the spaCy component
takes its lemma table through spaCy's initialize and lookups."""

from __future__ import annotations

import sys
import threading

import pytest
import spacy
from spacy.lookups import Lookups

from causa.nlp.text import KEY_COMPONENT, LEMMA_TABLE, TokenKeyer, build_pipeline, lemma_lookups

WORDS = [stem + ending for stem in ("entreg", "atras", "cobr", "reclam", "devolv", "cancel", "respond", "esper")
         for ending in ("ando", "amos", "aram", "ação", "ações", "ável", "idade", "ência", "imento", "emos")]


def test_threads_sharing_a_keyer_get_each_words_own_key() -> None:
    """A Snowball stemmer keeps the word it works on in itself; the nightly flow scores batches in threads that
    share one model, so a shared stemmer used to hand one thread's stem to another."""
    expected = [TokenKeyer("pt", lemmas={}).key(word) for word in WORDS]
    shared = TokenKeyer("pt", lemmas={})
    results: dict[int, list[str]] = {}

    def key_all(thread: int) -> None:
        results[thread] = [shared.key(word) for word in WORDS * 20]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [threading.Thread(target=key_all, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert len(results) == 6
    assert all(keys == expected * 20 for keys in results.values())


def test_the_component_takes_its_lemma_table_from_spacy_lookups() -> None:
    nlp = spacy.blank("en")
    component = nlp.add_pipe(KEY_COMPONENT)
    assert nlp.get_pipe_config(KEY_COMPONENT)["table"] == LEMMA_TABLE
    with pytest.raises(ValueError, match=KEY_COMPONENT):
        nlp("the parcels were delayed")
    component.initialize(nlp=nlp, lookups=lemma_lookups({"were": "be", "parcels": "parcel"}))
    doc = nlp("the parcels were delayed")
    assert [token.lemma_ for token in doc] == ["the", "parcel", "be", "delayed"]
    assert [token.norm_ for token in doc] == ["the", "parcel", "be", "delay"]


def test_a_configured_table_name_is_the_one_read() -> None:
    nlp = spacy.blank("pt")
    component = nlp.add_pipe(KEY_COMPONENT, config={"table": "my_lemmas"})
    lookups = Lookups()
    lookups.add_table("my_lemmas", {"chegaram": "chegar"})
    component.initialize(lookups=lookups)
    assert [token.lemma_ for token in nlp("chegaram atrasados")] == ["chegar", "atrasados"]
    with pytest.raises(KeyError, match="my_lemmas"):
        component.initialize(lookups=lemma_lookups({"chegaram": "chegar"}))


def test_initialize_without_lookups_uses_spacy_lookups_data() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe(KEY_COMPONENT, config={"table": "my_lemmas"})
    nlp.initialize()
    assert [token.lemma_ for token in nlp("parcels were delayed")] == ["parcel", "be", "delay"]
    other = build_pipeline("other")
    assert [token.lemma_ for token in other("parcels were delayed")] == ["parcels", "were", "delayed"]
